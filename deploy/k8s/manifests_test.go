package k8s_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"gopkg.in/yaml.v3"

	"github.com/consumerkit/consumerkit"
	"github.com/consumerkit/consumerkit/internal/config"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// knownEnv is what the binary reads (internal/config's bindings and the
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

const (
	adminPortName = "admin"
	adminPort     = 9090
)

// --- the shapes of the manifests, only as far as the tests look ---

type kustomization struct {
	Resources    []string          `yaml:"resources"`
	CommonLabels map[string]string `yaml:"commonLabels"`
	Labels       []struct {
		Pairs map[string]string `yaml:"pairs"`
	} `yaml:"labels"`
}

type metadata struct {
	Name        string            `yaml:"name"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// object is one YAML document of a resource file.
type object struct {
	File       string
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	node       *yaml.Node
}

// intOrString holds a Kubernetes IntOrString (a port number or a port name).
type intOrString string

func (v *intOrString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a port number or name", n.Line)
	}
	*v = intOrString(n.Value)
	return nil
}

type probe struct {
	HTTPGet *struct {
		Path string      `yaml:"path"`
		Port intOrString `yaml:"port"`
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name     string `yaml:"name"`
			Key      string `yaml:"key"`
			Optional *bool  `yaml:"optional"`
		} `yaml:"secretKeyRef"`
		ConfigMapKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"configMapKeyRef"`
	} `yaml:"valueFrom"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Args    []string `yaml:"args"`
	Env     []envVar `yaml:"env"`
	EnvFrom []struct {
		Prefix       string `yaml:"prefix"`
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe   *probe `yaml:"startupProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type deployment struct {
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata metadata `yaml:"metadata"`
			Spec     struct {
				TerminationGracePeriodSeconds *int64      `yaml:"terminationGracePeriodSeconds"`
				Containers                    []container `yaml:"containers"`
				Volumes                       []struct {
					Name      string `yaml:"name"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type service struct {
	Spec struct {
		Type     string            `yaml:"type"`
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string      `yaml:"name"`
			Port       int         `yaml:"port"`
			TargetPort intOrString `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type configMap struct {
	Data map[string]string `yaml:"data"`
}

// --- loading ---

func loadKustomization(t *testing.T) kustomization {
	t.Helper()
	raw, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if len(k.Resources) == 0 {
		t.Fatal("kustomization.yaml lists no resources")
	}
	return k
}

// decodeAll parses every YAML document of one file.
func decodeAll(file string) ([]object, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var objs []object
	for i := 0; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i, err)
		}
		if len(n.Content) == 0 || n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" {
			continue // an empty document, e.g. after a trailing ---
		}
		o := object{File: file, node: &n}
		if err := n.Decode(&o); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func loadObjects(t *testing.T) []object {
	t.Helper()
	var all []object
	for _, file := range loadKustomization(t).Resources {
		objs, err := decodeAll(file)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, objs...)
	}
	return all
}

// only returns the one object of a kind and decodes it into out.
func only(t *testing.T, objs []object, kind string, out any) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s in the base, found %d", kind, len(found))
	}
	if err := found[0].node.Decode(out); err != nil {
		t.Fatalf("%s %s: %v", kind, found[0].Metadata.Name, err)
	}
	return found[0]
}

func configMaps(t *testing.T, objs []object) map[string]map[string]string {
	t.Helper()
	cms := map[string]map[string]string{}
	for _, o := range objs {
		if o.Kind != "ConfigMap" {
			continue
		}
		var cm configMap
		if err := o.node.Decode(&cm); err != nil {
			t.Fatalf("ConfigMap %s: %v", o.Metadata.Name, err)
		}
		cms[o.Metadata.Name] = cm.Data
	}
	return cms
}

func loadDeployment(t *testing.T, objs []object) deployment {
	t.Helper()
	var d deployment
	only(t, objs, "Deployment", &d)
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("want one container in the pod, found %d", n)
	}
	return d
}

func mainContainer(d deployment) container { return d.Spec.Template.Spec.Containers[0] }

// resolvePort turns a probe or Service target port (number or name) into the
// container port number it reaches, or fails.
func resolvePort(t *testing.T, c container, p intOrString) (name string, number int) {
	t.Helper()
	if n, err := strconv.Atoi(string(p)); err == nil {
		for _, cp := range c.Ports {
			if cp.ContainerPort == n {
				return cp.Name, n
			}
		}
		t.Fatalf("port %d is not a declared container port", n)
	}
	for _, cp := range c.Ports {
		if cp.Name == string(p) {
			return cp.Name, cp.ContainerPort
		}
	}
	t.Fatalf("port name %q is not a declared container port", p)
	return "", 0
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

// parseQuantity parses the memory quantities used here (plain bytes, binary
// Ki..Ti and decimal k..T suffixes).
func parseQuantity(q string) (int64, error) {
	suffixes := []struct {
		s string
		m int64
	}{
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	}
	mult := int64(1)
	num := q
	for _, s := range suffixes {
		if strings.HasSuffix(q, s.s) {
			mult, num = s.m, strings.TrimSuffix(q, s.s)
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("quantity %q: want a positive integer with an optional suffix", q)
	}
	return n * mult, nil
}

// --- tests ---

func TestKustomizationListsExistingFiles(t *testing.T) {
	k := loadKustomization(t)
	name := k.CommonLabels["app.kubernetes.io/name"]
	for _, l := range k.Labels {
		if v, ok := l.Pairs["app.kubernetes.io/name"]; ok {
			name = v
		}
	}
	if name != "consumerkit" {
		t.Errorf("kustomization.yaml: label app.kubernetes.io/name = %q, want consumerkit", name)
	}
	for _, file := range k.Resources {
		if _, err := os.Stat(file); err != nil {
			t.Errorf("resource %s: %v", file, err)
			continue
		}
		objs, err := decodeAll(file)
		if err != nil {
			t.Error(err)
			continue
		}
		if len(objs) == 0 {
			t.Errorf("%s holds no object", file)
		}
		for i, o := range objs {
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s document %d: apiVersion %q, kind %q, metadata.name %q: all are required",
					file, i, o.APIVersion, o.Kind, o.Metadata.Name)
			}
		}
	}
}

