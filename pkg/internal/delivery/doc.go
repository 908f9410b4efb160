// Package delivery is the part of the contract between a handler's calls
// and the engine that handler authors never use: the outcomes a message
// ends in, how a call's returned error fails each of its messages, and the
// bytes a message counts for in the engine's limits. The engine (and
// framework packages that report what it did) import it; it lives under
// pkg/internal so that it is no part of the public API.
package delivery
