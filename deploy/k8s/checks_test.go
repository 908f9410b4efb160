package k8s_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/consumerkit/consumerkit"
	"github.com/consumerkit/consumerkit/pkg/admin"
	"github.com/consumerkit/consumerkit/pkg/config"
)

const (
	adminPortName = "admin"
	debugPortName = "debug"
	// shutdownMargin is how much longer than the shutdown timeout the
	// kubelet must wait before its SIGKILL: the app's stop sequence ends
	// within SHUTDOWN_TIMEOUT, then the Wire cleanups close producers and
	// caches (each Kafka close bounded by kafka.close_timeout, 5s), the
	// logger flushes and the process exits.
	shutdownMargin = 10 * time.Second
	// partitionsAnnotation on a ScaledObject or HorizontalPodAutoscaler
	// says how many partitions the consumed topics have: more pods than
	// that sit idle in the group.
	partitionsAnnotation = "consumerkit.dev/partitions"
	// monitoringNamespace is the only namespace the pods accept
	// connections from (Prometheus, a continuous profiler).
	monitoringNamespace = "monitoring"
	adminSecret         = "consumerkit-admin"
	adminSecretKey      = "token"
	// diagOverhead is room for what the filesystem adds to the captures'
	// bytes (directory entries, the partly used last block of each file):
	// a few blocks per capture, far below 1 MiB for any sane keep.
	diagOverhead = 1 << 20
	// profileAnnotationPrefix starts Grafana Alloy's profiling annotations.
	profileAnnotationPrefix = "profiles.grafana.com/"
)

// check is one rule the rendered manifests must keep; it returns every
// violation it finds, or nil.
type check struct {
	name string
	fn   func(*pod) error
}

// checks are the rules every kustomization (the base and each overlay)
// keeps.
func checks() []check {
	return []check{
		{"grace period exceeds the shutdown timeout", checkGracePeriod},
		{"environment is what the binary reads", checkEnvironment},
		{"configuration file is mounted read-only", checkConfigMount},
		{"probes hit the admin server", checkProbes},
		{"container is locked down", checkSecurity},
		{"memory limit and GOMEMLIMIT", checkMemory},
		{"diagnostics fit their volume", checkDiagnostics},
		{"admin token comes from the Secret", checkAdminToken},
		{"debug port is open only with a token", checkDebug},
		{"image is pinned", checkImage},
		{"Service selects the pods", checkService},
		{"PodDisruptionBudget selects the pods", checkPDB},
		{"NetworkPolicy admits monitoring, brokers and DNS only", checkNetworkPolicy},
		{"ServiceMonitor selects the Service's admin port", checkServiceMonitor},
		{"one autoscaler, on the consumer group", checkAutoscaling},
	}
}

// seconds prints a duration in seconds, as both settings are written.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s" }

// checkGracePeriod: the kubelet waits longer than the app's whole
// shutdown plus shutdownMargin before it kills the container.
func checkGracePeriod(p *pod) error {
	grace := 30 * time.Second // the Kubernetes default
	if g := p.r.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	shutdown := p.cfg.Shutdown.Timeout
	if grace <= shutdown+shutdownMargin {
		return fmt.Errorf("terminationGracePeriodSeconds %s does not exceed SHUTDOWN_TIMEOUT %s plus the margin %s: the kubelet's SIGKILL "+
			"would land while the app drains and commits; raise terminationGracePeriodSeconds above %s or lower SHUTDOWN_TIMEOUT",
			seconds(grace), seconds(shutdown), seconds(shutdownMargin), seconds(shutdown+shutdownMargin))
	}
	return nil
}

// requiredEnv are the variables the manifests must set, and why: the
// defaults suit a laptop, not a pod.
func requiredEnv() map[string]string {
	return map[string]string{
		"KAFKA_BROKERS":    "empty runs the embedded in-process broker, which consumes nothing real and loses everything on restart",
		"ADMIN_ADDR":       "the default 127.0.0.1:9090 is unreachable for the kubelet's probes and for Prometheus",
		"SHUTDOWN_TIMEOUT": "the grace period is checked against it; say it where it can be seen",
		"LOG_FORMAT":       "log collectors parse json, one object a line",
	}
}

