package account

import (
	"testing"
	"time"
)

// A principal loaded before an eviction may hold what the eviction
// removed, so it must not be stored.
func TestCacheRefusesALoadThatRacedWithAnEviction(t *testing.T) {
	c := newPrincipalCache()
	now := time.Now()
	e := cachedPrincipal{sess: Session{TokenHash: "h", User: User{ID: "u"}}, loadedAt: now}
	gen := c.gen.Load()
	c.evict("user:u") // a sign-out commits while the load is under way
	c.put(gen, e)
	if _, ok := c.get("h", now); ok {
		t.Fatal("a stale load was cached")
	}
	c.put(c.gen.Load(), e)
	if _, ok := c.get("h", now); !ok {
		t.Fatal("a clean load was not cached")
	}
	if _, ok := c.get("h", now.Add(c.ttl)); ok {
		t.Fatal("an entry outlived its ttl")
	}
	c.evict("session:h")
	if _, ok := c.get("h", now); ok || len(c.byUser) != 0 {
		t.Fatal("evicting a session left it behind")
	}
}

func TestCacheStaysBounded(t *testing.T) {
	c := newPrincipalCache()
	c.max = 10
	now := time.Now()
	for i := range 50 {
		id := string(rune('a' + i%26))
		c.put(c.gen.Load(), cachedPrincipal{sess: Session{TokenHash: id + string(rune('0'+i/26)), User: User{ID: id}}, loadedAt: now})
	}
	if n := len(c.byToken); n > 10 {
		t.Fatalf("%d entries in a cache of 10", n)
	}
}