func TestProbesUseAdminEndpoints(t *testing.T) {
	c := mainContainer(loadDeployment(t, loadObjects(t)))
	for _, p := range []struct {
		kind  string
		probe *probe
		path  string
	}{
		{"startupProbe", c.StartupProbe, "/healthz"},
		{"livenessProbe", c.LivenessProbe, "/healthz"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe on %s", p.kind, p.path)
			continue
		}
		if got := p.probe.HTTPGet.Path; got != p.path {
			t.Errorf("%s: path %q, want %q", p.kind, got, p.path)
		}
		name, number := resolvePort(t, c, p.probe.HTTPGet.Port)
		if name != adminPortName || number != adminPort {
			t.Errorf("%s: port %q reaches %s/%d, want the admin port %s/%d",
				p.kind, p.probe.HTTPGet.Port, name, number, adminPortName, adminPort)
		}
	}
	if c.LivenessProbe != nil && (c.LivenessProbe.PeriodSeconds != 10 || c.LivenessProbe.FailureThreshold != 3) {
		t.Errorf("livenessProbe: period %ds, threshold %d; want 10s and 3",
			c.LivenessProbe.PeriodSeconds, c.LivenessProbe.FailureThreshold)
	}
}

func TestAdminListensOnAllInterfacesInCluster(t *testing.T) {
	objs := loadObjects(t)
	env := effectiveEnv(t, mainContainer(loadDeployment(t, objs)), configMaps(t, objs))
	addr, ok := env["ADMIN_ADDR"]
	if !ok {
		t.Fatal("ADMIN_ADDR is not set: the default 127.0.0.1:9090 is unreachable for probes and Prometheus")
	}
	if addr != ":9090" {
		t.Errorf("ADMIN_ADDR = %q, want \":9090\"", addr)
	}
}

func TestGracePeriodExceedsShutdownTimeout(t *testing.T) {
	objs := loadObjects(t)
	d := loadDeployment(t, objs)
	env := effectiveEnv(t, mainContainer(d), configMaps(t, objs))
	raw, ok := env["SHUTDOWN_TIMEOUT"]
	if !ok {
		t.Fatal("SHUTDOWN_TIMEOUT is not set in the manifests; set it so the grace period can be checked against it")
	}
	shutdown, err := time.ParseDuration(raw)
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT %q: %v", raw, err)
	}
	grace := 30 * time.Second // the Kubernetes default
	if g := d.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	if grace <= shutdown {
		t.Errorf("terminationGracePeriodSeconds %v must exceed SHUTDOWN_TIMEOUT %v, or SIGKILL lands mid-drain", grace, shutdown)
	}
}

func TestMemoryLimitIsSet(t *testing.T) {
	c := mainContainer(loadDeployment(t, loadObjects(t)))
	raw, ok := c.Resources.Limits["memory"]
	if !ok {
		t.Fatal("no memory limit: GOMEMLIMIT is derived from it, and without one the pod can grow until the node evicts it")
	}
	limit, err := parseQuantity(raw)
	if err != nil {
		t.Fatalf("limits.memory: %v", err)
	}
	if req, ok := c.Resources.Requests["memory"]; ok {
		request, err := parseQuantity(req)
		if err != nil {
			t.Fatalf("requests.memory: %v", err)
		}
		if request > limit {
			t.Errorf("requests.memory %s exceeds limits.memory %s", req, raw)
		}
	}
}

func TestServiceSelectsPods(t *testing.T) {
	objs := loadObjects(t)
	d := loadDeployment(t, objs)
	c := mainContainer(d)
	var svc service
	svcObj := only(t, objs, "Service", &svc)

	podLabels := d.Spec.Template.Metadata.Labels
	if len(svc.Spec.Selector) == 0 {
		t.Error("Service has no selector")
	}
	for k, v := range svc.Spec.Selector {
		if podLabels[k] != v {
			t.Errorf("Service selector %s=%s does not match pod label %s=%q", k, v, k, podLabels[k])
		}
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if podLabels[k] != v {
			t.Errorf("Deployment selector %s=%s does not match pod label %s=%q", k, v, k, podLabels[k])
		}
	}

	if svc.Spec.Type != "" && svc.Spec.Type != "ClusterIP" {
		t.Errorf("Service type %s, want ClusterIP", svc.Spec.Type)
	}
	found := false
	for _, p := range svc.Spec.Ports {
		if p.Port != adminPort {
			continue
		}
		found = true
		target := p.TargetPort
		if target == "" {
			target = intOrString(strconv.Itoa(p.Port))
		}
		if _, number := resolvePort(t, c, target); number != adminPort {
			t.Errorf("Service port %d targets container port %d, want %d", p.Port, number, adminPort)
		}
		if p.Name != adminPortName {
			t.Errorf("Service port %d is named %q, want %q", p.Port, p.Name, adminPortName)
		}
	}
	if !found {
		t.Errorf("Service exposes no port %d", adminPort)
	}

	ann := svcObj.Metadata.Annotations
	for k, want := range map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(adminPort),
		"prometheus.io/path":   "/metrics",
	} {
		if ann[k] != want {
			t.Errorf("Service annotation %s = %q, want %q", k, ann[k], want)
		}
	}
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
			t.Errorf("env %s is not bound by internal/config: the binary would ignore it", name)
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
