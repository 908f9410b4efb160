// Package k8s holds the Kubernetes manifests' kustomize base as data (its
// overlays and components are in ../overlays and ../components). Its tests
// render the base and every overlay with kustomize's API, decode each
// object strictly into its API type and check it against the service: the
// binary's environment variables and configuration, its admin server's
// routes and port, shutdown timing, selectors, autoscaling on the consumer
// group. Built with the deploycheck tag (make deploy-check), they also
// have a running kube-apiserver (make k8s-up) dry-run every object with
// strict field validation.
package k8s
