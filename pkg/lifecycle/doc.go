// Package lifecycle owns background goroutines.
//
// Every long-running goroutine in consumerkit is started through Group.Go
// with a name, so that shutdown can cancel it, wait for it, and — when it
// does not stop in time — say by name what it is still waiting for. A
// goroutine started any other way is one nobody is responsible for stopping,
// which is how production failure F2 (a cache goroutine per message) began.
//
// A task's panic is recovered and reported as a *PanicError, the one panic
// error of consumerkit: middleware.Recover reports a handler's panic with
// it too.
//
// The package imports only the standard library.
package lifecycle
