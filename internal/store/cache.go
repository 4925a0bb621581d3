package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// Cache is a node's memory of what it read outside write transactions,
// for values that every change marks stale in its own transaction. A
// value read while anything was evicted is not kept (the generation read
// before the read tells), so a read that raced with a change never
// outlives it; every value is dropped after the time to live regardless.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	gen     atomic.Uint64 // bumped by every eviction
	entries map[K]cached[V]
	ttl     time.Duration
	max     int
}

type cached[V any] struct {
	v      V
	loaded time.Time
}

// NewCache returns a cache that keeps each value for ttl and at most max
// values (a full cache starts over).
func NewCache[K comparable, V any](ttl time.Duration, max int) *Cache[K, V] {
	return &Cache[K, V]{entries: map[K]cached[V]{}, ttl: ttl, max: max}
}

// Gen is the generation to read before reading what Put will keep.
func (c *Cache[K, V]) Gen() uint64 { return c.gen.Load() }

// Get returns the value kept for k, if any and not expired.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if ok && time.Since(e.loaded) > c.ttl {
		delete(c.entries, k)
		ok = false
	}
	return e.v, ok
}

// Put keeps v for k, unless something was evicted since gen was read.
func (c *Cache[K, V]) Put(gen uint64, k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[k] = cached[V]{v: v, loaded: time.Now()}
}

// Evict drops what is kept for k.
func (c *Cache[K, V]) Evict(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	delete(c.entries, k)
}