// checkEnvironment: every variable set is one the binary reads (a typo
// would silently leave a default in place), and the required ones are
// set.
func checkEnvironment(p *pod) error {
	known, err := config.EnvNames(consumerkit.ServiceSettings())
	if err != nil {
		return err
	}
	var e errs
	names := make([]string, 0, len(p.env))
	for name := range p.env {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case name == "GOMEMLIMIT":
			e.add("env GOMEMLIMIT is set: it would override the limit the binary derives from the container's memory limit")
		case !slices.Contains(known, name):
			e.add("env %s is set, but the binary does not read it (pkg/config's bindings and the service's): it would be ignored", name)
		}
	}
	required := requiredEnv()
	for _, name := range []string{"KAFKA_BROKERS", "ADMIN_ADDR", "SHUTDOWN_TIMEOUT", "LOG_FORMAT"} {
		if strings.TrimSpace(p.env[name]) == "" {
			e.add("env %s is not set: %s", name, required[name])
		}
	}
	for _, b := range p.cfg.Kafka.Brokers {
		if host, port, err := net.SplitHostPort(b); err != nil || host == "" || port == "" {
			e.add("KAFKA_BROKERS entry %q is not host:port", b)
		}
	}
	if f := p.env["LOG_FORMAT"]; f != "" && f != "json" {
		e.add("LOG_FORMAT %q: want json, %s", f, required["LOG_FORMAT"])
	}
	return e.joined()
}

// checkConfigMount: the configuration file's volume is read-only.
func checkConfigMount(p *pod) error {
	for _, m := range p.c.VolumeMounts {
		if strings.HasPrefix(p.configFile, strings.TrimSuffix(m.MountPath, "/")+"/") && !m.ReadOnly {
			return fmt.Errorf("the configuration is mounted writable at %s; mount it readOnly", m.MountPath)
		}
	}
	return nil
}

// listenAddr splits a listen address; public reports whether it accepts
// connections on the pod's IP (all interfaces, or a host that is not
// loopback).
func listenAddr(addr string) (port int32, public bool, err error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, false, err
	}
	n, err := strconv.ParseInt(portText, 10, 32)
	if err != nil {
		return 0, false, fmt.Errorf("port %q: %w", portText, err)
	}
	ip := net.ParseIP(host)
	return int32(n), host != "localhost" && (ip == nil || !ip.IsLoopback()), nil
}

// adminServes reports whether the admin server routes a GET of path (any
// answer but 404 and 405: a probe may well get 503).
func adminServes(path string) bool {
	srv := admin.New(admin.Config{Addr: "127.0.0.1:0"}, prometheus.NewRegistry(), zap.NewAtomicLevel(), healthy{}, zap.NewNop())
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed
}

// healthy is a component that is live and ready.
type healthy struct{}

func (healthy) Live() error  { return nil }
func (healthy) Ready() error { return nil }

// adminPort is the container's admin port: the one named admin, on
// ADMIN_ADDR's port, which listens on the pod network.
func (p *pod) adminPort() (corev1.ContainerPort, error) {
	cp, err := p.containerPort(adminPortName, 0)
	if err != nil {
		return cp, err
	}
	port, public, err := listenAddr(p.cfg.Admin.Addr)
	if err != nil {
		return cp, fmt.Errorf("ADMIN_ADDR %q: %w", p.cfg.Admin.Addr, err)
	}
	if !public {
		return cp, fmt.Errorf("ADMIN_ADDR %q listens on loopback: the kubelet's probes and Prometheus cannot reach it; use \":%d\"", p.cfg.Admin.Addr, port)
	}
	if cp.ContainerPort != port {
		return cp, fmt.Errorf("container port %s is %d but ADMIN_ADDR %q listens on %d", adminPortName, cp.ContainerPort, p.cfg.Admin.Addr, port)
	}
	return cp, nil
}

