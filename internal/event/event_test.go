package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

// inbox collects what a subscriber hears.
type inbox struct {
	mu   sync.Mutex
	evs  []event.Event
	seen map[string]int
}

func listen(ob *event.Outbox, prefix string) *inbox {
	in := &inbox{seen: map[string]int{}}
	ob.Subscribe(prefix, func(ev event.Event) {
		in.mu.Lock()
		defer in.mu.Unlock()
		in.evs = append(in.evs, ev)
		in.seen[ev.ID]++
	})
	return in
}

func (in *inbox) len() int { in.mu.Lock(); defer in.mu.Unlock(); return len(in.evs) }

// wait waits until the inbox holds n events or the limit passes.
func (in *inbox) wait(t *testing.T, n int, limit time.Duration) []event.Event {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if in.len() >= n {
			break
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.evs) < n {
		t.Fatalf("heard %d events in %v, want %d", len(in.evs), limit, n)
	}
	return append([]event.Event(nil), in.evs...)
}

func emit(t *testing.T, db *store.DB, ob *event.Outbox, subject string, data any) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *store.Tx) error { return ob.Emit(context.Background(), tx, subject, data) }); err != nil {
		t.Fatal(err)
	}
}

func outboxRows(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitRows(t *testing.T, db *store.DB, want int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && outboxRows(t, db) != want; time.Sleep(5 * time.Millisecond) {
	}
	if n := outboxRows(t, db); n != want {
		t.Fatalf("%d rows in the outbox, want %d", n, want)
	}
}

func TestAnEventIsDeliveredRightAfterCommitAndItsRowDeleted(t *testing.T) {
	db := storetest.Open(t)
	// A poll that would take the whole test: delivery must not wait for it.
	ob, err := event.Open(db, event.Options{PollEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tips := listen(ob, "tip.")
	all := listen(ob, "")
	start := time.Now()
	emit(t, db, ob, "tip.u1", map[string]int{"amount": 5})
	evs := tips.wait(t, 1, time.Second)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("delivered %v after commit", d)
	}
	if evs[0].Subject != "tip.u1" || string(evs[0].Data) != `{"amount":5}` || len(evs[0].ID) != 26 || evs[0].At.IsZero() {
		t.Fatalf("event %+v", evs[0])
	}
	emit(t, db, ob, "like.u1", nil)
	all.wait(t, 2, time.Second)
	if tips.len() != 1 {
		t.Fatalf("a subscriber to tip. heard a like")
	}
	waitRows(t, db, 0)
	if st := ob.Stats(); st.Published != 2 || st.Polled != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAnEventInATransactionThatFailsIsNeverDelivered(t *testing.T) {
	db := storetest.Open(t)
	ob, err := event.Open(db, event.Options{PollEvery: 10 * time.Millisecond, Grace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	in := listen(ob, "")
	ctx := context.Background()
	boom := errors.New("boom")
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if err := ob.Emit(ctx, tx, "doomed.one", "x"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// The same in a grouped transaction whose work fails.
	err = db.Grouped(ctx, func(tx *store.Tx) error {
		if err := ob.Emit(ctx, tx, "doomed.two", "x"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	emit(t, db, ob, "kept.one", "y")
	in.wait(t, 1, time.Second)
	time.Sleep(100 * time.Millisecond) // several polls
	// The kept one may come twice (a poll this eager can take a row before
	// its deletion); the doomed ones never.
	for _, ev := range in.wait(t, 1, 0) {
		if ev.Subject != "kept.one" {
			t.Fatalf("heard %+v", ev)
		}
	}
	waitRows(t, db, 0)
}

func TestBadSubjectsAreRefused(t *testing.T) {
	db := storetest.Open(t)
	ob := event.New(db)
	for _, s := range []string{"", "a..b", "a.", ".a", "a b", "a.*", "a.>", "ü"} {
		err := db.Tx(context.Background(), func(tx *store.Tx) error { return ob.Emit(context.Background(), tx, s, nil) })
		if err == nil {
			t.Errorf("subject %q accepted", s)
		}
	}
	if n := outboxRows(t, db); n != 0 {
		t.Fatalf("%d rows written", n)
	}
}

func TestEventsAreDeliveredInCommitOrder(t *testing.T) {
	db := storetest.Open(t)
	ob := event.New(db)
	in := listen(ob, "seq.")
	for i := range 200 {
		emit(t, db, ob, "seq.x", i)
	}
	evs := in.wait(t, 200, 5*time.Second)
	for i, ev := range evs {
		if string(ev.Data) != fmt.Sprint(i) {
			t.Fatalf("event %d carries %s", i, ev.Data)
		}
	}
}

// flaky is the in-process bus, failing while down is set.
type flaky struct {
	event.Bus
	down  atomic.Bool
	tries atomic.Int64
}

func (f *flaky) Publish(ctx context.Context, evs []event.Event) error {
	f.tries.Add(1)
	if f.down.Load() {
		return errors.New("the bus is down")
	}
	return f.Bus.Publish(ctx, evs)
}

// TestAPublishThatFailsIsRetriedByThePoll: events the bus refused stay in
// the outbox, and a later poll delivers every one of them.
func TestAPublishThatFailsIsRetriedByThePoll(t *testing.T) {
	db := storetest.Open(t)
	bus := &flaky{Bus: event.Local()}
	bus.down.Store(true)
	ob, err := event.Open(db, event.Options{Bus: bus, PollEvery: 20 * time.Millisecond, Grace: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	in := listen(ob, "")
	for i := range 5 {
		emit(t, db, ob, "retry.x", i)
	}
	for deadline := time.Now().Add(5 * time.Second); bus.tries.Load() < 3 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	if in.len() != 0 || outboxRows(t, db) != 5 {
		t.Fatalf("while the bus is down: %d heard, %d rows", in.len(), outboxRows(t, db))
	}
	bus.down.Store(false)
	// After failures the order is not kept (each failed attempt holds its
	// rows for a grace period, and they come free at different times):
	// every event arrives, in some order.
	evs := in.wait(t, 5, 5*time.Second)
	got := map[string]bool{}
	for _, ev := range evs {
		got[string(ev.Data)] = true
	}
	for i := range 5 {
		if !got[fmt.Sprint(i)] {
			t.Fatalf("after the retry, event %d never arrived: %d events heard", i, len(evs))
		}
	}
	waitRows(t, db, 0)
	// Some went out by a poll; one still waiting to be handed over when
	// the bus came back may go out directly, so not necessarily all five.
	if st := ob.Stats(); st.Failed == 0 || st.Polled == 0 || st.Published < 5 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRowsLeftBehindAreDeliveredOnceByOneOfSeveralRelays: rows that no
// process handed over (written by a process that stopped) are claimed by
// the relays sharing the database, each by one of them.
func TestRowsLeftBehindAreDeliveredOnceByOneOfSeveralRelays(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	const n = 700
	old := db.Now().Add(-time.Minute)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			data, _ := json.Marshal(i)
			if _, err := tx.Exec(ctx, `INSERT INTO outbox (id, subject, data, created_at) VALUES ($1, $2, $3, $4)`,
				store.NewID(old.Add(time.Duration(i)*time.Millisecond)), "left.behind", string(data), old.Add(time.Duration(i)*time.Millisecond)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var inboxes []*inbox
	for range 3 {
		ob, err := event.Open(db, event.Options{PollEvery: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		inboxes = append(inboxes, listen(ob, "left."))
	}
	total := func() int {
		sum := 0
		for _, in := range inboxes {
			sum += in.len()
		}
		return sum
	}
	for deadline := time.Now().Add(10 * time.Second); total() < n && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
	}
	waitRows(t, db, 0)
	seen := map[string]int{}
	for _, in := range inboxes {
		in.mu.Lock()
		for id, c := range in.seen {
			seen[id] += c
		}
		in.mu.Unlock()
	}
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	if len(seen) != n || dups != 0 {
		t.Fatalf("%d distinct events of %d delivered, %d twice", len(seen), n, dups)
	}
}

// TestClosingPublishesWhatWasHandedOver: the relay's last act, when the
// database closes, is to publish the events committed before.
func TestClosingPublishesWhatWasHandedOver(t *testing.T) {
	db := storetest.Open(t)
	ob := event.New(db)
	in := listen(ob, "")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				emit(t, db, ob, "close.x", w*100+i)
			}
		}()
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := in.len(); got != 100 {
		t.Fatalf("%d of 100 events delivered by the time the database closed", got)
	}
}

func TestCancelStopsASubscription(t *testing.T) {
	db := storetest.Open(t)
	ob := event.New(db)
	var got atomic.Int64
	cancel := ob.Subscribe("c.", func(event.Event) { got.Add(1) })
	all := listen(ob, "")
	emit(t, db, ob, "c.one", 1)
	all.wait(t, 1, time.Second)
	cancel()
	cancel()
	emit(t, db, ob, "c.two", 2)
	all.wait(t, 2, time.Second)
	if got.Load() != 1 {
		t.Fatalf("heard %d after cancel", got.Load())
	}
}

// TestAWriteOnlyOutboxLeavesItsRowsToTheServers: a short-lived process
// writes events and leaves; a server's relay publishes them after Grace.
func TestAWriteOnlyOutboxLeavesItsRowsToTheServers(t *testing.T) {
	db := storetest.Open(t)
	cli, err := event.Open(db, event.Options{WriteOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	mine := listen(cli, "")
	emit(t, db, cli, "admin.did", 1)
	time.Sleep(50 * time.Millisecond)
	if mine.len() != 0 || outboxRows(t, db) != 1 {
		t.Fatalf("the write-only outbox published: %d heard, %d rows", mine.len(), outboxRows(t, db))
	}
	server, err := event.Open(db, event.Options{PollEvery: 10 * time.Millisecond, Grace: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	listen(server, "admin.").wait(t, 1, 5*time.Second)
	waitRows(t, db, 0)
}
