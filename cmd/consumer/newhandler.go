package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/consumerkit/consumerkit"
	"github.com/consumerkit/consumerkit/pkg/config"
	"github.com/consumerkit/consumerkit/pkg/registry"
	"github.com/consumerkit/consumerkit/pkg/scaffold"
)

const newHandlerUsage = `usage: consumer new handler NAME --topic TOPIC [--batch] [--ordering partition|key|none] [--workers N]
                            [--dead-letter=false] [--retry-topic] [--dry-run] [--dir DIR]

Adds the handler NAME (kebab-case) to the service in DIR: its file and its test in
internal/service, its registration in internal/service/handlers.go, its subscription in
deploy/k8s/config.yaml; then regenerates wire_gen.go. It refuses (exit 2, nothing written)
an invalid name or topic, a name or topic the service already has, a directory that is not
a service repository, and a wire_gen.go that is not what Wire generates from the sources.
`

// newHandler runs `consumer new handler`: it checks everything, plans
// every change, and only then writes (or, with --dry-run, prints) them.
func newHandler(args []string, stdout, stderr io.Writer) int {
	h, dir, dryRun, err := parseNewHandler(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, newHandlerUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "consumer new handler: %v\n", err)
		return exitUsage
	}
	// Ctrl-C stops Wire, and Apply then restores every file, instead of
	// the process dying between the writes and the generation.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	plan, err := planHandler(ctx, h, dir)
	if err != nil {
		fmt.Fprintf(stderr, "consumer new handler: %v\n", err)
		return exitUsage
	}
	if dryRun {
		if err := plan.Diff(stdout); err != nil {
			fmt.Fprintf(stderr, "consumer new handler: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	if err := plan.Apply(ctx, scaffold.GoToolWire); err != nil {
		// All of it: a file that could not be restored is on a line of
		// its own.
		fmt.Fprintf(stderr, "consumer new handler: %v\n", err)
		return exitFailure
	}
	for _, line := range plan.Summary() {
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stdout, "next: write the handler's logic at its TODO, then go test ./%s/\n", scaffold.ServiceDir)
	return exitOK
}

// parseNewHandler reads NAME, before or after the flags, and the flags.
func parseNewHandler(args []string) (h scaffold.Handler, dir string, dryRun bool, err error) {
	fs := flag.NewFlagSet("consumer new handler", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&h.Topic, "topic", "", "the topic it consumes")
	fs.BoolVar(&h.Batch, "batch", false, "a batch handler (100 messages or 200ms), in partition order")
	ordering := fs.String("ordering", string(registry.OrderingPartition), "partition, key or none")
	workers := fs.Int("workers", 0, fmt.Sprintf("workers per partition in key and none ordering (default %d)", scaffold.DefaultKeyWorkers))
	deadLetter := fs.Bool("dead-letter", true, "dead-letter a message that finally fails to TOPIC.dlq (--dead-letter=false: log it and move on)")
	fs.BoolVar(&h.RetryTopic, "retry-topic", false, "retry in rounds through TOPIC.retry before dead-lettering")
	fs.BoolVar(&dryRun, "dry-run", false, "print the changes, write nothing")
	fs.StringVar(&dir, "dir", ".", "the service repository")
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		h.Name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return h, dir, dryRun, err
	}
	if h.Name == "" && fs.NArg() > 0 {
		h.Name = fs.Arg(0)
		err = fs.Parse(fs.Args()[1:])
	}
	switch {
	case err != nil:
		return h, dir, dryRun, err
	case fs.NArg() > 0:
		return h, dir, dryRun, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case h.Name == "":
		return h, dir, dryRun, errors.New("missing NAME: consumer new handler NAME --topic TOPIC [flags] (-h for more)")
	case h.Topic == "":
		return h, dir, dryRun, errors.New("missing --topic")
	}
	h.Ordering, h.Workers, h.NoDeadLetter = registry.Ordering(*ordering), *workers, !*deadLetter
	workersSet := false
	fs.Visit(func(f *flag.Flag) { workersSet = workersSet || f.Name == "workers" })
	if workersSet && *workers < 1 {
		return h, dir, dryRun, fmt.Errorf("--workers %d: must be at least 1", *workers)
	}
	return h, dir, dryRun, nil
}

// planHandler checks the repository in dir, with what this binary's
// service registers and subscribes, and plans the handler h in it.
func planHandler(ctx context.Context, h scaffold.Handler, dir string) (*scaffold.Plan, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	repo, err := scaffold.OpenRepo(dir)
	if err != nil {
		return nil, err
	}
	known, err := registered(filepath.Join(dir, filepath.FromSlash(scaffold.ConfigFile)))
	if err != nil {
		return nil, err
	}
	plan, err := repo.PlanHandler(h, known)
	if err != nil {
		return nil, err
	}
	if err := repo.CheckWire(ctx, scaffold.GoToolWire); err != nil {
		return nil, err
	}
	return plan, nil
}

// registered is what this binary's service runs with the repository's
// configuration file: its handlers' names and resolved subscriptions.
// The binary is the service's own, so it knows them; only the file is
// read, not the environment, which says nothing about the repository.
func registered(configFile string) (scaffold.Registered, error) {
	svc := consumerkit.ServiceSettings()
	src := config.Source{
		Args:      []string{"--config", configFile},
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  os.ReadFile,
	}
	cfg, err := config.Load("consumer", src, svc)
	if err != nil {
		return scaffold.Registered{}, fmt.Errorf("the service cannot load %s: %s", scaffold.ConfigFile, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	handlers, cleanup, err := consumerkit.InitializeRegistry(cfg, svc)
	if err != nil {
		return scaffold.Registered{}, fmt.Errorf("build the service's handlers: %w", err)
	}
	defer cleanup()
	return scaffold.Registered{Handlers: handlers.Names(), Subscriptions: handlers.Subscriptions(cfg.Kafka.Subscriptions)}, nil
}
