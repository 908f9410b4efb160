// Package scaffoldtest helps test code that changes a repository, as
// `consumer new` does: CopyModule gives a test a copy of a module to
// change, and Tree and Changed tell what a command did to it (or prove
// it did nothing).
package scaffoldtest
