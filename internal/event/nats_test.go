package event_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/event/natstest"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

// node is one quanzi process's outbox, relaying through NATS.
func natsNode(t *testing.T, db *store.DB, url string) *event.Outbox {
	t.Helper()
	bus, err := event.DialNATS(context.Background(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ob, err := event.Open(db, event.Options{Bus: bus, PollEvery: 20 * time.Millisecond, Grace: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

// TestNodesHearEachOthersEventsThroughNATS: two nodes on one database,
// each with its own relay and its own consumer: an event either emits
// reaches the subscribers of both, once.
func TestNodesHearEachOthersEventsThroughNATS(t *testing.T) {
	srv := natstest.Start(t)
	db := storetest.Open(t)
	a, b := natsNode(t, db, srv.URL), natsNode(t, db, srv.URL)
	inA, inB := listen(a, "hello."), listen(b, "hello.")
	emit(t, db, a, "hello.from_a", "a")
	emit(t, db, b, "hello.from_b", "b")
	for _, in := range []*inbox{inA, inB} {
		evs := in.wait(t, 2, 10*time.Second)
		subjects := map[string]bool{}
		for _, ev := range evs {
			subjects[ev.Subject] = true
			if ev.At.IsZero() || len(ev.ID) != 26 {
				t.Fatalf("event %+v", ev)
			}
		}
		if !subjects["hello.from_a"] || !subjects["hello.from_b"] {
			t.Fatalf("heard %v", subjects)
		}
	}
	// The same event published twice (a relay that lost its
	// acknowledgement) is heard once.
	ev := event.Event{ID: store.NewID(time.Now()), Subject: "hello.again", Data: []byte(`1`), At: time.Now()}
	bus, err := event.DialNATS(context.Background(), srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	for range 2 {
		if err := bus.Publish(context.Background(), []event.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	emit(t, db, a, "hello.last", "z")
	evs := inB.wait(t, 4, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if n := inB.len(); n != 4 || evs[2].ID != ev.ID || evs[3].Subject != "hello.last" {
		t.Fatalf("heard %d: %+v", n, evs)
	}
	waitRows(t, db, 0)
}

// TestNATSGoingAwayDelaysEventsButLosesNone: while NATS is down, events
// stay in the outbox; once it is back, the nodes reconnect by themselves
// and every event is delivered.
func TestNATSGoingAwayDelaysEventsButLosesNone(t *testing.T) {
	srv := natstest.Start(t)
	db := storetest.Open(t)
	a, b := natsNode(t, db, srv.URL), natsNode(t, db, srv.URL)
	inB := listen(b, "")
	emit(t, db, a, "up.before", 0)
	inB.wait(t, 1, 10*time.Second)

	srv.Stop()
	for i := range 5 {
		emit(t, db, a, "up.during", i)
	}
	time.Sleep(300 * time.Millisecond)
	if inB.len() != 1 || outboxRows(t, db) != 5 {
		t.Fatalf("while NATS is down: %d heard, %d rows", inB.len(), outboxRows(t, db))
	}
	srv.Restart()
	evs := inB.wait(t, 6, 30*time.Second)
	got := map[string]bool{}
	for _, ev := range evs {
		got[string(ev.Data)] = true
	}
	for i := range 5 {
		if !got[fmt.Sprint(i)] {
			t.Fatalf("event %d never arrived: %v", i, got)
		}
	}
	waitRows(t, db, 0)
}

func TestNATSUnreachableIsAClearError(t *testing.T) {
	_, err := event.DialNATS(context.Background(), "nats://user:secret@127.0.0.1:1", nil)
	if err == nil || !strings.Contains(err.Error(), "connecting to NATS at nats://user:xxxxx@127.0.0.1:1") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("%v", err)
	}
}
