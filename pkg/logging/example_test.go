package logging_test

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zapcore"

	"github.com/consumerkit/consumerkit/pkg/logging"
)

// The process's logger at the configured level, and the same level
// changed at run time, as PUT /loglevel does: the logger follows at once.
func ExampleNew() {
	cfg := logging.Config{Level: "info", Format: "json"}
	level, err := logging.NewLevel(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	logger, flush, err := logging.New(cfg, level, prometheus.NewRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer flush()
	fmt.Println("debug enabled:", logger.Core().Enabled(zapcore.DebugLevel))

	debug, err := logging.ParseLevel("DEBUG")
	if err != nil {
		fmt.Println(err)
		return
	}
	level.SetLevel(debug)
	fmt.Println("debug enabled:", logger.Core().Enabled(zapcore.DebugLevel))
	// Output:
	// debug enabled: false
	// debug enabled: true
}

// Only the four levels an operator may choose parse, in any letter case;
// the log.level setting and PUT /loglevel accept the same names.
func ExampleParseLevel() {
	for _, name := range []string{"Warn", "warning", "fatal"} {
		lvl, err := logging.ParseLevel(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(lvl)
	}
	// Output:
	// warn
	// "warning" is not one of debug, info, warn, error
	// "fatal" is not one of debug, info, warn, error
}
