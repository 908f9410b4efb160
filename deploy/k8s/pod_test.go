package k8s_test

import (
	"errors"
	"fmt"
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/consumerkit/consumerkit"
	"github.com/consumerkit/consumerkit/pkg/config"
)

// secretValue stands for a value the kubelet takes from a Secret.
const secretValue = "<secret>"

// pod is what the rendered Deployment's pods run with: the one container,
// its environment as the kubelet builds it, and the configuration the
// binary loads from that environment and the mounted configuration file,
// with the topics its handlers subscribe.
type pod struct {
	r *rendered
	c corev1.Container
	// env maps each variable to its value; one taken from a Secret is
	// secretValue, and its reference is in secrets.
	env     map[string]string
	secrets map[string]*corev1.SecretKeySelector
	// configFile is the --config path and configMap the ConfigMap mounted
	// there.
	configFile, configMap string
	cfg                   config.Config
	topics                []string
}

// analyze derives the pod of r, or says why the binary could not start
// in it (no single container, a reference that resolves to nothing, a
// configuration that does not load).
func analyze(r *rendered) (*pod, error) {
	cs := r.Deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		return nil, fmt.Errorf("Deployment %s: want one container in the pod, found %d", r.Deployment.Name, len(cs))
	}
	p := &pod{r: r, c: cs[0], env: map[string]string{}, secrets: map[string]*corev1.SecretKeySelector{}}
	if err := p.buildEnv(); err != nil {
		return nil, err
	}
	if err := p.loadConfig(); err != nil {
		return nil, err
	}
	return p, nil
}

// buildEnv applies envFrom, then env on top, as the kubelet does.
func (p *pod) buildEnv() error {
	for _, ef := range p.c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, ok := p.r.ConfigMaps[ef.ConfigMapRef.Name]
			if !ok {
				return fmt.Errorf("envFrom names ConfigMap %q, which the manifests do not define", ef.ConfigMapRef.Name)
			}
			for k, v := range cm.Data {
				p.env[ef.Prefix+k] = v
			}
		case ef.SecretRef != nil:
			return fmt.Errorf("envFrom Secret %q: its variable names cannot be checked; bind each key with env[].valueFrom", ef.SecretRef.Name)
		}
	}
	for _, e := range p.c.Env {
		switch {
		case e.ValueFrom == nil:
			p.env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			p.env[e.Name] = secretValue
			p.secrets[e.Name] = e.ValueFrom.SecretKeyRef
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := p.r.ConfigMaps[ref.Name]
			if !ok {
				return fmt.Errorf("env %s: ConfigMap %q is not in the manifests", e.Name, ref.Name)
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				return fmt.Errorf("env %s: ConfigMap %q has no key %q", e.Name, ref.Name, ref.Key)
			}
			p.env[e.Name] = v
		default: // the downward API: known only in the running pod
			p.env[e.Name] = ""
		}
	}
	return nil
}

// loadConfig loads the configuration as the binary does at start, from
// its arguments, the pod's environment and the file mounted where
// --config points, and asks the service's handlers for the subscriptions
// it runs (their registered ones, as the file overrides them), as
// `consumer config` prints them.
func (p *pod) loadConfig() error {
	args := p.c.Args
	if len(args) == 0 || args[0] != "run" {
		return fmt.Errorf("container args %q: want the run command first", args)
	}
	i := slices.Index(args, "--config")
	if i < 0 || i+1 >= len(args) {
		return fmt.Errorf("container args %q do not pass --config PATH", args)
	}
	p.configFile = args[i+1]
	dir, key := path.Split(p.configFile)
	var volume string
	for _, m := range p.c.VolumeMounts {
		if path.Clean(m.MountPath) == path.Clean(dir) {
			volume = m.Name
		}
	}
	if volume == "" {
		return fmt.Errorf("no volume is mounted at %s, where --config points", dir)
	}
	for _, v := range p.r.Deployment.Spec.Template.Spec.Volumes {
		if v.Name == volume && v.ConfigMap != nil {
			p.configMap = v.ConfigMap.Name
		}
	}
	cm, ok := p.r.ConfigMaps[p.configMap]
	if !ok {
		return fmt.Errorf("volume %s, mounted at %s, is not one of the manifests' ConfigMaps", volume, dir)
	}
	content, ok := cm.Data[key]
	if !ok {
		return fmt.Errorf("ConfigMap %s has no key %s, which --config reads", cm.Name, key)
	}
	svc := consumerkit.ServiceSettings()
	cfg, err := config.Load("consumer", config.Source{
		Args:      args[1:],
		LookupEnv: func(k string) (string, bool) { v, ok := p.env[k]; return v, ok },
		ReadFile: func(name string) ([]byte, error) {
			if name != p.configFile {
				return nil, fmt.Errorf("%s is not mounted in the pod", name)
			}
			return []byte(content), nil
		},
	}, svc)
	if err != nil {
		return fmt.Errorf("the binary would not start: %s (ConfigMap %s) with the pod's environment does not load:\n%w", key, cm.Name, err)
	}
	handlers, cleanup, err := consumerkit.InitializeRegistry(cfg, svc)
	if err != nil {
		return fmt.Errorf("the service's handlers: %w", err)
	}
	defer cleanup()
	for _, s := range handlers.Subscriptions(cfg.Kafka.Subscriptions) {
		if !slices.Contains(p.topics, s.Topic) {
			p.topics = append(p.topics, s.Topic)
		}
	}
	p.cfg = cfg
	return nil
}

// containerPort resolves a port given by name or number to the
// container's port of that name or number.
func (p *pod) containerPort(name string, number int32) (corev1.ContainerPort, error) {
	for _, cp := range p.c.Ports {
		if name != "" && cp.Name == name || name == "" && cp.ContainerPort == number {
			return cp, nil
		}
	}
	if name != "" {
		return corev1.ContainerPort{}, fmt.Errorf("port %q is not a port of container %s", name, p.c.Name)
	}
	return corev1.ContainerPort{}, fmt.Errorf("port %d is not a port of container %s", number, p.c.Name)
}

// errs collects the problems one check finds.
type errs []error

func (e *errs) add(format string, args ...any) { *e = append(*e, fmt.Errorf(format, args...)) }

// joined is the problems as one error, or nil.
func (e errs) joined() error { return errors.Join(e...) }
