package consumertest

import (
	"bytes"
	"sync"
)

// Buffer collects output written by another goroutine (a child process's
// stdout as exec copies it, a logger's core) while the test reads it. The
// zero value is ready; Write, Sync and String are safe to call
// concurrently.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Sync does nothing: it lets a Buffer stand for a zapcore.WriteSyncer.
func (b *Buffer) Sync() error { return nil }

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