// checkProbes: startup and liveness probes GET /healthz, readiness GET
// /readyz, all on the admin port, and the admin server routes them.
func checkProbes(p *pod) error {
	var e errs
	if _, err := p.adminPort(); err != nil {
		e = append(e, err)
	}
	for _, pr := range []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{
		{"startupProbe", p.c.StartupProbe, "/healthz"},
		{"livenessProbe", p.c.LivenessProbe, "/healthz"},
		{"readinessProbe", p.c.ReadinessProbe, "/readyz"},
	} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			e.add("%s: want an httpGet probe of %s", pr.kind, pr.path)
			continue
		}
		get := pr.probe.HTTPGet
		if get.Path != pr.path {
			e.add("%s: path %q, want %q", pr.kind, get.Path, pr.path)
		}
		if !adminServes(get.Path) {
			e.add("%s: the admin server has no route %s", pr.kind, get.Path)
		}
		cp, err := p.containerPort(get.Port.StrVal, get.Port.IntVal)
		if err != nil {
			e.add("%s: %v", pr.kind, err)
		} else if cp.Name != adminPortName {
			e.add("%s: port %s reaches container port %q (%d), want %q", pr.kind, get.Port.String(), cp.Name, cp.ContainerPort, adminPortName)
		}
	}
	return e.joined()
}

// checkSecurity: the pod runs as a non-root user, with a read-only root
// filesystem, no capabilities and no privilege escalation, and without a
// service account token.
func checkSecurity(p *pod) error {
	var e errs
	spec := p.r.Deployment.Spec.Template.Spec
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	csc := p.c.SecurityContext
	if csc == nil {
		e.add("container %s has no securityContext", p.c.Name)
		return e.joined()
	}
	nonRoot := csc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		e.add("runAsNonRoot is not true")
	}
	user := csc.RunAsUser
	if user == nil {
		user = psc.RunAsUser
	}
	if user == nil || *user == 0 {
		e.add("runAsUser is unset or 0: the kubelet cannot prove a non-root image user without it")
	}
	if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		e.add("readOnlyRootFilesystem is not true")
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		e.add("allowPrivilegeEscalation is not false")
	}
	if csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
		e.add("capabilities: ALL is not dropped")
	} else if len(csc.Capabilities.Add) > 0 {
		e.add("capabilities: adds %v", csc.Capabilities.Add)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		e.add("automountServiceAccountToken is not false: the service does not talk to the Kubernetes API")
	}
	return e.joined()
}

// checkMemory: a memory limit is set (the binary derives GOMEMLIMIT from
// it) and the request does not exceed it.
func checkMemory(p *pod) error {
	limit, ok := p.c.Resources.Limits[corev1.ResourceMemory]
	if !ok {
		return fmt.Errorf("no memory limit: GOMEMLIMIT is derived from it, and without one the pod grows until the node evicts it")
	}
	if req, ok := p.c.Resources.Requests[corev1.ResourceMemory]; ok && req.Cmp(limit) > 0 {
		return fmt.Errorf("requests.memory %s exceeds limits.memory %s", req.String(), limit.String())
	}
	return nil
}

// checkDiagnostics: DIAG_DIR is an emptyDir (it outlives the restart a
// failed liveness probe causes) whose sizeLimit holds the most the
// watchdog keeps there: watchdog.keep captures of at most
// watchdog.max_capture_bytes each. Beyond its sizeLimit the kubelet
// evicts the pod.
func checkDiagnostics(p *pod) error {
	dir := p.cfg.Watchdog.DiagDir
	var volume string
	for _, m := range p.c.VolumeMounts {
		if m.MountPath == dir || strings.HasPrefix(dir, strings.TrimSuffix(m.MountPath, "/")+"/") {
			volume = m.Name
		}
	}
	if volume == "" {
		return fmt.Errorf("DIAG_DIR %s is not on a volume: the root filesystem is read-only, and evidence must outlive the container", dir)
	}
	for _, v := range p.r.Deployment.Spec.Template.Spec.Volumes {
		if v.Name != volume {
			continue
		}
		if v.EmptyDir == nil {
			return fmt.Errorf("DIAG_DIR %s is on volume %s, which is not an emptyDir", dir, volume)
		}
		if v.EmptyDir.SizeLimit == nil {
			return fmt.Errorf("emptyDir %s (DIAG_DIR) has no sizeLimit", volume)
		}
		most := int64(p.cfg.Watchdog.Keep)*p.cfg.Watchdog.MaxCaptureBytes + diagOverhead
		if v.EmptyDir.SizeLimit.Value() < most {
			return fmt.Errorf("emptyDir %s (DIAG_DIR) sizeLimit %s is less than watchdog.keep %d × watchdog.max_capture_bytes %d "+
				"+ %d of filesystem overhead = %s: the kubelet would evict the pod for its own evidence", volume, v.EmptyDir.SizeLimit.String(),
				p.cfg.Watchdog.Keep, p.cfg.Watchdog.MaxCaptureBytes, diagOverhead, resource.NewQuantity(most, resource.BinarySI).String())
		}
		return nil
	}
	return fmt.Errorf("volume %s, mounted for DIAG_DIR, is not declared", volume)
}

