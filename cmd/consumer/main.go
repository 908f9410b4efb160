// Command consumer runs a consumerkit service.
//
//	consumer [run] [flags]   run the service (default); on the embedded broker when no brokers are set
//	consumer config [flags]  print the effective configuration, secrets redacted
//	consumer new handler NAME --topic TOPIC [flags]
//	                         add a handler to the service repository (see `consumer new handler -h`)
//	consumer new service     make a new service from this checkout (see newservice.go)
//	consumer version         print the version
//
// Exit codes: 0 after a clean shutdown, 1 when the service failed, 2 on bad
// usage or configuration (every problem is printed, one per line), a
// secret given as a flag and a debug listener beyond loopback without a
// token among them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/consumerkit/consumerkit"
	"github.com/consumerkit/consumerkit/pkg/config"
)

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runService(args, stderr)
	case "config":
		return printConfig(args, stdout, stderr)
	case "dlq":
		return runDLQ(args, stdout, stderr)
	case "new":
		return runNew(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return exitOK
	case "help", "-h", "--help":
		usage(stdout)
		return exitOK
	default:
		fmt.Fprintf(stderr, "consumer: unknown command %q\n", cmd)
		usage(stderr)
		return exitUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: consumer [run|config|dlq|new|version] [flags]

  run      run the service (default); uses the embedded broker when KAFKA_BROKERS is empty
  config   print the effective configuration (file < environment < flags), secrets redacted,
           with the subscriptions the service runs (its handlers' defaults, as overridden)
  dlq replay --topic T.dlq [--to T] [--filter-error TEXT] [--limit N] [--dry-run]
           move dead letters back to their original topic after a fix (needs KAFKA_BROKERS)
  new handler NAME --topic TOPIC [--batch] [--ordering partition|key|none] [--workers N]
           [--dead-letter=false] [--retry-topic] [--dry-run] [--dir DIR]
           add a handler to the service repository in DIR (default .): its file and test,
           its registration, its subscription in deploy/k8s/config.yaml, wire_gen.go
  new service --module M --dir D [--no-example] [--name N] [--from CHECKOUT]
              [--framework-replace PATH | --framework-version vX.Y.Z]
           a new service under module M in D, requiring the framework as a module
           (run in the framework's checkout; consumer new service -h for details)
  version  print the version

secrets come from the environment, never from flags (a flag shows in the process list and in
/debug/pprof/cmdline; --sasl-password and --admin-token are refused): KAFKA_SASL_PASSWORD or
KAFKA_SASL_PASSWORD_FILE, ADMIN_TOKEN or ADMIN_TOKEN_FILE (a file's trailing newlines are trimmed)

flags (each also read from the environment variable named in brackets):
`)
	fs, err := config.FlagSet("consumer", w, consumerkit.ServiceSettings())
	if err != nil {
		fmt.Fprintf(w, "consumer: %v\n", err)
		return
	}
	fs.PrintDefaults()
}

// loadConfig loads the framework's configuration and fills svc, the
// service's own sections (see consumerkit.ServiceSettings).
func loadConfig(args []string, svc config.Section, stderr io.Writer, extra ...func(*flag.FlagSet)) (config.Config, bool) {
	cfg, err := config.Load("consumer", config.OSSource(args), svc, extra...)
	if err != nil {
		fmt.Fprintf(stderr, "consumer: invalid configuration:\n%s\n", err)
		return cfg, false
	}
	return cfg, true
}

func printConfig(args []string, stdout, stderr io.Writer) int {
	svc := consumerkit.ServiceSettings()
	cfg, ok := loadConfig(args, svc, stderr)
	if !ok {
		return exitUsage
	}
	// The subscriptions the service runs are its handlers' registered
	// defaults as the configuration overrides them: print those.
	handlers, cleanup, err := consumerkit.InitializeRegistry(cfg, svc)
	if err != nil {
		fmt.Fprintf(stderr, "consumer: %v\n", err)
		return exitUsage
	}
	defer cleanup()
	cfg.Kafka.Subscriptions = handlers.Subscriptions(cfg.Kafka.Subscriptions)
	if err := config.Print(stdout, cfg, svc); err != nil {
		fmt.Fprintf(stderr, "consumer: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func runService(args []string, stderr io.Writer) int {
	svc := consumerkit.ServiceSettings()
	cfg, ok := loadConfig(args, svc, stderr)
	if !ok {
		return exitUsage
	}
	// GOMEMLIMIT follows the container's memory limit, so the GC works
	// harder before the kernel's OOM killer does. No limit (a laptop) is fine.
	// Set treats "no limit" as success; a machine without cgroups is only
	// reported, never fatal.
	if _, err := memlimit.Set(memlimit.WithProvider(memlimit.FromCgroup)); err != nil && !errors.Is(err, memlimit.ErrNoCgroup) {
		fmt.Fprintf(stderr, "consumer: GOMEMLIMIT not derived from the cgroup limit: %v\n", err)
	}
	application, cleanup, err := consumerkit.InitializeApp(cfg, svc)
	if err != nil {
		fmt.Fprintf(stderr, "consumer: %v\n", err)
		return exitUsage
	}
	defer cleanup()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one kills the process the default
	// way: the operator's escape hatch from a shutdown that hangs.
	context.AfterFunc(ctx, stop)
	if err := application.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "consumer: %s\n", firstLine(err))
		return exitFailure
	}
	return exitOK
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		return fmt.Sprintf("consumer %s (%s)", v, bi.GoVersion)
	}
	return "consumer " + v
}
