package k8s_test

import (
	"os"
	"strconv"
	"testing"
	"time"
)

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
