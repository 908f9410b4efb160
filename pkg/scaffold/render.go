package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"go/format"
	"strings"
	"text/template"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// templates holds the generated files' templates.
//
//go:embed templates/*.tmpl
var templates embed.FS

// commentWidth is where comments of generated code are wrapped, counting
// a tab as four columns.
const commentWidth = 76

// handlerData is what the handler's templates are executed with.
type handlerData struct {
	Names
	Topic string
	Batch bool
	// Sub is the handler's default subscription.
	Sub registry.Subscription
	// OrderingConst names Sub.Ordering's constant in package registry;
	// Linger is Sub.Batch.Linger as Go source.
	OrderingConst, Linger string
	// DeadLetterTopic and RetryTopicName are where the engine writes the
	// messages it gives up on or reschedules.
	DeadLetterTopic, RetryTopicName string
	// The comments that depend on the options.
	TypeDoc, RegistrationDoc, Todo string
}

func newHandlerData(h Handler, n Names) handlerData {
	s := h.Subscription()
	d := handlerData{
		Names: n, Topic: h.Topic, Batch: h.Batch, Sub: s,
		OrderingConst:   map[registry.Ordering]string{registry.OrderingPartition: "OrderingPartition", registry.OrderingKey: "OrderingKey", registry.OrderingNone: "OrderingNone"}[s.Ordering],
		Linger:          fmt.Sprintf("%d * time.Millisecond", s.Batch.Linger.Milliseconds()),
		DeadLetterTopic: h.Topic + ".dlq",
		RetryTopicName:  h.Topic + ".retry",
	}
	kind, order := "one at a time", orderingDoc(s)
	if h.Batch {
		kind = fmt.Sprintf("in batches of up to %d, each handed over at the latest %s after its first message arrived", s.Batch.Size, s.Batch.Linger)
	}
	d.TypeDoc = fmt.Sprintf("%s handles the messages of topic %s, %s.", n.Type, h.Topic, kind)
	retried, final := "retried", "logged as failed and skipped (no dead-letter topic)"
	if s.RetryTopic.Enabled {
		retried = "retried in place, then in rounds through " + d.RetryTopicName
	}
	if s.DeadLetter.Enabled {
		final = "dead-lettered to " + d.DeadLetterTopic
	}
	d.RegistrationDoc = fmt.Sprintf("Registration declares the handler to the engine as %s, subscribed by default to %s in %s. "+
		"A message that fails is %s under the default retry policy, and finally %s. "+
		"An entry of kafka.subscriptions in %s with the same handler and topic replaces this subscription whole.",
		n.Const, h.Topic, order, retried, final, ConfigFile)
	if h.Batch {
		d.Todo = fmt.Sprintf("TODO: handle ev here, or collect the events and handle them in one call after the loop. "+
			"A failure of msgs[i] that may pass (a timeout, a downstream that is down): set failed[i] = err, and the message is %s. "+
			"One that never will: set failed[i] = message.Permanent(err), and the message is %s.", retried, final)
	} else {
		d.Todo = fmt.Sprintf("TODO: handle ev. A failure that may pass (a timeout, a downstream that is down): return it, and the message is %s. "+
			"One that never will: return message.Permanent(err), and the message is %s.", retried, final)
	}
	return d
}

// orderingDoc says how a subscription's messages are ordered.
func orderingDoc(s registry.Subscription) string {
	switch s.Ordering {
	case registry.OrderingKey:
		return fmt.Sprintf("key order (%d workers per partition; the messages of one key in offset order)", s.Workers)
	case registry.OrderingNone:
		return fmt.Sprintf("no order (%d workers per partition)", s.Workers)
	default:
		return "partition order (one worker per partition, in offset order)"
	}
}

// render executes the template name with data and returns the result as
// gofmt formats it.
func render(name string, data any) ([]byte, error) {
	t, err := template.New(name).Funcs(template.FuncMap{"comment": comment}).ParseFS(templates, "templates/"+name)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("template %s makes Go that does not format: %w", name, err)
	}
	return src, nil
}

// comment is text as a // comment indented by indent, its lines wrapped
// at commentWidth.
func comment(indent, text string) string {
	lines := wrap(text, commentWidth-len(indent)*4-len("// "))
	return indent + "// " + strings.Join(lines, "\n"+indent+"// ")
}

// wrap breaks text into lines of at most width bytes, between words (a
// longer word gets a line of its own).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
