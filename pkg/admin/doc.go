// Package admin serves the operator's HTTP endpoints on two listeners,
// neither of them the public traffic port.
//
// The admin listener (ADMIN_ADDR, default 127.0.0.1:9090; ":9090" in a
// pod) serves what the platform reaches: /metrics, /healthz, /readyz and a
// read-only GET /loglevel. The debug listener (DEBUG_ADDR, default
// 127.0.0.1:6060, off when empty) serves what reveals or changes the
// process: /debug/pprof/, /debug/consumer and GET and PUT /loglevel, every
// route behind ADMIN_TOKEN when it is set. A debug listener beyond loopback
// without a token is refused unless explicitly allowed (Config.Validate).
//
// admin never imports the Kafka engine: components report through the small
// Checker interface declared here.
package admin
