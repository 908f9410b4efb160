package k8s_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// overlaysDir holds the overlays, beside the base (this directory) rather
// than in it: kustomize refuses a base whose directory contains an overlay
// that uses it (a cycle).
const overlaysDir = "../overlays"

// target is one kustomization the tests render: the base or an overlay.
type target struct{ name, dir string }

// targets are the base and every overlay under overlaysDir.
func targets() ([]target, error) {
	files, err := filepath.Glob(filepath.Join(overlaysDir, "*", "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no overlay under %s", overlaysDir)
	}
	sort.Strings(files)
	out := []target{{"base", "."}}
	for _, f := range files {
		dir := filepath.Dir(f)
		out = append(out, target{filepath.Base(dir), dir})
	}
	return out, nil
}

// rendered is the output of one kustomization, each object decoded into
// its API type: strictly for the built-in kinds (an unknown or misspelled
// field is an error, as the API server's strict field validation makes
// it), and into the few fields the checks read for the custom resources,
// whose published schemas the API server's dry-run (make deploy-check)
// holds them to.
type rendered struct {
	// docs are the objects as kustomize wrote them, one YAML document each.
	docs            [][]byte
	Deployment      *appsv1.Deployment
	ConfigMaps      map[string]*corev1.ConfigMap
	Services        []*corev1.Service
	PDBs            []*policyv1.PodDisruptionBudget
	NetworkPolicies []*networkingv1.NetworkPolicy
	HPAs            []*autoscalingv2.HorizontalPodAutoscaler
	ServiceMonitors []*serviceMonitor
	ScaledObjects   []*scaledObject
}

// render builds the kustomization in dir as `kubectl apply -k` would
// (kustomize's API, files under the kustomization only) and decodes every
// object. A kind the checks do not know is an error: it would go
// unchecked.
func render(dir string) (*rendered, error) {
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	dec, err := strictDecoder()
	if err != nil {
		return nil, err
	}
	r := &rendered{ConfigMaps: map[string]*corev1.ConfigMap{}}
	for _, res := range resources.Resources() {
		doc, err := res.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", res.GetKind(), res.GetName(), err)
		}
		if err := r.add(dec, doc); err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", dir, res.GetKind(), res.GetName(), err)
		}
		r.docs = append(r.docs, doc)
	}
	if r.Deployment == nil {
		return nil, fmt.Errorf("%s renders no Deployment", dir)
	}
	return r, nil
}

// stream is every object as one multi-document YAML stream, as kubectl
// reads it.
func (r *rendered) stream() []byte {
	return bytes.Join(r.docs, []byte("---\n"))
}

// strictDecoder decodes the built-in kinds the manifests use, failing on
// unknown and duplicate fields: apimachinery's own strict decoding, the
// one behind the API server's fieldValidation=Strict.
func strictDecoder() (runtime.Decoder, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			return nil, fmt.Errorf("registering the API types: %w", err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer(), nil
}

// add decodes one object into its place in r.
func (r *rendered) add(dec runtime.Decoder, doc []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return err
	}
	switch head.Kind {
	case "ServiceMonitor", "ScaledObject":
		return r.addCustom(head.APIVersion, head.Kind, doc)
	}
	obj, _, err := dec.Decode(doc, nil, nil)
	if err != nil {
		return err
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if r.Deployment != nil {
			return fmt.Errorf("a second Deployment (first: %s): the checks expect one", r.Deployment.Name)
		}
		r.Deployment = o
	case *corev1.ConfigMap:
		r.ConfigMaps[o.Name] = o
	case *corev1.Service:
		r.Services = append(r.Services, o)
	case *policyv1.PodDisruptionBudget:
		r.PDBs = append(r.PDBs, o)
	case *networkingv1.NetworkPolicy:
		r.NetworkPolicies = append(r.NetworkPolicies, o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		r.HPAs = append(r.HPAs, o)
	default:
		return fmt.Errorf("kind %T: no check knows it; decode and check it in deploy/k8s's tests", obj)
	}
	return nil
}

// addCustom decodes a custom resource of a known group and version.
func (r *rendered) addCustom(apiVersion, kind string, doc []byte) error {
	switch {
	case kind == "ServiceMonitor" && apiVersion == "monitoring.coreos.com/v1":
		var sm serviceMonitor
		if err := yaml.Unmarshal(doc, &sm); err != nil {
			return err
		}
		r.ServiceMonitors = append(r.ServiceMonitors, &sm)
	case kind == "ScaledObject" && apiVersion == "keda.sh/v1alpha1":
		var so scaledObject
		if err := yaml.Unmarshal(doc, &so); err != nil {
			return err
		}
		r.ScaledObjects = append(r.ScaledObjects, &so)
	default:
		return fmt.Errorf("%s %s: no check knows this version", kind, apiVersion)
	}
	return nil
}
