package store

import (
	"context"
	"math/rand/v2"
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
	mu      sync.RWMutex
	entries map[K]*cached[V]
	reads   map[K]*read[V] // reads under way; Evict forgets them
	// refreshing counts the background reads under way.
	refreshing int
	ttl        time.Duration
	max        int
	now        func() time.Time
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
	return &Cache[K, V]{entries: map[K]*cached[V]{}, reads: map[K]*read[V]{}, ttl: ttl, max: max, now: time.Now}
}

// NewCacheOn is NewCache for values that age by db's clock (which tests
// move) rather than the time of day.
func NewCacheOn[K comparable, V any](db *DB, ttl time.Duration, max int) *Cache[K, V] {
	c := NewCache[K, V](ttl, max)
	c.SetClock(func() time.Time { return db.Clock() })
	return c
}

// SetClock has the cache tell its values' ages by now (a database's
// clock, which tests move), instead of the time of day. Call it before
// the cache is used.
func (c *Cache[K, V]) SetClock(now func() time.Time) { c.now = now }

// Load returns the value for k, kept or read with fetch:
//   - A value younger than the time to live (less up to half of it, so
//     that values read together expire apart) is returned as it is.
//   - A value older than that, but not twice as old, is returned as it is
//     while the first caller to see it so starts reading it again in the
//     background (at most refreshers at a time per cache). So a key in
//     steady use is never missing and nobody waits for its expiry, and no
//     value served is older than twice the time to live.
//   - A missing key is read by one caller; callers that want it while the
//     read is under way wait for it and share its value (or, when it
//     failed, read for themselves).
//
// A value is kept unless k was evicted while it was read.
//
// A caller that holds a connection of a bounded pool while it loads (in a
// read transaction) must not wait for a read that may need one: it calls
// LoadIn.
func (c *Cache[K, V]) Load(ctx context.Context, k K, fetch func(context.Context) (V, error)) (V, error) {
	return c.load(ctx, k, ignoreOld(fetch), false)
}

// LoadFrom is Load for a fetch that can bring the value kept for k up to
// date for less than reading it anew: fetch is given that value, however
// old, when k has one (ok), and not when it was evicted.
func (c *Cache[K, V]) LoadFrom(ctx context.Context, k K, fetch func(ctx context.Context, old V, ok bool) (V, error)) (V, error) {
	return c.load(ctx, k, fetch, false)
}

func ignoreOld[V any](fetch func(context.Context) (V, error)) func(context.Context, V, bool) (V, error) {
	return func(ctx context.Context, _ V, _ bool) (V, error) { return fetch(ctx) }
}

// LoadIn is Load for a fetch that reads in q. When q holds a connection
// (Holds), the caller does not wait for another caller's read of a
// missing key, which may need a connection of the same bounded pool: it
// reads for itself, and does not keep what it read. Nor can it read in
// the background (q ends with the caller), so it refreshes an expired
// value itself.
func (c *Cache[K, V]) LoadIn(ctx context.Context, q Querier, k K, fetch func(context.Context) (V, error)) (V, error) {
	return c.load(ctx, k, ignoreOld(fetch), Holds(q))
}

// refreshers bounds the background reads of one cache: a burst of expired
// values is read again a few at a time rather than crowding out the
// requests. One at a time is too few: on a busy node each background
// read waits its turn behind the requests at every statement, so values
// can expire faster than one reader reads them, and those twice their
// time to live old are then read by the requests that want them.
const refreshers = 4

// refreshTimeout bounds a background read.
const refreshTimeout = 30 * time.Second

func (c *Cache[K, V]) load(ctx context.Context, k K, fetch func(context.Context, V, bool) (V, error), holding bool) (V, error) {
	// The common case, a fresh value, only reads: readers never wait for
	// each other (one descheduled while holding the lock would stall the
	// rest).
	c.mu.RLock()
	if e, ok := c.entries[k]; ok && c.now().Sub(e.loaded) <= c.ttl {
		c.mu.RUnlock()
		return e.v, nil
	}
	c.mu.RUnlock()
	c.mu.Lock()
	var old V
	e, kept := c.entries[k]
	if kept {
		old = e.v
		age := c.now().Sub(e.loaded)
		_, reading := c.reads[k]
		switch {
		case age <= c.ttl || (age <= 2*c.ttl && reading):
			c.mu.Unlock()
			return e.v, nil
		case age <= 2*c.ttl && !holding:
			if c.refreshing < refreshers {
				c.refreshing++
				r := c.start(k)
				go func() {
					ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
					defer cancel()
					c.finish(ctx, k, r, old, true, fetch)
					c.mu.Lock()
					c.refreshing--
					c.mu.Unlock()
				}()
			}
			c.mu.Unlock()
			return e.v, nil
		case age > 2*c.ttl:
			delete(c.entries, k)
		}
	}
	if r, ok := c.reads[k]; ok {
		c.mu.Unlock()
		if holding {
			return fetch(ctx, old, kept)
		}
		select {
		case <-r.done:
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
		if r.err != nil {
			return fetch(ctx, old, kept)
		}
		return r.v, nil
	}
	r := c.start(k)
	c.mu.Unlock()
	c.finish(ctx, k, r, old, kept, fetch)
	return r.v, r.err
}

// start records a read of k under way; c.mu is held.
func (c *Cache[K, V]) start(k K) *read[V] {
	r := &read[V]{done: make(chan struct{})}
	c.reads[k] = r
	return r
}

// finish reads k (from old, when kept) and keeps its value unless k was
// evicted meanwhile.
func (c *Cache[K, V]) finish(ctx context.Context, k K, r *read[V], old V, kept bool, fetch func(context.Context, V, bool) (V, error)) {
	r.v, r.err = fetch(ctx, old, kept)
	c.mu.Lock()
	if c.reads[k] == r {
		delete(c.reads, k)
		if r.err == nil {
			if len(c.entries) >= c.max {
				clear(c.entries)
			}
			// Values read together (at start-up, say) expire spread over
			// half their lifetime, so that they are not read again together.
			c.entries[k] = &cached[V]{v: r.v, loaded: c.now().Add(-rand.N(c.ttl / 2))}
		}
	}
	c.mu.Unlock()
	close(r.done)
}

// Evict drops what is kept for k. A read of k under way is no longer
// shared with callers that come after, and its value is not kept.
func (c *Cache[K, V]) Evict(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
	delete(c.reads, k)
}
