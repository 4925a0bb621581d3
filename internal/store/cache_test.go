package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

// value returns a fetch that counts its calls and answers v.
func value(calls *atomic.Int32, v int) func(context.Context) (int, error) {
	return func(context.Context) (int, error) { calls.Add(1); return v, nil }
}

func load(t *testing.T, c *store.Cache[string, int], k string, fetch func(context.Context) (int, error)) int {
	t.Helper()
	v, err := c.Load(context.Background(), k, fetch)
	if err != nil {
		t.Fatalf("Load(%s): %v", k, err)
	}
	return v
}

func TestCacheKeepsWhatItReadUntilEvicted(t *testing.T) {
	c := store.NewCache[string, int](time.Hour, 2)
	var calls atomic.Int32
	if v := load(t, c, "a", value(&calls, 1)); v != 1 {
		t.Fatalf("Load(a) = %d, want 1", v)
	}
	if v := load(t, c, "a", value(&calls, 2)); v != 1 || calls.Load() != 1 {
		t.Fatalf("Load(a) again = %d after %d reads; want the kept 1 after one read", v, calls.Load())
	}
	c.Evict("a")
	if v := load(t, c, "a", value(&calls, 3)); v != 3 {
		t.Fatalf("Load(a) after Evict = %d, want 3 (read again)", v)
	}
	// A full cache starts over rather than growing.
	load(t, c, "b", value(&calls, 4))
	load(t, c, "c", value(&calls, 5))
	calls.Store(0)
	load(t, c, "a", value(&calls, 6))
	if calls.Load() != 1 {
		t.Fatal("a cache of two held three values")
	}
}

// blocking returns a fetch that tells started when it begins and answers
// v once release is closed.
func blocking(started chan<- struct{}, release <-chan struct{}, v int) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		started <- struct{}{}
		<-release
		return v, nil
	}
}

// reading returns a cache in which a read of "a" is under way: it answers
// 1 on done once release is closed.
func reading() (c *store.Cache[string, int], release chan struct{}, done chan int) {
	c = store.NewCache[string, int](time.Hour, 10)
	started := make(chan struct{})
	release, done = make(chan struct{}), make(chan int)
	go func() {
		v, _ := c.Load(context.Background(), "a", blocking(started, release, 1))
		done <- v
	}()
	<-started
	return c, release, done
}

func TestCacheDoesNotKeepAValueReadWhileItsKeyWasEvicted(t *testing.T) {
	c, release, done := reading()
	c.Evict("a") // a change committed while "a" was being read
	// Callers after the eviction do not share the old read.
	var calls atomic.Int32
	if v := load(t, c, "a", value(&calls, 2)); v != 2 || calls.Load() != 1 {
		t.Fatalf("Load(a) after the eviction = %d with %d reads of its own; want 2 with 1", v, calls.Load())
	}
	c.Evict("a")
	close(release)
	if v := <-done; v != 1 {
		t.Fatalf("the raced read answered %d, want its own 1", v)
	}
	if v := load(t, c, "a", value(&calls, 3)); v != 3 {
		t.Fatalf("Load(a) = %d: the value read while its key was evicted was kept; want 3", v)
	}
}

func TestCacheReadsAMissingKeyOnceForEveryoneWaiting(t *testing.T) {
	c := store.NewCache[string, int](time.Hour, 10)
	started, release := make(chan struct{}), make(chan struct{})
	const waiting = 8
	var wg sync.WaitGroup
	var calls atomic.Int32
	got := make(chan int, waiting+1)
	wg.Go(func() {
		v, _ := c.Load(context.Background(), "a", blocking(started, release, 7))
		got <- v
	})
	<-started
	for range waiting {
		wg.Go(func() {
			v, _ := c.Load(context.Background(), "a", value(&calls, 99))
			got <- v
		})
	}
	time.Sleep(20 * time.Millisecond) // let them reach the wait
	close(release)
	wg.Wait()
	close(got)
	for v := range got {
		if v != 7 {
			t.Fatalf("a caller got %d, want the shared read's 7", v)
		}
	}
	if calls.Load() != 0 {
		t.Fatalf("%d callers read for themselves while one read was under way", calls.Load())
	}
}

func TestCacheWaitersReadForThemselvesWhenTheSharedReadFails(t *testing.T) {
	c := store.NewCache[string, int](time.Hour, 10)
	started, release := make(chan struct{}), make(chan struct{})
	failed := make(chan error)
	go func() {
		_, err := c.Load(context.Background(), "a", func(context.Context) (int, error) {
			started <- struct{}{}
			<-release
			return 0, errors.New("database gone")
		})
		failed <- err
	}()
	<-started
	got := make(chan int)
	go func() {
		v, _ := c.Load(context.Background(), "a", func(context.Context) (int, error) { return 5, nil })
		got <- v
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	if err := <-failed; err == nil {
		t.Fatal("the failed read reported no error")
	}
	if v := <-got; v != 5 {
		t.Fatalf("the waiter got %d, want its own read's 5", v)
	}
	// A waiter that gives up returns its context's error.
	started2 := make(chan struct{})
	go c.Load(context.Background(), "b", blocking(started2, make(chan struct{}), 1))
	<-started2
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Load(ctx, "b", value(new(atomic.Int32), 2)); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled waiter got %v, want context.Canceled", err)
	}
}

