package k8s_test

import (
	"fmt"
	"net"
	"path"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/consumerkit/consumerkit"
	"github.com/consumerkit/consumerkit/pkg/config"
)

// knownEnv is what the binary reads (pkg/config's bindings and the
// service's own): a name not bound there would be silently ignored, so a
// typo in the manifests would quietly fall back to a default.
func knownEnv(t *testing.T) []string {
	t.Helper()
	names, err := config.EnvNames(consumerkit.ServiceSettings())
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// effectiveEnv is the container's environment as the kubelet builds it:
// envFrom first, then env entries on top. Values taken from a Secret are
// recorded by name with the value "<secret>".
func effectiveEnv(t *testing.T, c container, cms map[string]map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			data, ok := cms[ef.ConfigMapRef.Name]
			if !ok {
				t.Fatalf("envFrom names ConfigMap %q, which the base does not define", ef.ConfigMapRef.Name)
			}
			for k, v := range data {
				env[ef.Prefix+k] = v
			}
		case ef.SecretRef != nil:
			t.Fatalf("envFrom Secret %q: its variable names cannot be checked; bind each key with env[].valueFrom", ef.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "<secret>"
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			v, ok := cms[ref.Name][ref.Key]
			if !ok {
				t.Fatalf("env %s: ConfigMap %q has no key %q", e.Name, ref.Name, ref.Key)
			}
			env[e.Name] = v
		default:
			env[e.Name] = ""
		}
	}
	return env
}

func TestOnlyKnownEnvironmentVariables(t *testing.T) {
	objs := loadObjects(t)
	env := effectiveEnv(t, mainContainer(loadDeployment(t, objs)), configMaps(t, objs))
	if len(env) == 0 {
		t.Fatal("the container has no environment at all")
	}
	known := knownEnv(t)
	for name := range env {
		if !slices.Contains(known, name) {
			t.Errorf("env %s is not bound by pkg/config: the binary would ignore it", name)
		}
	}
}

func TestBrokersAreConfigured(t *testing.T) {
	objs := loadObjects(t)
	env := effectiveEnv(t, mainContainer(loadDeployment(t, objs)), configMaps(t, objs))
	brokers := strings.TrimSpace(env["KAFKA_BROKERS"])
	if brokers == "" {
		t.Fatal("KAFKA_BROKERS is empty: the pod would run the embedded in-process broker")
	}
	for _, b := range strings.Split(brokers, ",") {
		if host, port, err := net.SplitHostPort(strings.TrimSpace(b)); err != nil || host == "" || port == "" {
			t.Errorf("KAFKA_BROKERS entry %q is not host:port", b)
		}
	}
}

func TestAdminTokenComesFromOptionalSecret(t *testing.T) {
	objs := loadObjects(t)
	for name, data := range configMaps(t, objs) {
		if _, ok := data["ADMIN_TOKEN"]; ok {
			t.Errorf("ConfigMap %s holds ADMIN_TOKEN: a secret belongs in a Secret", name)
		}
	}
	c := mainContainer(loadDeployment(t, objs))
	for _, e := range c.Env {
		if e.Name != "ADMIN_TOKEN" {
			continue
		}
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Fatal("ADMIN_TOKEN must come from a Secret")
		}
		ref := e.ValueFrom.SecretKeyRef
		optional := ref.Optional != nil && *ref.Optional
		if ref.Name != "consumerkit-admin" || ref.Key != "token" || !optional {
			t.Errorf("ADMIN_TOKEN from Secret %q key %q optional %t; want consumerkit-admin/token, optional",
				ref.Name, ref.Key, optional)
		}
		return
	}
	t.Error("ADMIN_TOKEN is not bound")
}

func TestConfigFileIsMountedAndKnown(t *testing.T) {
	objs := loadObjects(t)
	d := loadDeployment(t, objs)
	c := mainContainer(d)
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("args %q do not pass --config PATH", c.Args)
	}
	file := c.Args[i+1]
	dir, base := path.Split(file)
	dir = path.Clean(dir)

	var volume string
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) == dir {
			volume = m.Name
			if !m.ReadOnly {
				t.Errorf("mount %s is writable; config should be read-only", m.MountPath)
			}
		}
	}
	if volume == "" {
		t.Fatalf("no volume is mounted at %s, where --config points", dir)
	}
	var cmName string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == volume && v.ConfigMap != nil {
			cmName = v.ConfigMap.Name
		}
	}
	if cmName == "" {
		t.Fatalf("volume %s is not a ConfigMap", volume)
	}
	content, ok := configMaps(t, objs)[cmName][base]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %s", cmName, base)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(content), &cfg); err != nil {
		t.Fatalf("%s in ConfigMap %s: %v", base, cmName, err)
	}
	kafka, _ := cfg["kafka"].(map[string]any)
	if g, _ := kafka["group_id"].(string); g == "" {
		t.Errorf("%s: kafka.group_id is not set", base)
	}
	// The binary loads it, with the pod's environment, as it would at
	// start: an unknown section or field, or a bad setting, fails here.
	env := effectiveEnv(t, c, configMaps(t, objs))
	src := config.Source{
		Args:      []string{"--config", file},
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if p != file {
				return nil, fmt.Errorf("%s is not mounted", p)
			}
			return []byte(content), nil
		},
	}
	if _, err := config.Load("consumer", src, consumerkit.ServiceSettings()); err != nil {
		t.Errorf("%s does not load as the binary would load it:\n%v", base, err)
	}
}
