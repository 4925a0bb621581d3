// Package event is quanzi's transactional outbox. A state change that
// others must hear about writes its event in the same transaction
// (Outbox.Emit), so the change and its announcement commit or roll back
// together. After commit a relay publishes the event on a bus — in-process
// by default, or NATS JetStream so that every node sharing the database
// hears it — and each node hands it to its local subscribers
// (Outbox.Subscribe).
//
// Delivery is at least once: a relay that stops between publishing an
// event and deleting its row publishes it again later (JetStream drops
// most such repeats by the event's id, but not all). Subscribers must
// be idempotent.
package event

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Event is one announced change.
type Event struct {
	ID      string          // store.NewID at the emitting transaction's time: unique, sorts by time
	Subject string          // dot-separated words, the most general first: "notify.<user>"
	Data    json.RawMessage // what the emitter gave, as JSON
	At      time.Time       // the emitting transaction's time
}

// MaxSubject bounds a subject's length.
const MaxSubject = 200

// Outbox writes events inside transactions and relays them after commit.
// There is one per process.
type Outbox struct {
	db   *store.DB
	bus  Bus
	log  *slog.Logger
	opts Options

	// committed carries events this process committed straight to the
	// relay, so they go out without waiting for a poll. Bounded: when it
	// is full the event waits in its row for the next poll.
	committed chan Event
	// published carries the ids of published events to the deleter.
	published chan []string
	stopped   chan struct{} // closed when the relay has stopped

	subMu sync.Mutex
	subs  atomic.Pointer[[]*subscriber]

	// Counts, for tests and metrics.
	nPublished, nPolled, nFailed atomic.Int64
}

type subscriber struct {
	prefix string
	fn     func(Event)
}

// Options tune an Outbox; zero values take the defaults.
type Options struct {
	// Bus carries events between nodes; nil is the in-process bus (Local),
	// which reaches this process's subscribers only.
	Bus    Bus
	Logger *slog.Logger
	// PollEvery is how often the relay looks for rows it was not handed:
	// written by other processes, or left by a relay that stopped.
	PollEvery time.Duration
	// Grace is how old a row must be before a poll takes it: younger rows
	// are being published by the process that wrote them.
	Grace time.Duration
	// Lease is how long a poll's claim on a row lasts: if its relay stops
	// before publishing it, another takes it after this.
	Lease time.Duration
	// Queue bounds the events waiting in memory for the relay.
	Queue int
	// WriteOnly runs no relay: Emit only writes, and the relays of the
	// servers sharing the database publish the rows after Grace. For
	// short-lived processes (quanzi admin …), which would otherwise
	// publish to no one but themselves.
	WriteOnly bool
}

// Defaults for Options.
const (
	DefaultPollEvery = time.Second
	DefaultGrace     = 5 * time.Second
	DefaultLease     = 30 * time.Second
	DefaultQueue     = 4096
)

// New returns an outbox that relays in-process (see Open), its relay
// running until db closes.
func New(db *store.DB) *Outbox {
	o, err := Open(db, Options{})
	if err != nil { // the in-process bus cannot fail
		panic("event: " + err.Error())
	}
	return o
}

// Open returns an outbox relaying through opts.Bus. Its relay runs until
// db closes; then it publishes what it was handed, and closes the bus.
func Open(db *store.DB, opts Options) (*Outbox, error) {
	if opts.Bus == nil {
		opts.Bus = Local()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = DefaultPollEvery
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	o := &Outbox{db: db, bus: opts.Bus, log: opts.Logger, opts: opts,
		committed: make(chan Event, opts.Queue),
		published: make(chan []string, 64),
		stopped:   make(chan struct{}),
	}
	o.subs.Store(&[]*subscriber{})
	if opts.WriteOnly {
		close(o.stopped)
		o.committed = nil // a send on a nil channel never proceeds: Emit's hand-over is skipped
		return o, nil
	}
	if err := o.bus.Listen(o.dispatch); err != nil {
		return nil, err
	}
	db.Background(o.relay)
	db.Background(o.deleter)
	return o, nil
}

// Emit writes an event in tx, to be published once tx commits; if tx
// rolls back, so does the event. data is encoded as JSON.
func (o *Outbox) Emit(ctx context.Context, tx *store.Tx, subject string, data any) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return errs.Wrap(err, "encoding an event")
	}
	ev := Event{ID: store.NewID(tx.Now), Subject: subject, Data: b, At: tx.Now}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (id, subject, data, created_at) VALUES ($1, $2, $3, $4)`,
		ev.ID, ev.Subject, string(b), ev.At); err != nil {
		return err
	}
	tx.AfterCommit(func() {
		select {
		case o.committed <- ev:
		default: // the relay is behind: the next poll finds the row
		}
	})
	return nil
}

// checkSubject accepts subjects NATS can carry as they are: words of
// letters, digits, '-' and '_', separated by single dots.
func checkSubject(s string) error {
	if s == "" || len(s) > MaxSubject {
		return fmt.Errorf("event: subject %q is empty or longer than %d bytes", s, MaxSubject)
	}
	prev := byte('.')
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || (c == '.' && prev != '.')
		if !ok {
			return fmt.Errorf("event: subject %q has a character other than letters, digits, '-', '_' and single dots", s)
		}
		prev = c
	}
	if prev == '.' {
		return fmt.Errorf("event: subject %q ends with a dot", s)
	}
	return nil
}

// Subscribe hands fn every event whose subject starts with prefix, from
// this node or any other, until cancel is called. fn runs on the relay's
// (or the bus's) goroutine, one event at a time: it must return quickly
// and never wait for a transaction. It may see an event twice.
func (o *Outbox) Subscribe(prefix string, fn func(Event)) (cancel func()) {
	s := &subscriber{prefix: prefix, fn: fn}
	o.subMu.Lock()
	old := *o.subs.Load()
	next := append(append(make([]*subscriber, 0, len(old)+1), old...), s)
	o.subs.Store(&next)
	o.subMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			o.subMu.Lock()
			defer o.subMu.Unlock()
			old := *o.subs.Load()
			next := make([]*subscriber, 0, len(old))
			for _, x := range old {
				if x != s {
					next = append(next, x)
				}
			}
			o.subs.Store(&next)
		})
	}
}

// dispatch hands an event from the bus to the local subscribers.
func (o *Outbox) dispatch(ev Event) {
	for _, s := range *o.subs.Load() {
		if strings.HasPrefix(ev.Subject, s.prefix) {
			o.call(s, ev)
		}
	}
}

func (o *Outbox) call(s *subscriber, ev Event) {
	defer func() {
		if p := recover(); p != nil {
			o.log.Error("an event subscriber panicked", "subject", ev.Subject, "event", ev.ID, "panic", fmt.Sprint(p))
		}
	}()
	s.fn(ev)
}

// Stats are the relay's counts since the process started.
type Stats struct {
	Published int64 // events published
	Polled    int64 // of those, found by a poll rather than handed over at commit
	Failed    int64 // publish attempts that failed (the events stay for a later poll)
}

// Stats returns the relay's counts.
func (o *Outbox) Stats() Stats {
	return Stats{Published: o.nPublished.Load(), Polled: o.nPolled.Load(), Failed: o.nFailed.Load()}
}
