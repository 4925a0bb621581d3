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
