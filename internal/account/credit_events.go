package account

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/store"
)

// Scores follow their inputs through the outbox. Whatever changes an
// input of someone's score (money moving in their wallet, a decision on
// their verification, and with moderation an upheld report or a strike)
// calls CreditChanged in its own transaction; every server hears the
// event after commit (FollowCreditChanges) and recomputes those scores a
// moment later, in the background, many users per transaction. No request
// waits for a score.

// CreditChanged announces, in tx, that the inputs of users' credit scores
// changed, so that they are recomputed shortly after tx commits. One event
// names them all (repeats and empty ids dropped): a transaction moving
// the money of many users writes one row, not one per user. A Service
// without an Outbox announces nothing: scores then change only when
// recomputed on demand or by SweepCredit.
func (s *Service) CreditChanged(ctx context.Context, tx *store.Tx, users ...string) error {
	if s.Outbox == nil {
		return nil
	}
	ids := make([]string, 0, len(users))
	for _, id := range users {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return s.Outbox.Emit(ctx, tx, credit.InputsSubject, credit.InputsChanged{Users: slices.Compact(ids)})
}

// FollowCreditChanges subscribes to the CreditChanged events of every
// node on ob and, until ctx ends, recomputes the scores they name: the
// users heard are collected, and delay after the first of them all those
// heard by then are recomputed together (RecomputeCredit, 500 per
// transaction), so a burst of payments costs one pass and a user named
// ten times is recomputed once; a user recomputed less than gap ago
// waits until gap has passed. It returns at once.
//
// Every node hears every event and recomputes the same users: the second
// computation finds the score already stored and writes nothing, so the
// repeat costs reads only — as does an event delivered twice.
//
// The users waiting live in this process's memory: those heard in the
// last moment before the process stops are not recomputed until their
// next change, a request for their report, or SweepCredit.
func (s *Service) FollowCreditChanges(ctx context.Context, ob *event.Outbox, delay, gap time.Duration, log *slog.Logger) {
	q := newCreditQueue()
	q.gap = gap
	cancel := ob.Subscribe(credit.InputsSubject, func(ev event.Event) {
		var in credit.InputsChanged
		if err := json.Unmarshal(ev.Data, &in); err != nil {
			log.Warn("an unreadable credit event", "event", ev.ID, "error", err)
			return
		}
		q.add(in.Users)
	})
	go func() {
		defer cancel()
		q.run(ctx, delay, log, func(ids []string) error {
			_, err := s.RecomputeCredit(ctx, ids, nil)
			return err
		})
	}()
}

// creditQueue collects the users whose scores are to be recomputed.
type creditQueue struct {
	mu      sync.Mutex
	pending map[string]bool
	last    map[string]time.Time // users recomputed within gap, and when
	gap     time.Duration        // the least time between two passes for one user
	wake    chan struct{}        // holds a token while users are pending
	pause   time.Duration        // after a failed pass
}

func newCreditQueue() *creditQueue {
	return &creditQueue{pending: map[string]bool{}, last: map[string]time.Time{}, gap: time.Minute,
		wake: make(chan struct{}, 1), pause: 5 * time.Second}
}

// add queues ids. It never waits: it runs on the event relay's goroutine.
func (q *creditQueue) add(ids []string) {
	if len(ids) == 0 {
		return
	}
	q.mu.Lock()
	for _, id := range ids {
		q.pending[id] = true
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns the queued users not recomputed within the gap before
// now, sorted, and marks them recomputed at now; more says users are
// still waiting for their gap to pass.
func (q *creditQueue) take(now time.Time) (ids []string, more bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for id, at := range q.last {
		if now.Sub(at) >= q.gap {
			delete(q.last, id)
		}
	}
	for id := range q.pending {
		if _, recent := q.last[id]; !recent {
			ids = append(ids, id)
			delete(q.pending, id)
			q.last[id] = now
		}
	}
	slices.Sort(ids)
	return ids, len(q.pending) > 0
}

// retry queues ids again after a failed pass, as if never recomputed.
func (q *creditQueue) retry(ids []string) {
	q.mu.Lock()
	for _, id := range ids {
		delete(q.last, id)
	}
	q.mu.Unlock()
	q.add(ids)
}

// run hands the queued users to recompute, delay after the first of a
// burst, until ctx ends; users still within their gap are looked at
// again every delay until it passes. Users whose recompute failed are
// queued again and tried after a pause.
func (q *creditQueue) run(ctx context.Context, delay time.Duration, log *slog.Logger, recompute func([]string) error) {
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		for more := true; more; {
			if !sleep(delay) {
				return
			}
			var ids []string
			ids, more = q.take(time.Now())
			if len(ids) == 0 {
				continue
			}
			if err := recompute(ids); err != nil {
				if ctx.Err() != nil {
					return
				}
				log.Warn("recomputing credit scores; trying again shortly", "users", len(ids), "error", err)
				if !sleep(q.pause) {
					return
				}
				q.retry(ids)
			}
		}
	}
}

// SweepCredit recomputes every score unless some node did so within the
// last period, and reports whether it did and how many scores changed.
// It is the net under FollowCreditChanges, which forgets the users it had
// not yet recomputed when its process stopped; and it moves the scores
// whose inputs change with time alone (account age; marks and
// verifications expiring), which no event announces. The nodes sharing
// the database take turns through a mark in worker_marks, so one of them
// sweeps each period.
func (s *Service) SweepCredit(ctx context.Context, period time.Duration) (bool, int, error) {
	now := s.db.Now()
	res, err := s.db.Exec(ctx, `INSERT INTO worker_marks (name, mark, updated_at) VALUES ('credit_sweep', $1, $1)
		ON CONFLICT (name) DO UPDATE SET mark = excluded.mark, updated_at = excluded.updated_at WHERE worker_marks.mark <= $2`,
		now, now.Add(-period))
	if err != nil {
		return false, 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, 0, err
	}
	changed, err := s.RecomputeCredit(ctx, nil, nil)
	return true, changed, err
}