// checkAdminToken: ADMIN_TOKEN comes from the Secret's key, never from a
// ConfigMap.
func checkAdminToken(p *pod) error {
	var e errs
	for name, cm := range p.r.ConfigMaps {
		if _, ok := cm.Data["ADMIN_TOKEN"]; ok {
			e.add("ConfigMap %s holds ADMIN_TOKEN: a secret belongs in a Secret", name)
		}
	}
	ref, ok := p.secrets["ADMIN_TOKEN"]
	switch {
	case !ok:
		e.add("ADMIN_TOKEN is not bound to the Secret %s", adminSecret)
	case ref.Name != adminSecret || ref.Key != adminSecretKey:
		e.add("ADMIN_TOKEN from Secret %q key %q, want %s key %s", ref.Name, ref.Key, adminSecret, adminSecretKey)
	}
	return e.joined()
}

// debugAddr is DEBUG_ADDR as the pod sets it; unset, the binary listens
// on loopback.
func (p *pod) debugAddr() (addr string, port int32, public bool, err error) {
	addr, ok := p.env["DEBUG_ADDR"]
	if !ok {
		return "", 0, false, nil
	}
	port, public, err = listenAddr(addr)
	return addr, port, public, err
}

// checkDebug: pprof, /debug/consumer and PUT /loglevel reach the pod
// network only on purpose: with DEBUG_ADDR off loopback the container
// declares the port as `debug`, the token's Secret is required (the pod
// does not start without it), and the profiler's annotations name that
// port; otherwise no port is declared for it and nothing asks for
// profiles.
func checkDebug(p *pod) error {
	addr, port, public, err := p.debugAddr()
	if err != nil {
		return fmt.Errorf("DEBUG_ADDR %q: %w", addr, err)
	}
	var e errs
	debug, derr := p.containerPort(debugPortName, 0)
	annotations := p.r.Deployment.Spec.Template.Annotations
	if !public {
		if derr == nil {
			e.add("container port %s (%d) is declared but DEBUG_ADDR is on loopback", debugPortName, debug.ContainerPort)
		}
		for k := range annotations {
			if strings.HasPrefix(k, profileAnnotationPrefix) {
				e.add("annotation %s asks for profiles, but DEBUG_ADDR is on loopback", k)
			}
		}
		return e.joined()
	}
	switch {
	case derr != nil:
		e.add("DEBUG_ADDR %q is on the pod network but %v", addr, derr)
	case debug.ContainerPort != port:
		e.add("container port %s is %d but DEBUG_ADDR %q listens on %d", debugPortName, debug.ContainerPort, addr, port)
	}
	if ref, ok := p.secrets["ADMIN_TOKEN"]; !ok || ref.Optional == nil || *ref.Optional {
		e.add("DEBUG_ADDR %q is on the pod network: ADMIN_TOKEN must come from a required Secret (optional: false)", addr)
	}
	scraped := false
	for k, v := range annotations {
		rest, ok := strings.CutPrefix(k, profileAnnotationPrefix)
		if !ok {
			continue
		}
		if strings.HasSuffix(rest, ".scrape") && v == "true" {
			scraped = true
		}
		if strings.HasSuffix(rest, ".port_name") && v != debugPortName {
			e.add("annotation %s names port %q, want %q", k, v, debugPortName)
		}
	}
	if !scraped {
		e.add("DEBUG_ADDR %q is on the pod network, but no %s*.scrape annotation asks a profiler for profiles", addr, profileAnnotationPrefix)
	}
	return e.joined()
}

