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
// A new service (NewService) is the framework checkout's service-specific
// parts (cmd, the root package, internal/, deploy/,
// scripts/remove-example.sh, the service's root tests) under a new module
// path: Go rewritten through go/ast, manifests renamed, a generated
// Makefile, README and .ci/run, and a go.mod that requires the framework's
// packages instead of copying them. Everything is prepared in memory; a
// refusal (*ServiceRefusal) writes nothing, a failed step
// (*ServiceStepError) leaves the directory for inspection.
//
// The package never imports a service: what the service's binary knows
// it runs comes in as data (Registered).
package scaffold
