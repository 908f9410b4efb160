package scaffold

import (
	"fmt"
	"go/token"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// Registered is what the service runs, as its own binary knows it: the
// names of its registered handlers, and its subscriptions (the
// registered defaults as its configuration file overrides them).
type Registered struct {
	Handlers      []string
	Subscriptions []registry.Subscription
}

// PlanHandler returns every change that adds the handler h to the
// repository: its file and its test in internal/service, its
// registration in handlers.go (and the handler passed wherever the
// service package calls NewHandlers itself), its subscription in the
// configuration file. It writes nothing. It refuses, with an error saying
// why, a handler that Validate refuses, a name or topic that known (what
// the service's binary runs) or the repository itself already has: a
// binary built before the last handler was added does not know it, so
// the files, identifiers and configuration file are checked too.
func (r *Repo) PlanHandler(h Handler, known Registered) (*Plan, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	n, err := NamesOf(h.Name)
	if err != nil {
		return nil, err
	}
	if slices.Contains(known.Handlers, h.Name) {
		return nil, fmt.Errorf("handler %q is already registered", h.Name)
	}
	if err := topicTaken(h, known.Subscriptions, ""); err != nil {
		return nil, err
	}
	configured, err := r.configure(h, n)
	if err != nil {
		return nil, err
	}
	service, err := r.serviceFiles()
	if err != nil {
		return nil, err
	}
	created, err := r.generate(h, n, service)
	if err != nil {
		return nil, err
	}
	edited, err := r.register(n, service)
	if err != nil {
		return nil, err
	}
	return &Plan{repo: r, Changes: append(append(created, edited...), configured)}, nil
}

// configure returns the configuration file with h's subscription added,
// refusing a name or topic it already has.
func (r *Repo) configure(h Handler, n Names) (Change, error) {
	src, err := r.read(ConfigFile)
	if err != nil {
		return Change{}, err
	}
	cfg, err := parseConfig(src)
	if err != nil {
		return Change{}, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	if err := topicTaken(h, cfg.subs, " in "+ConfigFile); err != nil {
		return Change{}, err
	}
	out, err := cfg.addSubscription(h.Subscription(), configComment(h, n))
	if err != nil {
		return Change{}, err
	}
	info, err := r.stat(ConfigFile)
	if err != nil {
		return Change{}, err
	}
	return Change{Path: ConfigFile, Old: src, New: out, Mode: info.Mode().Perm()}, nil
}

// register returns the edits of the service package that register the
// handler n: handlers.go, and the files that call NewHandlers.
func (r *Repo) register(n Names, service map[string][]byte) ([]Change, error) {
	src := service[HandlersFile]
	reg, err := parseHandlers(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", HandlersFile, err)
	}
	if reg.registered(n) {
		return nil, fmt.Errorf("handler %q: %s already has %s in its Handlers set", n.Name, HandlersFile, n.Constructor)
	}
	out, err := reg.register(n)
	if err != nil {
		return nil, err
	}
	changes := []Change{{Path: HandlersFile, Old: src, New: out}}
	for _, rel := range sortedKeys(service) {
		if rel == HandlersFile {
			continue
		}
		out, calls, err := passHandler(rel, service[rel], n, reg.file.Name.Name, r.Module+"/"+ServiceDir)
		if err != nil {
			return nil, err
		}
		if calls {
			changes = append(changes, Change{Path: rel, Old: service[rel], New: out})
		}
	}
	for i := range changes {
		info, err := r.stat(changes[i].Path)
		if err != nil {
			return nil, err
		}
		changes[i].Mode = info.Mode().Perm()
	}
	return changes, nil
}

// generate renders the handler's file and its test, and checks that
// neither file exists and that nothing they declare is declared in the
// service package (its files by path in service) already.
func (r *Repo) generate(h Handler, n Names, service map[string][]byte) ([]Change, error) {
	data := newHandlerData(h, n)
	var changes []Change
	files := map[string][]byte{}
	for _, f := range []struct{ tmpl, file string }{{"handler.go.tmpl", n.File}, {"handler_test.go.tmpl", n.TestFile}} {
		rel := path.Join(ServiceDir, f.file)
		if ok, err := r.exists(rel); err != nil || ok {
			if err == nil {
				err = fmt.Errorf("handler name %q: %s already exists", h.Name, rel)
			}
			return nil, err
		}
		src, err := render(f.tmpl, data)
		if err != nil {
			return nil, err
		}
		files[rel] = src
		changes = append(changes, Change{Path: rel, New: src, Mode: 0o644})
	}
	decls, err := declarations(token.NewFileSet(), service)
	if err != nil {
		return nil, fmt.Errorf("%s does not parse, so the new handler's names cannot be checked against it: %w", ServiceDir, err)
	}
	if err := collision(n, files, decls); err != nil {
		return nil, err
	}
	return changes, nil
}

// topicTaken returns an error if h's topic, or its retry topic, is taken
// by one of subs (where says where they come from): the engine refuses a
// topic subscribed twice, and a retry topic that is also subscribed.
func topicTaken(h Handler, subs []registry.Subscription, where string) error {
	for _, s := range subs {
		switch {
		case s.Handler == h.Name:
			return fmt.Errorf("handler %q already has a subscription%s (topic %q)", h.Name, where, s.Topic)
		case s.Topic == h.Topic:
			return fmt.Errorf("topic %q is already subscribed%s, by handler %q", h.Topic, where, s.Handler)
		case h.RetryTopic && s.Topic == h.Topic+".retry":
			return fmt.Errorf("--retry-topic: the retry topic %q is already subscribed%s, by handler %q", s.Topic, where, s.Handler)
		case s.RetryTopic.Enabled && retryTopicOf(s) == h.Topic:
			return fmt.Errorf("topic %q is the retry topic of handler %q's subscription%s (of %q)", h.Topic, s.Handler, where, s.Topic)
		}
	}
	return nil
}

// retryTopicOf is s's retry topic, named by default as the engine does.
func retryTopicOf(s registry.Subscription) string {
	if s.RetryTopic.Topic != "" {
		return s.RetryTopic.Topic
	}
	return s.Topic + ".retry"
}

// configComment is the comment above the handler's entry in the
// configuration file.
func configComment(h Handler, n Names) string {
	text := fmt.Sprintf("%s: the subscription its Registration declares (%s), to tune per environment. "+
		"This entry replaces that one whole: what it leaves out takes the engine's defaults (retry: %d attempts in place).",
		h.Name, path.Join(ServiceDir, n.File), registry.DefaultRetryPolicy().MaxAttempts)
	// The entry sits four columns in (kafka, subscriptions).
	return "# " + strings.Join(wrap(text, commentWidth-len("    # ")), "\n# ")
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
