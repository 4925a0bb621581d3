package account

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// Users named by several events heard before a pass are recomputed once,
// together; a failed pass is tried again with the same users.
func TestCreditQueueCoalescesAndRetries(t *testing.T) {
	q := newCreditQueue()
	q.pause = time.Millisecond
	q.add([]string{"b", "a"})
	q.add([]string{"c", "b"})
	q.add(nil)
	passes := make(chan []string, 10)
	fail := true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.run(ctx, time.Millisecond, slog.New(slog.DiscardHandler), func(ids []string) error {
		passes <- ids
		if fail {
			fail = false
			return errors.New("the database is away")
		}
		return nil
	})
	first, second := <-passes, <-passes
	if want := []string{"a", "b", "c"}; !slices.Equal(first, want) || !slices.Equal(second, want) {
		t.Fatalf("passes %v then %v; want %v twice", first, second, want)
	}
	select {
	case p := <-passes:
		t.Fatalf("a third pass, for %v, with nothing new", p)
	case <-time.After(50 * time.Millisecond):
	}
}

// A user recomputed a moment ago waits for the gap; others do not.
func TestCreditQueueWaitsOutTheGapForEachUser(t *testing.T) {
	q := newCreditQueue()
	t0 := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	q.add([]string{"busy"})
	if ids, more := q.take(t0); !slices.Equal(ids, []string{"busy"}) || more {
		t.Fatalf("first pass: %v, more %v", ids, more)
	}
	q.add([]string{"busy", "quiet"})
	if ids, more := q.take(t0.Add(time.Second)); !slices.Equal(ids, []string{"quiet"}) || !more {
		t.Fatalf("a second later: %v, more %v; want quiet now and busy still waiting", ids, more)
	}
	if ids, more := q.take(t0.Add(q.gap - time.Second)); len(ids) != 0 || !more {
		t.Fatalf("within the gap: %v, more %v", ids, more)
	}
	if ids, more := q.take(t0.Add(q.gap)); !slices.Equal(ids, []string{"busy"}) || more {
		t.Fatalf("after the gap: %v, more %v", ids, more)
	}
}