// expired returns a cache whose value of "a", 1, has just expired, and
// the count of reads to use for later ones.
func expired(t *testing.T, ttl time.Duration) (*store.Cache[string, int], *atomic.Int32) {
	c := store.NewCache[string, int](ttl, 10)
	calls := new(atomic.Int32)
	load(t, c, "a", value(calls, 1))
	time.Sleep(ttl + 5*time.Millisecond)
	calls.Store(0)
	return c, calls
}

func TestCacheServesAnExpiredValueWhileItIsReadAgainInTheBackground(t *testing.T) {
	const ttl = 50 * time.Millisecond
	c, calls := expired(t, ttl)
	started, release := make(chan struct{}), make(chan struct{})
	// The first caller to see it expired is answered at once, from what
	// is kept, and starts the read; so is everyone while it is under way.
	if v := load(t, c, "a", blocking(started, release, 2)); v != 1 {
		t.Fatalf("Load(a) once expired = %d, want the kept 1", v)
	}
	<-started
	if v := load(t, c, "a", value(calls, 3)); v != 1 || calls.Load() != 0 {
		t.Fatalf("during the refresh Load(a) = %d after %d reads; want the kept 1 without a read", v, calls.Load())
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for load(t, c, "a", value(calls, 4)) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the background read's value was never served")
		}
		time.Sleep(time.Millisecond)
	}
	// A value twice as old as the time to live is not served.
	time.Sleep(2*ttl + 10*time.Millisecond)
	if v := load(t, c, "a", value(calls, 5)); v != 5 {
		t.Fatalf("Load(a) = %d; a value twice as old as its time to live was served", v)
	}
}

func TestCacheReadsOnlyAFewExpiredValuesAgainAtATime(t *testing.T) {
	// A clock of the test's own: every value is expired but not twice its
	// time to live old however slow the machine, so each is answered at
	// once while the cache reads it again in the background.
	const ttl = time.Minute
	now := time.Now()
	c := store.NewCache[string, int](ttl, 100)
	c.SetClock(func() time.Time { return now })
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var calls atomic.Int32
	for _, k := range keys {
		load(t, c, k, value(&calls, 1))
	}
	now = now.Add(ttl + ttl/4) // values are kept up to half their lifetime early: 1.25 to 1.75 ttl old
	var running, most atomic.Int32
	release := make(chan struct{})
	for _, k := range keys {
		if got := load(t, c, k, func(context.Context) (int, error) {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			<-release
			running.Add(-1)
			return 2, nil
		}); got != 1 {
			t.Fatalf("an expired value %q was not answered at once: %d", k, got)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); running.Load() < store.Refreshers && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // time for a read beyond the bound to start
	close(release)
	if most.Load() != store.Refreshers {
		t.Fatalf("%d of %d expired values were read at once; want %d", most.Load(), len(keys), store.Refreshers)
	}
}

// A fetch given to LoadFrom sees the value kept for its key, however
// old, to bring it up to date; not one that was evicted.
func TestCacheLoadFromHandsTheKeptValueToTheRead(t *testing.T) {
	const ttl = time.Minute
	now := time.Now()
	c := store.NewCache[string, int](ttl, 10)
	c.SetClock(func() time.Time { return now })
	// from answers one more than the kept value, or 100 without one.
	var saw []string
	from := func(_ context.Context, old int, ok bool) (int, error) {
		saw = append(saw, fmt.Sprint(old, ok))
		if !ok {
			return 100, nil
		}
		return old + 1, nil
	}
	loadFrom := func() int {
		t.Helper()
		v, err := c.LoadFrom(context.Background(), "a", from)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	loadFrom()
	now = now.Add(3 * ttl) // too old to serve: read before answering
	if v := loadFrom(); v != 101 {
		t.Fatalf("LoadFrom of a value three lifetimes old = %d, want 101 (the kept 100, brought up to date)", v)
	}
	c.Evict("a")
	if v := loadFrom(); v != 100 {
		t.Fatalf("LoadFrom after Evict = %d, want 100 (read without the evicted value)", v)
	}
	if got := fmt.Sprint(saw); got != "[0 false 100 true 0 false]" {
		t.Fatalf("the reads saw %s", got)
	}
}

// inTx stands for a transaction: a Querier that is not a *store.DB.
type inTx struct{ store.Querier }

func TestCacheCallersInATransactionDoNotWaitForAnotherRead(t *testing.T) {
	c, release, done := reading()
	// Waiting here could deadlock a bounded pool: this caller holds a
	// connection, and the read under way may need one.
	var calls atomic.Int32
	v, err := c.LoadIn(context.Background(), inTx{}, "a", value(&calls, 2))
	if err != nil || v != 2 || calls.Load() != 1 {
		t.Fatalf("LoadIn in a transaction = %d, %v after %d reads; want its own read's 2", v, err, calls.Load())
	}
	close(release)
	<-done
	if v := load(t, c, "a", value(&calls, 3)); v != 1 {
		t.Fatalf("Load(a) = %d, want the shared read's 1 (kept), not the transaction's own", v)
	}
}

func TestCacheCallersInATransactionReadAnExpiredValueThemselves(t *testing.T) {
	c, calls := expired(t, 20*time.Millisecond)
	// Its transaction ends with it, so it cannot leave the read to the
	// background: it reads now, and what it read is kept.
	v, err := c.LoadIn(context.Background(), inTx{}, "a", value(calls, 2))
	if err != nil || v != 2 {
		t.Fatalf("LoadIn of an expired value in a transaction = %d, %v; want its own read's 2", v, err)
	}
	if v := load(t, c, "a", value(calls, 3)); v != 2 {
		t.Fatalf("Load(a) = %d, want the 2 the transaction read", v)
	}
}
