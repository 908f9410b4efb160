package k8s_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// renderOverlay renders a kustomization written to a temporary directory:
// its resources are base (a directory of this repository) and the
// resources files, copied beside it from this repository (kustomize
// loads files from within a kustomization only); body follows (patches,
// replicas and the like, in kustomization syntax).
func renderOverlay(t *testing.T, base, body string, resources ...string) (*rendered, error) {
	t.Helper()
	abs, err := filepath.Abs(base)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rel, err := filepath.Rel(dir, abs) // kustomize takes no absolute path of a base
	if err != nil {
		t.Fatal(err)
	}
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - " + rel + "\n"
	for _, r := range resources {
		data, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(r)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		k += "  - " + filepath.Base(r) + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return render(dir)
}

// checkByName returns the check of that name.
func checkByName(t *testing.T, name string) check {
	t.Helper()
	for _, c := range checks() {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no check %q", name)
	return check{}
}

// patch is a strategic-merge patch of the kustomization syntax.
func patch(yaml string) string {
	return "patches:\n  - patch: |-\n" + indent(yaml, "      ")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestShutdownTimeoutAboveTheGracePeriodFailsNamingBoth: an overlay that
// raises SHUTDOWN_TIMEOUT to 60s and leaves terminationGracePeriodSeconds
// at 45 fails the grace period check, and the message names both values.
func TestShutdownTimeoutAboveTheGracePeriodFailsNamingBoth(t *testing.T) {
	err := checkGracePeriod(withShutdownTimeout(t, "60s"))
	if err == nil {
		t.Fatal("SHUTDOWN_TIMEOUT 60s with terminationGracePeriodSeconds 45 passed the grace period check")
	}
	for _, want := range []string{"terminationGracePeriodSeconds 45s", "SHUTDOWN_TIMEOUT 60s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the failure does not say %q:\n%v", want, err)
		}
	}
}

// withShutdownTimeout is the pod of prod with SHUTDOWN_TIMEOUT set to d
// and terminationGracePeriodSeconds left at 45.
func withShutdownTimeout(t *testing.T, d string) *pod {
	t.Helper()
	r, err := renderOverlay(t, filepath.Join(overlaysDir, "prod"), patch(`apiVersion: v1
kind: ConfigMap
metadata:
  name: consumerkit-env
data:
  SHUTDOWN_TIMEOUT: `+d))
	if err != nil {
		t.Fatal(err)
	}
	p, err := analyze(r)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGracePeriodKeepsTheMargin: below the grace period is not enough;
// SHUTDOWN_TIMEOUT 40s leaves 5s of the 45s and fails, 34s leaves 11s and
// passes.
func TestGracePeriodKeepsTheMargin(t *testing.T) {
	if err := checkGracePeriod(withShutdownTimeout(t, "40s")); err == nil || !strings.Contains(err.Error(), "plus the margin 10s") {
		t.Errorf("SHUTDOWN_TIMEOUT 40s, grace 45s: %v; want a failure naming the margin", err)
	}
	if err := checkGracePeriod(withShutdownTimeout(t, "34s")); err != nil {
		t.Errorf("SHUTDOWN_TIMEOUT 34s, grace 45s: %v", err)
	}
}

// TestRenderingRejectsAnUnknownField: a misspelled field of a built-in
// kind fails the rendering, as the API server's strict field validation
// would reject it, instead of being dropped without a word.
func TestRenderingRejectsAnUnknownField(t *testing.T) {
	_, err := renderOverlay(t, filepath.Join(overlaysDir, "prod"), patch(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: consumerkit
spec:
  template:
    spec:
      terminationGracePeriodSecond: 90`))
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.template.spec.terminationGracePeriodSecond"`) {
		t.Fatalf("err = %v; want the unknown field named", err)
	}
}

// TestNamePrefixKeepsTheScaledObjectOnTheDeployment: kustomize renames
// the ScaledObject's target with the Deployment (kustomizeconfig.yaml),
// so an overlay's namePrefix does not leave KEDA scaling nothing.
func TestNamePrefixKeepsTheScaledObjectOnTheDeployment(t *testing.T) {
	r, err := renderOverlay(t, filepath.Join(overlaysDir, "prod"), "namePrefix: team-\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Deployment.Name != "team-consumerkit" || len(r.ScaledObjects) != 1 {
		t.Fatalf("Deployment %s, %d ScaledObjects: the overlay did not apply", r.Deployment.Name, len(r.ScaledObjects))
	}
	if got := r.ScaledObjects[0].Spec.ScaleTargetRef.Name; got != r.Deployment.Name {
		t.Errorf("the ScaledObject targets %q, the Deployment is %q", got, r.Deployment.Name)
	}
}

// TestChecksCatchBrokenOverlays: each check fails an overlay of prod that
// breaks its rule, saying what is wrong.
func TestChecksCatchBrokenOverlays(t *testing.T) {
	// resources are files of this repository the case adds to prod.
	resources := map[string][]string{
		"KEDA and an HPA at once": {filepath.Join("..", "components", "hpa", "hpa.yaml")},
	}
	for _, tt := range []struct {
		name, check, body, want string
	}{
		{"misspelled variable", "environment is what the binary reads", patch(`apiVersion: v1
kind: ConfigMap
metadata:
  name: consumerkit-env
data:
  KAFKA_BROKER: kafka:9092`), "env KAFKA_BROKER is set, but the binary does not read it"},
		{"GOMEMLIMIT set", "environment is what the binary reads", patch(`apiVersion: v1
kind: ConfigMap
metadata:
  name: consumerkit-env
data:
  GOMEMLIMIT: 900MiB`), "env GOMEMLIMIT is set"},
		{"console logs", "environment is what the binary reads", patch(`apiVersion: v1
kind: ConfigMap
metadata:
  name: consumerkit-env
data:
  LOG_FORMAT: console`), `LOG_FORMAT "console": want json`},
		{"readiness on /healthz", "probes hit the admin server", patch(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: consumerkit
spec:
  template:
    spec:
      containers:
        - name: consumer
          readinessProbe:
            httpGet:
              path: /healthz`), `readinessProbe: path "/healthz", want "/readyz"`},
		{"admin on loopback", "probes hit the admin server", patch(`apiVersion: v1
kind: ConfigMap
metadata:
  name: consumerkit-env
data:
  ADMIN_ADDR: 127.0.0.1:9090`), `ADMIN_ADDR "127.0.0.1:9090" listens on loopback`},
		{"writable root filesystem", "container is locked down", patch(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: consumerkit
spec:
  template:
    spec:
      containers:
        - name: consumer
          securityContext:
            readOnlyRootFilesystem: false`), "readOnlyRootFilesystem is not true"},
		{"small diag volume", "diagnostics fit their volume", patch(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: consumerkit
spec:
  template:
    spec:
      volumes:
        - name: diag
          emptyDir:
            sizeLimit: 64Mi`), "sizeLimit 64Mi is less than watchdog.keep 5 × watchdog.max_capture_bytes 33554432"},
		{"debug on the pod network by hand", "debug port is open only with a token", patch(`apiVersion: v1
kind: ConfigMap
metadata:
  name: consumerkit-env
data:
  DEBUG_ADDR: 0.0.0.0:6060`), "ADMIN_TOKEN must come from a required Secret"},
		{"PDB on other pods", "PodDisruptionBudget selects the pods", patch(`apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: consumerkit
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: someone-else`), "PodDisruptionBudget consumerkit does not select the pod labels"},
		{"ingress from every namespace", "NetworkPolicy admits monitoring, brokers and DNS only", `patches:
  - target: {kind: NetworkPolicy, name: consumerkit}
    patch: |-
      - op: replace
        path: /spec/ingress/0/from/0/namespaceSelector
        value: {}
`, "want only the namespace monitoring"},
		{"brokers on another port", "NetworkPolicy admits monitoring, brokers and DNS only", patch(`apiVersion: v1
kind: ConfigMap
metadata:
  name: consumerkit-env
data:
  KAFKA_BROKERS: kafka-bootstrap.kafka.svc:9093`), "no egress rule admits TCP port 9093"},
		{"ServiceMonitor on a port the Service lacks", "ServiceMonitor selects the Service's admin port", `patches:
  - target: {kind: ServiceMonitor, name: consumerkit}
    patch: |-
      - op: replace
        path: /spec/endpoints/0/port
        value: metrics
`, `scrapes port "metrics"`},
		{"ScaledObject on a topic not consumed", "one autoscaler, on the consumer group", `patches:
  - target: {kind: ScaledObject, name: consumerkit}
    patch: |-
      - op: replace
        path: /spec/triggers/0/metadata/topic
        value: topic-nobody-consumes
`, `topic "topic-nobody-consumes" is not one the service subscribes`},
		{"ScaledObject on another group", "one autoscaler, on the consumer group", `patches:
  - target: {kind: ScaledObject, name: consumerkit}
    patch: |-
      - op: replace
        path: /spec/triggers/0/metadata/consumerGroup
        value: other-group
`, `consumerGroup "other-group", but the service's group is "consumerkit-example"`},
		{"lag threshold below max_inflight", "one autoscaler, on the consumer group", `patches:
  - target: {kind: ScaledObject, name: consumerkit}
    patch: |-
      - op: replace
        path: /spec/triggers/0/metadata/lagThreshold
        value: "10"
`, "lagThreshold 10 is below kafka.max_inflight 1000"},
		{"more replicas than partitions", "one autoscaler, on the consumer group", `patches:
  - target: {kind: ScaledObject, name: consumerkit}
    patch: |-
      - op: replace
        path: /spec/maxReplicaCount
        value: 20
`, "maxReplicaCount 20 exceeds the 12 partitions"},
		{"KEDA and an HPA at once", "one autoscaler, on the consumer group", "", "2 autoscalers (ScaledObjects and HorizontalPodAutoscalers)"},
		{"replicas beside the autoscaler", "one autoscaler, on the consumer group", "replicas:\n  - name: consumerkit\n    count: 3\n",
			"sets replicas 3 while an autoscaler owns the count"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := renderOverlay(t, filepath.Join(overlaysDir, "prod"), tt.body, resources[tt.name]...)
			if err != nil {
				t.Fatal(err)
			}
			p, err := analyze(r)
			if err != nil {
				t.Fatal(err)
			}
			err = checkByName(t, tt.check).fn(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v\nwant a failure saying %q", tt.check, err, tt.want)
			}
		})
	}
}
