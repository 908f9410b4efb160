package service

// Platform is what the example needs to know of the engine it runs on.
// The service never imports the engine: the injector provides it from the
// engine's configuration.
type Platform struct {
	// Embedded says the service runs on the in-process broker: the demo
	// feed produces only there (real clusters are fed by real producers).
	Embedded bool
	// MaxInflight is how many fetched messages a partition holds before
	// fetching pauses: a batch stage that large never fills (batchstall).
	MaxInflight int
}
