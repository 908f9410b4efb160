package cache_test

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/consumerkit/consumerkit/internal/cache"
)

func Example() {
	// In the application these two lines are Wire providers, run once per
	// process; Wire calls cleanup at shutdown.
	m, err := cache.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	customers, cleanup := cache.New[string]("customers", cache.DefaultConfig(), m)

	lookup := func() (string, error) {
		fmt.Println("loading c-42")
		return "Ada Lovelace", nil
	}
	for range 2 {
		name, err := customers.Fetch("c-42", lookup)
		fmt.Println(name, err)
	}

	cleanup()
	_, err = customers.Fetch("c-42", lookup)
	fmt.Println(errors.Is(err, cache.ErrStopped), err)
	// Output:
	// loading c-42
	// Ada Lovelace <nil>
	// Ada Lovelace <nil>
	// true cache customers: cache: stopped
}
