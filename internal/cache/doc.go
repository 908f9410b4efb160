// Package cache provides a generic, named, in-memory cache over ccache v3
// whose lifecycle cannot leak.
//
// It exists because of production failure F2: a service was built per
// consumed message, each one holding a new ccache whose constructor started a
// background goroutine that nobody stopped; goroutines and memory grew until
// the pod was OOM-killed.
//
// The contract that prevents it:
//
//   - Every Cache is built once, by a Wire provider, and New returns the
//     cleanup that stops it. Wire calls that cleanup exactly once at shutdown.
//   - Stop is idempotent and safe to call concurrently. A Get, Set or Fetch
//     after Stop returns an error wrapping ErrStopped instead of touching the
//     stopped ccache. This matters because ccache itself does not tolerate
//     misuse after Stop: a second ccache Stop blocks forever, and a Set after
//     Stop eventually blocks forever once its internal queue fills.
//   - Each cache has a name. Instances with the same name share one set of
//     metrics (kafka_consumer_cache_requests_total, kafka_consumer_cache_items,
//     kafka_consumer_cache_instances), so a leak shows up as a growing
//     kafka_consumer_cache_instances{cache="..."} rather than only as an OOM.
package cache
