package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
)

// collect reads from a stream until it has n items or the limit passes.
func collect(t *testing.T, st *notify.Stream, n int, limit time.Duration) []notify.Item {
	t.Helper()
	ctx := context.Background()
	var out []notify.Item
	for deadline := time.Now().Add(limit); len(out) < n && time.Now().Before(deadline); {
		items, err := st.Next(ctx, 50*time.Millisecond)
		if err != nil {
			t.Fatalf("after %d items: %v", len(out), err)
		}
		out = append(out, items...)
	}
	if len(out) != n {
		t.Fatalf("%d items in %v, want %d", len(out), limit, n)
	}
	return out
}

func wantSeqs(t *testing.T, items []notify.Item, from int64) {
	t.Helper()
	for i, it := range items {
		var n notify.Notification
		if err := json.Unmarshal(it.Data, &n); err != nil {
			t.Fatal(err)
		}
		if it.Seq != from+int64(i) || n.Seq != it.Seq {
			t.Fatalf("item %d is number %d (%d in its data), want %d", i, it.Seq, n.Seq, from+int64(i))
		}
	}
}

func TestAStreamReplaysAfterItsLastIDThenGoesLiveWithoutRepeats(t *testing.T) {
	e := newEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	ctx := context.Background()
	// Keep a copy of every event, to deliver one twice later.
	var mu sync.Mutex
	var evs []event.Event
	e.ob.Subscribe("notify.", func(ev event.Event) { mu.Lock(); evs = append(evs, ev); mu.Unlock() })
	for range 5 {
		e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	}
	st, err := e.notes.Stream(ctx, ana.ID, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	wantSeqs(t, collect(t, st, 3, 5*time.Second), 3)
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindTip, ActorID: bob.ID, Amount: 100})
	live := collect(t, st, 1, 5*time.Second)
	wantSeqs(t, live, 6)
	var n notify.Notification
	json.Unmarshal(live[0].Data, &n)
	if n.Kind != "tip" || n.Amount != 100 || n.Actor == nil || n.Actor.Handle != "bob" || n.ID == "" || n.CreatedAt.IsZero() {
		t.Fatalf("live notification %s", live[0].Data)
	}
	// At least once: the same notification's event comes again (a relay
	// that stopped before deleting it). The stream does not repeat it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		k := len(evs)
		mu.Unlock()
		if k >= 6 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	again := evs[len(evs)-1]
	mu.Unlock()
	if err := e.db.Tx(ctx, func(tx *store.Tx) error { return e.ob.Emit(ctx, tx, again.Subject, again.Data) }); err != nil {
		t.Fatal(err)
	}
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	wantSeqs(t, collect(t, st, 1, 5*time.Second), 7)
	if items, err := st.Next(ctx, 100*time.Millisecond); err != nil || len(items) != 0 {
		t.Fatalf("after the last: %d items, %v", len(items), err)
	}
}

// TestConcurrentAddsReachAStreamInOrderOnce: many transactions add to one
// user at once; the numbers have no gaps and the stream sends each once,
// in order, however their events arrive.
func TestConcurrentAddsReachAStreamInOrderOnce(t *testing.T) {
	e := newEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	ctx := context.Background()
	st, err := e.notes.Stream(ctx, ana.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := e.db.Tx(ctx, func(tx *store.Tx) error {
					return e.notes.Add(ctx, tx, notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID, Text: fmt.Sprint(w, i)})
				})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	items := collect(t, st, workers*each, 20*time.Second)
	wg.Wait()
	wantSeqs(t, items, 1)
	if p := e.list(ana.ID, false); p.Unread != workers*each || p.Items[0].Seq != workers*each {
		t.Fatalf("unread %d, last %d", p.Unread, p.Items[0].Seq)
	}
}

