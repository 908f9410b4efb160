// Package monitoring holds the Grafana dashboard and Prometheus alert rules as data; its tests check them against the metrics the service exports.
package monitoring
