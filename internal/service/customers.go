package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/consumerkit/consumerkit/internal/cache"
	"github.com/consumerkit/consumerkit/pkg/message"
)

// Customer is what enrichment adds to an order.
type Customer struct {
	ID   string
	Name string
	Tier string
}

// ErrUnknownCustomer is returned for an id the directory does not know.
var ErrUnknownCustomer = errors.New("unknown customer")

// CustomerDirectory is the system of record for customers: in production a
// database or a remote service, here a deterministic in-memory one. It is
// the slow path that the cache protects.
type CustomerDirectory struct {
	size int
}

// NewCustomerDirectory knows customers c-00001 to c-<size>.
func NewCustomerDirectory(cfg Config) *CustomerDirectory {
	return &CustomerDirectory{size: cfg.Customers}
}

// Lookup returns the customer with id, or ErrUnknownCustomer.
func (d *CustomerDirectory) Lookup(_ context.Context, id string) (Customer, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "c-"))
	if !strings.HasPrefix(id, "c-") || err != nil || n < 1 || n > d.size {
		return Customer{}, fmt.Errorf("customer %q: %w", id, ErrUnknownCustomer)
	}
	tiers := [...]string{"bronze", "silver", "gold"}
	return Customer{ID: id, Name: fmt.Sprintf("Customer %d", n), Tier: tiers[n%len(tiers)]}, nil
}

// CustomerCache is the process's one customer cache. It is built once by
// Wire (the F2 failure was one built per message) and stopped by Wire's
// cleanup.
type CustomerCache = cache.Cache[Customer]

// NewCustomerCache builds the customer cache; the cleanup stops it.
func NewCustomerCache(cfg cache.Config, m *cache.Metrics) (*CustomerCache, func()) {
	return cache.New[Customer]("customers", cfg, m)
}

// CustomerStore keeps the customers CustomerService looked up: Fetch
// returns the one stored under id, or calls load and stores what it
// returns. *CustomerCache is the process's one.
type CustomerStore interface {
	Fetch(id string, load func() (Customer, error)) (Customer, error)
}

// CustomerService looks customers up through the cache.
type CustomerService struct {
	dir   *CustomerDirectory
	cache CustomerStore
}

// NewCustomerService returns the service; it shares, never owns, the cache.
func NewCustomerService(dir *CustomerDirectory, c CustomerStore) *CustomerService {
	return &CustomerService{dir: dir, cache: c}
}

// Customer returns the customer with id. An unknown id is a permanent
// error; a stopped cache is not (the message is redelivered after restart).
func (s *CustomerService) Customer(ctx context.Context, id string) (Customer, error) {
	c, err := s.cache.Fetch(id, func() (Customer, error) { return s.dir.Lookup(ctx, id) })
	if errors.Is(err, ErrUnknownCustomer) {
		return Customer{}, message.Permanent(err)
	}
	return c, err
}