// checkImage: the image names a version (a tag other than latest, or a
// digest), so that a rollout and a rollback run what they say.
func checkImage(p *pod) error {
	img := p.c.Image
	if strings.Contains(img, "@sha256:") {
		return nil
	}
	name := img[strings.LastIndex(img, "/")+1:]
	if i := strings.LastIndex(name, ":"); i < 0 || name[i+1:] == "latest" {
		return fmt.Errorf("image %q has no version: set one in the overlay's images", img)
	}
	return nil
}

// selects reports whether sel selects the pod template's labels.
func (p *pod) selects(sel *metav1.LabelSelector) (bool, error) {
	if sel == nil {
		return false, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	return !s.Empty() && s.Matches(labels.Set(p.r.Deployment.Spec.Template.Labels)), nil
}

// checkService: one ClusterIP Service selects the pods and exposes the
// admin port by name, with the annotations of annotation-based scraping.
func checkService(p *pod) error {
	var e errs
	if ok, err := p.selects(p.r.Deployment.Spec.Selector); err != nil || !ok {
		e.add("the Deployment's selector does not select its own pod labels %v (%v)", p.r.Deployment.Spec.Template.Labels, err)
	}
	if len(p.r.Services) != 1 {
		e.add("want one Service, found %d", len(p.r.Services))
		return e.joined()
	}
	svc := p.r.Services[0]
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.r.Deployment.Spec.Template.Labels)) {
		e.add("Service %s selector %v does not select the pod labels %v", svc.Name, svc.Spec.Selector, p.r.Deployment.Spec.Template.Labels)
	}
	if svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP {
		e.add("Service %s is of type %s, want ClusterIP", svc.Name, svc.Spec.Type)
	}
	admin, err := p.adminPort()
	if err != nil {
		e = append(e, err)
	}
	port, ok := servicePort(svc, adminPortName)
	if !ok {
		e.add("Service %s has no port named %s", svc.Name, adminPortName)
	} else if target, err := p.serviceTarget(port); err != nil {
		e.add("Service %s port %s: %v", svc.Name, adminPortName, err)
	} else if target.Name != adminPortName {
		e.add("Service %s port %s targets container port %q, want %q", svc.Name, adminPortName, target.Name, adminPortName)
	}
	for k, want := range map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(int(admin.ContainerPort)),
		"prometheus.io/path":   "/metrics",
	} {
		if got := svc.Annotations[k]; got != want {
			e.add("Service %s annotation %s = %q, want %q", svc.Name, k, got, want)
		}
	}
	return e.joined()
}

// servicePort is svc's port of that name.
func servicePort(svc *corev1.Service, name string) (corev1.ServicePort, bool) {
	for _, sp := range svc.Spec.Ports {
		if sp.Name == name {
			return sp, true
		}
	}
	return corev1.ServicePort{}, false
}

// serviceTarget is the container port a Service port sends to.
func (p *pod) serviceTarget(sp corev1.ServicePort) (corev1.ContainerPort, error) {
	t := sp.TargetPort
	if t.Type == intstr.Int && t.IntVal == 0 {
		t = intstr.FromInt32(sp.Port)
	}
	return p.containerPort(t.StrVal, t.IntVal)
}

// checkPDB: one PodDisruptionBudget selects the pods and lets one go at a
// time, even a single replica.
func checkPDB(p *pod) error {
	if len(p.r.PDBs) != 1 {
		return fmt.Errorf("want one PodDisruptionBudget, found %d", len(p.r.PDBs))
	}
	pdb := p.r.PDBs[0]
	var e errs
	if ok, err := p.selects(pdb.Spec.Selector); err != nil || !ok {
		e.add("PodDisruptionBudget %s does not select the pod labels %v (%v)", pdb.Name, p.r.Deployment.Spec.Template.Labels, err)
	}
	if pdb.Spec.MinAvailable != nil {
		e.add("PodDisruptionBudget %s sets minAvailable: with as few replicas it blocks every drain; use maxUnavailable", pdb.Name)
	}
	if mu := pdb.Spec.MaxUnavailable; mu == nil || mu.Type == intstr.Int && mu.IntVal < 1 {
		e.add("PodDisruptionBudget %s: want maxUnavailable of at least 1", pdb.Name)
	}
	return e.joined()
}