// TestASlowClientIsCutOffAndResumesFromTheDatabase: a stream whose client
// does not keep up holds at most StreamBuffer notifications, then ends;
// resuming after the last one it sent misses nothing.
func TestASlowClientIsCutOffAndResumesFromTheDatabase(t *testing.T) {
	e := newEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	ctx := context.Background()
	st, err := e.notes.Stream(ctx, ana.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	wantSeqs(t, collect(t, st, 1, 5*time.Second), 1)
	// The client stops reading.
	total := notify.StreamBuffer + 10
	for range total - 1 {
		e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	}
	select {
	case <-st.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the stream of a client that stopped reading did not end")
	}
	// What was buffered may still go out; then the end.
	var err2 error
	for range total {
		if _, err2 = st.Next(ctx, time.Second); err2 != nil {
			break
		}
	}
	if !errors.Is(err2, notify.ErrSlow) {
		t.Fatalf("ended with %v", err2)
	}
	st.Close()
	again, err := e.notes.Stream(ctx, ana.ID, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	wantSeqs(t, collect(t, again, total-1, 5*time.Second), 2)
	if n := e.notes.Streams(); n != 1 {
		t.Fatalf("%d streams open", n)
	}
}

func TestShutdownEndsEveryStream(t *testing.T) {
	e := newEnv(t)
	ana := e.user("ana")
	ctx := context.Background()
	st, err := e.notes.Stream(ctx, ana.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := st.Next(ctx, time.Minute)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	e.notes.Shutdown()
	select {
	case err := <-done:
		if !errors.Is(err, notify.ErrShutdown) {
			t.Fatalf("ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived the shutdown")
	}
	st.Close()
	if _, err := e.notes.Stream(ctx, ana.ID, 0, false); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("a stream opened after the shutdown: %v", err)
	}
}

func TestStreamLimitsAndResumePoints(t *testing.T) {
	e := newEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	ctx := context.Background()
	var open []*notify.Stream
	for range notify.MaxStreamsPerUser {
		st, err := e.notes.Stream(ctx, ana.ID, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, st)
	}
	if _, err := e.notes.Stream(ctx, ana.ID, 0, false); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("one too many: %v", err)
	}
	for _, st := range open {
		st.Close()
	}
	for range 3 {
		e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	}
	// A resume point beyond the last number given out starts from now.
	st, err := e.notes.Stream(ctx, ana.ID, 99, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	wantSeqs(t, collect(t, st, 1, 5*time.Second), 4)
	// Zero replays everything.
	all, err := e.notes.Stream(ctx, ana.ID, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	wantSeqs(t, collect(t, all, 4, 5*time.Second), 1)

	for in, want := range map[string]int64{"": -1, "0": 0, "17": 17} {
		after, resume, err := notify.ParseLastEventID(in)
		if err != nil || resume != (want >= 0) || (resume && after != want) {
			t.Errorf("%q: %d %v %v", in, after, resume, err)
		}
	}
	for _, bad := range []string{"x", "-1", "1.5", "99999999999999999999", " 3"} {
		if _, _, err := notify.ParseLastEventID(bad); !errs.Is(err, notify.CodeBadLastEventID) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestNotesAddedTogetherReachEachStreamThroughOneEvent(t *testing.T) {
	e := newEnv(t)
	ana, bob, cai := e.user("ana"), e.user("bob"), e.user("cai")
	ctx := context.Background()
	var mu sync.Mutex
	var subjects []string
	e.ob.Subscribe("notify.", func(ev event.Event) { mu.Lock(); subjects = append(subjects, ev.Subject); mu.Unlock() })
	streams := map[string]*notify.Stream{}
	for _, u := range []string{ana.ID, bob.ID} {
		st, err := e.notes.Stream(ctx, u, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		streams[u] = st
	}
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		return e.notes.AddAll(ctx, tx, []notify.Note{
			{UserID: ana.ID, Kind: notify.KindTip, ActorID: cai.ID, Amount: 100},
			{UserID: bob.ID, Kind: notify.KindTip, ActorID: cai.ID, Amount: 200},
			{UserID: ana.ID, Kind: notify.KindTip, ActorID: cai.ID, Amount: 300},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, collect(t, streams[ana.ID], 2, 5*time.Second), 1)
	got := collect(t, streams[bob.ID], 1, 5*time.Second)
	var n notify.Notification
	if err := json.Unmarshal(got[0].Data, &n); err != nil || n.Amount != 200 || n.Actor == nil || n.Actor.Handle != "cai" {
		t.Fatalf("bob's: %s (%v)", got[0].Data, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(subjects) != 1 || subjects[0] != "notify.batch" {
		t.Fatalf("events %v; want one for the three notes", subjects)
	}
}
