package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/consumerkit/consumerkit/pkg/scaffold"
)

// newService implements `consumer new service`: a new service from the
// framework checkout it runs in (see scaffold.NewService). Exit codes: 2
// when it refuses (nothing written), 1 when a step failed (the directory
// is left for inspection).
func newService(args []string, stdout, stderr io.Writer) int {
	var o scaffold.ServiceOptions
	fs := flag.NewFlagSet("consumer new service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Module, "module", "", "module path of the new service (required), e.g. github.com/acme/payments-consumer")
	fs.StringVar(&o.Dir, "dir", "", "directory to write it to: absent or empty (required)")
	fs.StringVar(&o.From, "from", "", "the framework checkout to copy the service from (default: the module root of the working directory)")
	fs.StringVar(&o.Name, "name", "", "the service's name in manifests, labels and dashboards (default: the module path's last element)")
	fs.BoolVar(&o.NoExample, "no-example", false, "leave out the example: a service with no handler")
	fs.StringVar(&o.FrameworkReplace, "framework-replace", "", "require the framework through a replace to this checkout (default: the --from checkout)")
	fs.StringVar(&o.FrameworkVersion, "framework-version", "", "require this published framework version instead of a replace, e.g. v1.2.0")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "consumer new service: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	o.Out = stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := scaffold.NewService(ctx, o)
	var refused *scaffold.ServiceRefusal
	var step *scaffold.ServiceStepError
	switch {
	case err == nil:
		fmt.Fprintf(stdout, "created %s in %s\n  cd %s\n  go run ./cmd/consumer run\n  make test\n", o.Module, o.Dir, o.Dir)
		return exitOK
	case errors.As(err, &refused):
		fmt.Fprintf(stderr, "consumer new service: refused, nothing written:\n%v\n", err)
		return exitUsage
	case errors.As(err, &step):
		fmt.Fprintf(stderr, "consumer new service: %v\n%s\nThe directory is left as it is for inspection; remove it before running the command again.\n", err, step.Output)
		return exitFailure
	default:
		fmt.Fprintf(stderr, "consumer new service: %v\n", err)
		return exitFailure
	}
}