// checkNetworkPolicy: one NetworkPolicy selects the pods; it admits only
// the monitoring namespace, only to the admin port (and the debug port
// when DEBUG_ADDR is on the pod network); it lets the pods reach every
// broker port of KAFKA_BROKERS and DNS.
func checkNetworkPolicy(p *pod) error {
	if len(p.r.NetworkPolicies) != 1 {
		return fmt.Errorf("want one NetworkPolicy, found %d", len(p.r.NetworkPolicies))
	}
	np := p.r.NetworkPolicies[0]
	var e errs
	if ok, err := p.selects(&np.Spec.PodSelector); err != nil || !ok {
		e.add("NetworkPolicy %s does not select the pod labels %v (%v)", np.Name, p.r.Deployment.Spec.Template.Labels, err)
	}
	for _, want := range []string{"Ingress", "Egress"} {
		if !slices.ContainsFunc(np.Spec.PolicyTypes, func(t networkingv1.PolicyType) bool { return string(t) == want }) {
			e.add("NetworkPolicy %s: policyTypes %v lack %s", np.Name, np.Spec.PolicyTypes, want)
		}
	}
	_, _, debugPublic, _ := p.debugAddr()
	admitted := map[string]bool{}
	for i, rule := range np.Spec.Ingress {
		if len(rule.From) == 0 {
			e.add("NetworkPolicy %s ingress[%d] admits every source", np.Name, i)
		}
		for _, peer := range rule.From {
			if peer.IPBlock != nil || peer.PodSelector != nil || peer.NamespaceSelector == nil ||
				len(peer.NamespaceSelector.MatchExpressions) > 0 || len(peer.NamespaceSelector.MatchLabels) != 1 ||
				peer.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != monitoringNamespace {
				e.add("NetworkPolicy %s ingress[%d] admits %+v: want only the namespace %s (kubernetes.io/metadata.name)", np.Name, i, peer, monitoringNamespace)
			}
		}
		if len(rule.Ports) == 0 {
			e.add("NetworkPolicy %s ingress[%d] admits every port", np.Name, i)
		}
		for _, port := range rule.Ports {
			if port.Port == nil {
				e.add("NetworkPolicy %s ingress[%d] admits every port", np.Name, i)
				continue
			}
			cp, err := p.containerPort(port.Port.StrVal, port.Port.IntVal)
			if err != nil {
				e.add("NetworkPolicy %s ingress[%d]: %v", np.Name, i, err)
				continue
			}
			switch {
			case cp.Name == adminPortName, cp.Name == debugPortName && debugPublic:
				admitted[cp.Name] = true
			default:
				e.add("NetworkPolicy %s ingress[%d] admits container port %q (%d): only %s, and %s with DEBUG_ADDR on the pod network",
					np.Name, i, cp.Name, cp.ContainerPort, adminPortName, debugPortName)
			}
		}
	}
	if !admitted[adminPortName] {
		e.add("NetworkPolicy %s does not admit the monitoring namespace to port %s: Prometheus could not scrape", np.Name, adminPortName)
	}
	if debugPublic && !admitted[debugPortName] {
		e.add("NetworkPolicy %s does not admit the monitoring namespace to port %s, where DEBUG_ADDR listens for the profiler", np.Name, debugPortName)
	}
	for _, b := range p.cfg.Kafka.Brokers {
		_, portText, err := net.SplitHostPort(b)
		if err != nil {
			continue // checkEnvironment reports it
		}
		port, _ := strconv.Atoi(portText)
		if !egressAdmits(np.Spec.Egress, int32(port), corev1.ProtocolTCP) {
			e.add("NetworkPolicy %s: no egress rule admits TCP port %d of broker %s", np.Name, port, b)
		}
	}
	if !egressAdmits(np.Spec.Egress, 53, corev1.ProtocolUDP) {
		e.add("NetworkPolicy %s: no egress rule admits DNS (UDP 53)", np.Name)
	}
	return e.joined()
}

