package main

import (
	"context"
	"io"
	"sync"
	"time"
)

// lineBuffer gathers log lines and writes them out in batches — every
// flushEvery, when maxBuffered bytes are waiting, and at shutdown — so a
// busy server makes one write per batch rather than one per request. A
// crash (kill -9) can lose at most the last flushEvery of log lines; the
// database never depends on them.
type lineBuffer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

const (
	flushEvery  = 100 * time.Millisecond
	maxBuffered = 64 << 10
)

func newLineBuffer(w io.Writer) *lineBuffer {
	return &lineBuffer{w: w, buf: make([]byte, 0, maxBuffered)}
}

// Write takes one whole log line (slog writes each record in one call).
func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= maxBuffered {
		return len(p), b.flushLocked()
	}
	return len(p), nil
}

// Flush writes out what is waiting.
func (b *lineBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *lineBuffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// run flushes every flushEvery until ctx ends.
func (b *lineBuffer) run(ctx context.Context) {
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.Flush()
			return
		case <-t.C:
			b.Flush()
		}
	}
}
