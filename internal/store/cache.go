package store

import (
	"context"
	"sync"
	"time"
)

// Cache is a node's memory of what it read outside write transactions,
// for values that every change marks stale in its own transaction
// (Evict). A value whose read an eviction of its key raced with is not
// kept, so a read that raced with a change never outlives it. The time to
// live bounds how old a value can be when no eviction reached it (a
// change on another node that only this node's own invalidation would
// have told, say).
//
// Load reads through it: a key that many want at once is read once, and
// a key in steady use is read again before its readers would miss it.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	entries map[K]*cached[V]
	reads   map[K]*read[V] // reads under way; Evict forgets them
	ttl     time.Duration
	max     int
}

type cached[V any] struct {
	v      V
	loaded time.Time
}

type read[V any] struct {
	done chan struct{}
	v    V
	err  error
}

// NewCache returns a cache that keeps each value for ttl and at most max
// values (a full cache starts over).
func NewCache[K comparable, V any](ttl time.Duration, max int) *Cache[K, V] {
	return &Cache[K, V]{entries: map[K]*cached[V]{}, reads: map[K]*read[V]{}, ttl: ttl, max: max}
}

// Load returns the value for k, kept or read with fetch:
//   - A value younger than the time to live is returned as it is.
//   - A value older than that, but not twice as old, is returned to every
//     caller but one, which reads it again and keeps the new value. So a
//     key in steady use is never missing and nobody waits for its expiry,
//     and no value served is older than twice the time to live.
//   - A missing key is read by one caller; callers that want it while the
//     read is under way wait for it and share its value (or, when it
//     failed, read for themselves).
//
// A value is kept unless k was evicted while it was read.
//
// A caller that holds a connection of a bounded pool while it loads (in a
// read transaction) must not wait for a read that may need one: it calls
// LoadIn.
func (c *Cache[K, V]) Load(ctx context.Context, k K, fetch func() (V, error)) (V, error) {
	return c.load(ctx, k, fetch, true)
}

// LoadIn is Load for a fetch that reads in q. When q holds a connection
// (Holds), the caller does not wait for another caller's read of a
// missing key, which may need a connection of the same bounded pool: it
// reads for itself, and does not keep what it read.
func (c *Cache[K, V]) LoadIn(ctx context.Context, q Querier, k K, fetch func() (V, error)) (V, error) {
	return c.load(ctx, k, fetch, !Holds(q))
}

func (c *Cache[K, V]) load(ctx context.Context, k K, fetch func() (V, error), wait bool) (V, error) {
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		age := time.Since(e.loaded)
		_, reading := c.reads[k]
		if age <= c.ttl || (age <= 2*c.ttl && reading) {
			c.mu.Unlock()
			return e.v, nil
		}
		if age > 2*c.ttl {
			delete(c.entries, k)
		}
	}
	if r, ok := c.reads[k]; ok {
		c.mu.Unlock()
		if !wait {
			return fetch()
		}
		select {
		case <-r.done:
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
		if r.err != nil {
			return fetch()
		}
		return r.v, nil
	}
	r := &read[V]{done: make(chan struct{})}
	c.reads[k] = r
	c.mu.Unlock()

	r.v, r.err = fetch()
	c.mu.Lock()
	if c.reads[k] == r { // not evicted meanwhile
		delete(c.reads, k)
		if r.err == nil {
			if len(c.entries) >= c.max {
				clear(c.entries)
			}
			c.entries[k] = &cached[V]{v: r.v, loaded: time.Now()}
		}
	}
	c.mu.Unlock()
	close(r.done)
	return r.v, r.err
}

// Evict drops what is kept for k. A read of k under way is no longer
// shared with callers that come after, and its value is not kept.
func (c *Cache[K, V]) Evict(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
	delete(c.reads, k)
}
