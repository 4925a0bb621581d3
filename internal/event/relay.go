package event

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

// maxBatch bounds the events published (and claimed by a poll) at once.
const maxBatch = 256

// publishTimeout bounds one publish: a bus that does not answer in time
// counts as down, and the events wait for a later poll.
const publishTimeout = 10 * time.Second

// relay publishes events: those this process committed as soon as they
// are handed over, and every PollEvery the rows nobody handed it (written
// by another process, or left by a relay that stopped). It runs until the
// database begins to close, then publishes what it was handed and stops.
func (o *Outbox) relay(closing <-chan struct{}) {
	defer close(o.stopped)
	defer o.bus.Close()
	defer close(o.published) // the deleter deletes what is left, then stops
	tick := time.NewTicker(o.opts.PollEvery)
	defer tick.Stop()
	var quiet relayLog
	for {
		select {
		case <-closing:
			for batch := o.take(nil); len(batch) > 0; batch = o.take(nil) {
				if o.publish(batch, &quiet) != nil {
					return // they wait in their rows for the next relay
				}
			}
			return
		case ev := <-o.committed:
			o.publish(o.take([]Event{ev}), &quiet)
		case <-tick.C:
			o.poll(&quiet)
		}
	}
}

// take adds to batch the events already waiting, up to maxBatch.
func (o *Outbox) take(batch []Event) []Event {
	for len(batch) < maxBatch {
		select {
		case ev := <-o.committed:
			batch = append(batch, ev)
		default:
			return batch
		}
	}
	return batch
}

// relayLog keeps a bus that is down from filling the log: one warning when
// publishing starts failing, one every minute while it goes on, and a note
// when it works again.
type relayLog struct {
	failing  bool
	lastWarn time.Time
}

// publish publishes evs and has their rows deleted. On failure the rows
// stay, to be published by a later poll.
func (o *Outbox) publish(evs []Event, q *relayLog) error {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if err := o.bus.Publish(ctx, evs); err != nil {
		o.nFailed.Add(1)
		if !q.failing || time.Since(q.lastWarn) > time.Minute {
			o.log.Warn("publishing events failed; they stay in the outbox and are retried", "events", len(evs), "error", err)
			q.lastWarn = time.Now()
		}
		q.failing = true
		return err
	}
	if q.failing {
		o.log.Info("publishing events works again")
		q.failing = false
	}
	o.nPublished.Add(int64(len(evs)))
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}
	o.published <- ids
	return nil
}

// poll publishes the rows that are older than Grace and claimed by no
// relay: at most a few batches per tick, so the handed-over events do not
// wait long behind a backlog.
func (o *Outbox) poll(q *relayLog) {
	for range 8 {
		evs, err := o.claim()
		if err != nil {
			o.log.Warn("reading the outbox", "error", err)
			return
		}
		if len(evs) == 0 {
			return
		}
		if o.publish(evs, q) != nil {
			o.release(evs)
			return
		}
		o.nPolled.Add(int64(len(evs)))
		if len(evs) < maxBatch {
			return
		}
	}
}

// claim leases up to maxBatch waiting rows to this relay. On PostgreSQL
// the relays of several nodes skip each other's locked rows, so each row
// goes to one of them.
func (o *Outbox) claim() ([]Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	now := o.db.Now()
	// A read first: most polls find nothing and need no write.
	var n int
	err := o.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE created_at < $1 AND claimed_until < $2 LIMIT 1) w`,
		now.Add(-o.opts.Grace), now).Scan(&n)
	if err != nil || n == 0 {
		return nil, err
	}
	lock := ""
	if o.db.Engine == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var evs []Event
	err = o.db.Tx(ctx, func(tx *store.Tx) error {
		evs = evs[:0]
		rows, err := tx.Query(ctx, `UPDATE outbox SET claimed_until = $1 WHERE id IN (
			SELECT id FROM outbox WHERE created_at < $2 AND claimed_until < $3 ORDER BY created_at, id LIMIT $4`+lock+`)
			RETURNING id, subject, data, created_at`, tx.Now.Add(o.opts.Lease), tx.Now.Add(-o.opts.Grace), tx.Now, maxBatch)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev Event
			var data string
			if err := rows.Scan(&ev.ID, &ev.Subject, &data, &ev.At); err != nil {
				return err
			}
			ev.Data = []byte(data)
			evs = append(evs, ev)
		}
		return rows.Err()
	})
	slices.SortFunc(evs, func(a, b Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return evs, err
}

// release gives up the lease on rows that failed to publish, so the next
// poll tries them again.
func (o *Outbox) release(evs []Event) {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	for chunk := range slices.Chunk(evs, 500) {
		q, args := inList(`UPDATE outbox SET claimed_until = 0 WHERE id IN `, chunk, func(ev Event) any { return ev.ID })
		if err := o.db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, q, args...); return err }); err != nil {
			o.log.Warn("releasing outbox rows", "error", err)
		}
	}
}

// deleter deletes the rows of published events, gathering the ids that
// arrive while it works into one statement. It stops when the relay does.
func (o *Outbox) deleter(<-chan struct{}) {
	for ids := range o.published {
	gather:
		for len(ids) < 2000 {
			select {
			case more, ok := <-o.published:
				if !ok {
					break gather
				}
				ids = append(ids, more...)
			default:
				break gather
			}
		}
		o.delete(ids)
	}
}

func (o *Outbox) delete(ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	for chunk := range slices.Chunk(ids, 500) {
		q, args := inList(`DELETE FROM outbox WHERE id IN `, chunk, func(id string) any { return id })
		// A failure only means the events go out once more, after Grace.
		if err := o.db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, q, args...); return err }); err != nil {
			o.log.Warn("deleting published events from the outbox", "error", err)
		}
	}
}

// inList appends "($1, $2, …)" for items to prefix.
func inList[T any](prefix string, items []T, arg func(T) any) (string, []any) {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte('(')
	args := make([]any, len(items))
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(i + 1))
		args[i] = arg(it)
	}
	b.WriteByte(')')
	return b.String(), args
}
