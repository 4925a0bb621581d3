package store_test

import (
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

func TestCacheKeepsWhatNoEvictionRacedWith(t *testing.T) {
	c := store.NewCache[string, int](time.Hour, 2)
	gen := c.Gen()
	c.Put(gen, "a", 1)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v; want 1, true", v, ok)
	}
	// A read that began before an eviction is not kept.
	gen = c.Gen()
	c.Evict("a")
	c.Put(gen, "b", 2)
	if _, ok := c.Get("b"); ok {
		t.Fatal("a value read before an eviction was kept")
	}
	if _, ok := c.Get("a"); ok {
		t.Fatal("an evicted value is still kept")
	}
	// A full cache starts over rather than growing.
	gen = c.Gen()
	c.Put(gen, "x", 1)
	c.Put(gen, "y", 2)
	c.Put(gen, "z", 3)
	if _, ok := c.Get("x"); ok {
		t.Fatal("a cache of two holds three values")
	}
	if v, ok := c.Get("z"); !ok || v != 3 {
		t.Fatalf("Get(z) = %d, %v; want 3, true", v, ok)
	}
}

func TestCacheDropsExpiredValues(t *testing.T) {
	c := store.NewCache[string, int](time.Millisecond, 10)
	c.Put(c.Gen(), "a", 1)
	time.Sleep(5 * time.Millisecond)
	if _, ok := c.Get("a"); ok {
		t.Fatal("a value outlived its time to live")
	}
}
