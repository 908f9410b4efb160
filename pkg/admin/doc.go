// Package admin serves the operator's HTTP endpoints on one listener that is
// never the public traffic port: /metrics, /healthz, /readyz, /debug/pprof/
// and /loglevel.
//
// admin never imports the Kafka engine: components report through the small
// Checker interface declared here.
package admin
