// Package k8s holds the Kubernetes manifests (a kustomize base) as data; its
// tests check them against the service's contracts: admin port, probes,
// environment variable names and shutdown timing.
package k8s
