package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/consumerkit/consumerkit/pkg/registry"
)

// configDoc is the configuration file as YAML nodes, so that an edit
// keeps its comments, and its subscriptions, decoded.
type configDoc struct {
	doc yaml.Node
	// subs are the entries of kafka.subscriptions.
	subs []registry.Subscription
}

// parseConfig parses the configuration file src. Its top level must be a
// mapping (or empty), kafka a mapping and kafka.subscriptions a list of
// subscriptions, when present.
func parseConfig(src []byte) (*configDoc, error) {
	c := &configDoc{}
	if err := yaml.Unmarshal(src, &c.doc); err != nil {
		return nil, err
	}
	if c.doc.Kind == 0 { // an empty file
		c.doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if root := c.doc.Content[0]; root.Kind != yaml.MappingNode {
		return nil, errors.New("its top level is not a mapping")
	}
	kafka := value(c.doc.Content[0], "kafka")
	if kafka == nil {
		return c, nil
	}
	if kafka.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: kafka is not a mapping", kafka.Line)
	}
	subs := value(kafka, "subscriptions")
	if subs == nil {
		return c, nil
	}
	if subs.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: kafka.subscriptions is not a list", subs.Line)
	}
	if err := subs.Decode(&c.subs); err != nil {
		return nil, fmt.Errorf("kafka.subscriptions: %w", err)
	}
	return c, nil
}

// value returns the value of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// configEntry is a subscription as the generator writes it into the
// configuration file: what the handler's Registration declares, in the
// order people read it, without what the engine's defaults already say.
type configEntry struct {
	Topic      string        `yaml:"topic"`
	Handler    string        `yaml:"handler"`
	Ordering   string        `yaml:"ordering"`
	Workers    int           `yaml:"workers,omitempty"`
	Batch      *batchEntry   `yaml:"batch,omitempty"`
	DeadLetter *enabledEntry `yaml:"dead_letter,omitempty"`
	RetryTopic *enabledEntry `yaml:"retry_topic,omitempty"`
}

type batchEntry struct {
	Size   int           `yaml:"size"`
	Linger time.Duration `yaml:"linger"`
}

type enabledEntry struct {
	Enabled bool `yaml:"enabled"`
}

// entryOf is s as a configuration entry. Its retry policy is left out: it
// is the engine's default, registry.DefaultRetryPolicy.
func entryOf(s registry.Subscription) configEntry {
	e := configEntry{Topic: s.Topic, Handler: s.Handler, Ordering: string(s.Ordering), Workers: s.Workers}
	if s.Batch.Size > 0 {
		e.Batch = &batchEntry{Size: s.Batch.Size, Linger: s.Batch.Linger}
	}
	if s.DeadLetter.Enabled {
		e.DeadLetter = &enabledEntry{Enabled: true}
	}
	if s.RetryTopic.Enabled {
		e.RetryTopic = &enabledEntry{Enabled: true}
	}
	return e
}

// addSubscription returns the file with s appended to kafka.subscriptions
// (created, with kafka, when absent) under comment, its other comments
// and entries as they were, indented by two spaces.
func (c *configDoc) addSubscription(s registry.Subscription, comment string) ([]byte, error) {
	var item yaml.Node
	if err := item.Encode(entryOf(s)); err != nil {
		return nil, fmt.Errorf("encode subscription: %w", err)
	}
	item.HeadComment = comment
	kafka := child(c.doc.Content[0], "kafka")
	subs := child(kafka, "subscriptions")
	subs.Kind, subs.Tag, subs.Style = yaml.SequenceNode, "!!seq", 0 // block style, even if it was []
	subs.Content = append(subs.Content, &item)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&c.doc); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ConfigFile, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ConfigFile, err)
	}
	return out.Bytes(), nil
}

// child returns the value of key in mapping m, appending key with an
// empty value when absent. A comment at the foot of m was written after
// its last entry, where the new key goes: it becomes the key's head
// comment, so that it still reads right above it.
func child(m *yaml.Node, key string) *yaml.Node {
	if v := value(m, key); v != nil {
		return v
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	// yaml.v3 keeps such a comment on the last key, its value or m.
	feet := []*yaml.Node{m}
	if n := len(m.Content); n >= 2 {
		feet = append(feet, m.Content[n-2], m.Content[n-1])
	}
	for _, f := range feet {
		if f.FootComment != "" {
			k.HeadComment, f.FootComment = f.FootComment, ""
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, k, v)
	return v
}