// egressAdmits reports whether a rule admits connections to port with
// protocol (a rule without ports admits every port).
func egressAdmits(rules []networkingv1.NetworkPolicyEgressRule, port int32, proto corev1.Protocol) bool {
	for _, r := range rules {
		if len(r.Ports) == 0 {
			return true
		}
		for _, rp := range r.Ports {
			p := corev1.ProtocolTCP
			if rp.Protocol != nil {
				p = *rp.Protocol
			}
			if p != proto || rp.Port == nil {
				continue
			}
			end := rp.Port.IntVal
			if rp.EndPort != nil {
				end = *rp.EndPort
			}
			if rp.Port.Type == intstr.Int && rp.Port.IntVal <= port && port <= end {
				return true
			}
		}
	}
	return false
}

// checkServiceMonitor: one ServiceMonitor, in the Service's namespace,
// selects the Service by its labels and scrapes /metrics on the admin
// port by name.
func checkServiceMonitor(p *pod) error {
	if len(p.r.ServiceMonitors) != 1 {
		return fmt.Errorf("want one ServiceMonitor, found %d", len(p.r.ServiceMonitors))
	}
	if len(p.r.Services) != 1 {
		return fmt.Errorf("want one Service for the ServiceMonitor to select, found %d", len(p.r.Services))
	}
	sm, svc := p.r.ServiceMonitors[0], p.r.Services[0]
	var e errs
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(labels.Set(svc.Labels)) {
		e.add("ServiceMonitor %s selector %v does not select Service %s's labels %v (%v)", sm.Name, sm.Spec.Selector.MatchLabels, svc.Name, svc.Labels, err)
	}
	if sm.Spec.NamespaceSelector != nil {
		e.add("ServiceMonitor %s sets a namespaceSelector: it should watch its own namespace, the Service's", sm.Name)
	}
	if len(sm.Spec.Endpoints) == 0 {
		e.add("ServiceMonitor %s has no endpoints", sm.Name)
	}
	for i, ep := range sm.Spec.Endpoints {
		if ep.Port != adminPortName {
			e.add("ServiceMonitor %s endpoints[%d] scrapes port %q, want the Service's %q", sm.Name, i, ep.Port, adminPortName)
		} else if _, ok := servicePort(svc, ep.Port); !ok {
			e.add("ServiceMonitor %s endpoints[%d]: Service %s has no port %q", sm.Name, i, svc.Name, ep.Port)
		}
		path := ep.Path
		if path == "" {
			path = "/metrics"
		}
		if path != "/metrics" || !adminServes(path) {
			e.add("ServiceMonitor %s endpoints[%d] scrapes %q, want /metrics of the admin server", sm.Name, i, ep.Path)
		}
	}
	return e.joined()
}

// partitions reads the partitions annotation of an autoscaler.
func partitions(kind, name string, annotations map[string]string) (int32, error) {
	v, ok := annotations[partitionsAnnotation]
	if !ok {
		return 0, fmt.Errorf("%s %s has no annotation %s: say how many partitions the consumed topics have", kind, name, partitionsAnnotation)
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s %s annotation %s = %q: want a positive count", kind, name, partitionsAnnotation, v)
	}
	return int32(n), nil
}

