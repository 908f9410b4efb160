// Package scaffold generates the code of consumerkit services, for
// `consumer new`. It works on any repository laid out as consumerkit's
// service is (see Repo), not only on this module.
//
// A new handler (Repo.PlanHandler) is planned whole before anything is
// written: its file and its test, rendered from templates and formatted
// as gofmt does; its registration in internal/service/handlers.go, edited
// through go/ast; its subscription in deploy/k8s/config.yaml, edited as
// YAML nodes so that comments stay. Everything that would make the result
// fail (an invalid name or topic, one the service already has, a
// repository it does not recognise, a wire_gen.go that Wire would change)
// is refused before that, with one line saying why. Plan.Diff shows the
// plan; Plan.Apply writes it and regenerates wire_gen.go, or puts every
// file back as it was.
//
// The package never imports a service: what the service's binary knows
// it runs comes in as data (Registered).
package scaffold