// checkAutoscaling: at most one autoscaler, targeting the Deployment,
// which then sets no replica count of its own; never more replicas than
// partitions. KEDA's Kafka triggers read the lag of the configuration's
// consumer group on its brokers and subscribed topics, with a threshold
// no lower than what a pod holds in flight.
func checkAutoscaling(p *pod) error {
	var e errs
	d := p.r.Deployment
	scalers := len(p.r.ScaledObjects) + len(p.r.HPAs)
	if scalers > 1 {
		e.add("%d autoscalers (ScaledObjects and HorizontalPodAutoscalers) drive Deployment %s: they would fight over its replicas", scalers, d.Name)
	}
	if scalers > 0 && d.Spec.Replicas != nil {
		e.add("Deployment %s sets replicas %d while an autoscaler owns the count: every apply would reset it, and each change is a rebalance",
			d.Name, *d.Spec.Replicas)
	}
	for _, so := range p.r.ScaledObjects {
		ref := so.Spec.ScaleTargetRef
		if ref.Name != d.Name || ref.Kind != "" && ref.Kind != "Deployment" || ref.APIVersion != "" && ref.APIVersion != "apps/v1" {
			e.add("ScaledObject %s targets %s %s (%s), not Deployment %s", so.Name, ref.Kind, ref.Name, ref.APIVersion, d.Name)
		}
		most, err := partitions("ScaledObject", so.Name, so.Annotations)
		if err != nil {
			e = append(e, err)
		}
		minR, maxR := int32(1), int32(100) // KEDA's defaults
		if so.Spec.MinReplicaCount != nil {
			minR = *so.Spec.MinReplicaCount
		}
		if so.Spec.MaxReplicaCount != nil {
			maxR = *so.Spec.MaxReplicaCount
		}
		if err == nil && maxR > most {
			e.add("ScaledObject %s maxReplicaCount %d exceeds the %d partitions (%s): the pods past them would sit idle", so.Name, maxR, most, partitionsAnnotation)
		}
		if minR < 1 || minR > maxR {
			e.add("ScaledObject %s minReplicaCount %d: want 1 to maxReplicaCount %d", so.Name, minR, maxR)
		}
		if len(so.Spec.Triggers) == 0 {
			e.add("ScaledObject %s has no trigger", so.Name)
		}
		for i, tr := range so.Spec.Triggers {
			e = append(e, p.checkKafkaTrigger(fmt.Sprintf("ScaledObject %s triggers[%d]", so.Name, i), tr.Type, tr.Metadata)...)
		}
	}
	for _, hpa := range p.r.HPAs {
		ref := hpa.Spec.ScaleTargetRef
		if ref.Name != d.Name || ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" {
			e.add("HorizontalPodAutoscaler %s targets %s %s (%s), not Deployment %s", hpa.Name, ref.Kind, ref.Name, ref.APIVersion, d.Name)
		}
		most, err := partitions("HorizontalPodAutoscaler", hpa.Name, hpa.Annotations)
		if err != nil {
			e = append(e, err)
		} else if hpa.Spec.MaxReplicas > most {
			e.add("HorizontalPodAutoscaler %s maxReplicas %d exceeds the %d partitions (%s): the pods past them would sit idle", hpa.Name, hpa.Spec.MaxReplicas, most, partitionsAnnotation)
		}
		for _, m := range hpa.Spec.Metrics {
			if m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.AverageUtilization != nil {
				if _, ok := p.c.Resources.Requests[corev1.ResourceCPU]; !ok {
					e.add("HorizontalPodAutoscaler %s scales on CPU utilization, which is relative to the CPU request the container does not set", hpa.Name)
				}
			}
		}
	}
	return e.joined()
}

// checkKafkaTrigger checks one KEDA trigger against the configuration.
func (p *pod) checkKafkaTrigger(where, typ string, md map[string]string) errs {
	var e errs
	if typ != "kafka" {
		e.add("%s is of type %q, want kafka (the consumer group's lag)", where, typ)
		return e
	}
	if got, want := md["bootstrapServers"], strings.Join(p.cfg.Kafka.Brokers, ","); got != want {
		e.add("%s bootstrapServers %q, but KAFKA_BROKERS is %q", where, got, want)
	}
	if got := md["consumerGroup"]; got != p.cfg.Kafka.GroupID {
		e.add("%s consumerGroup %q, but the service's group is %q (kafka.group_id)", where, got, p.cfg.Kafka.GroupID)
	}
	if topic, ok := md["topic"]; ok && !slices.Contains(p.topics, topic) {
		e.add("%s topic %q is not one the service subscribes: %v", where, topic, p.topics)
	}
	threshold, err := strconv.Atoi(md["lagThreshold"])
	switch {
	case err != nil:
		e.add("%s lagThreshold %q: want a whole number (KEDA's default, 10, would add pods for any lag)", where, md["lagThreshold"])
	case threshold < p.cfg.Kafka.MaxInflight:
		e.add("%s lagThreshold %d is below kafka.max_inflight %d: a pod that keeps up holds that many uncommitted messages of a partition, and KEDA would add pods for them",
			where, threshold, p.cfg.Kafka.MaxInflight)
	}
	return e
}
