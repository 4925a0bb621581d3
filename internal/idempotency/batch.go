package idempotency

import (
	"context"

	"github.com/quanzi/quanzi/internal/store"
)

// Batches. An operation that settles many requests in one transaction
// (the transfer batcher) does not claim keys ahead of time the way Begin
// does; it checks them all in its transaction, runs the requests that may
// run, and records their answers in the same transaction. The answer and
// the money then commit together, and a concurrent attempt with the same
// key either sees the answer committed or collides with it and runs the
// transaction again.

// Attempt is one keyed request in a batch.
type Attempt struct {
	Scope, Key, Hash string
	prior            string // the claim of a stored row to take over, if any
}

// Check judges the keys of atts in tx, as Begin does. For atts[i]:
// replays[i] is the answer recorded by an earlier attempt; refusals[i] is
// a mismatch, or "in progress" (another attempt holds the key, or an
// earlier request in the same batch has it); if both are nil the request
// may run, and Record writes its answer.
func (s *Store) Check(ctx context.Context, tx *store.Tx, atts []*Attempt) (replays []*Response, refusals []error, err error) {
	stored := map[[2]string]row{}
	err = store.Chunks(len(atts), func(lo, hi int) error {
		args := make([]any, 0, 2*(hi-lo))
		for _, a := range atts[lo:hi] {
			args = append(args, a.Scope, a.Key)
		}
		rows, err := tx.Query(ctx, `SELECT `+rowColumns+` FROM idempotency_keys
			WHERE (scope, idem_key) IN (VALUES `+store.Values(hi-lo, 2, 1)+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			if err := rows.Scan(r.dest()...); err != nil {
				return err
			}
			stored[[2]string{r.scope, r.key}] = r
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	replays = make([]*Response, len(atts))
	refusals = make([]error, len(atts))
	seen := make(map[[2]string]bool, len(atts))
	for i, a := range atts {
		k := [2]string{a.Scope, a.Key}
		if seen[k] {
			refusals[i] = inProgress()
			continue
		}
		seen[k] = true
		a.prior = ""
		if r, ok := stored[k]; ok {
			replays[i], refusals[i] = s.judge(tx.Now, a.Hash, r)
			a.prior = r.claim
		}
	}
	return replays, refusals, nil
}

// Record writes in tx the answers resps[i] of atts[i], which Check let
// run. If a concurrent transaction recorded one of these keys first, it
// returns a store.Retry error: the transaction then runs again from the
// start, and Check replays that key's answer.
func (s *Store) Record(ctx context.Context, tx *store.Tx, atts []*Attempt, resps []Response) error {
	const raced = "another request with the same Idempotency-Key was answered first"
	var fresh []int
	for i, a := range atts {
		if a.prior == "" {
			fresh = append(fresh, i)
			continue
		}
		ok, err := s.takeOver(ctx, tx, a.prior, s.answered(tx, a, resps[i]))
		if err != nil {
			return err
		}
		if !ok {
			return store.Retry(raced)
		}
	}
	return store.Chunks(len(fresh), func(lo, hi int) error {
		args := make([]any, 0, 11*(hi-lo))
		for _, i := range fresh[lo:hi] {
			r := s.answered(tx, atts[i], resps[i])
			args = append(args, r.scope, r.key, r.hash, r.claim, r.state, r.lockedUntil,
				r.resp.Status, r.resp.ContentType, string(r.resp.Body), tx.Now, tx.Now.Add(s.TTL))
		}
		res, err := tx.Exec(ctx, `INSERT INTO idempotency_keys
			(scope, idem_key, request_hash, claim, state, locked_until, status, content_type, body, created_at, expires_at)
			VALUES `+store.Values(hi-lo, 11, 1)+` ON CONFLICT (scope, idem_key) DO NOTHING`, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(hi-lo) {
			return store.Retry(raced)
		}
		return nil
	})
}

// answered is the row of a key whose request was answered with resp.
func (s *Store) answered(tx *store.Tx, a *Attempt, resp Response) row {
	return row{scope: a.Scope, key: a.Key, hash: a.Hash, claim: newToken(), state: "done", lockedUntil: tx.Now, resp: resp}
}

// Keyed is a call in a batch that may carry a key: Keyed returns where
// the call keeps its key's attempt and verdict.
type Keyed interface{ Keyed() *Verdict }

// Verdict is what the keys said of one call in a batch. Attempt is nil
// for a call without a key.
type Verdict struct {
	Attempt *Attempt
	Replay  *Response // the answer an earlier attempt recorded
	Refusal error     // a mismatch, or the key in progress
}

// CheckCalls judges the keys of calls in tx (those with an Attempt), as
// Check does, setting each one's Replay or Refusal, and returns the keyed
// calls that may run: their answers are for RecordCalls.
func CheckCalls[C Keyed](ctx context.Context, tx *store.Tx, s *Store, calls []C) ([]C, error) {
	var keyed []C
	var atts []*Attempt
	for _, c := range calls {
		v := c.Keyed()
		v.Replay, v.Refusal = nil, nil
		if v.Attempt != nil {
			keyed = append(keyed, c)
			atts = append(atts, v.Attempt)
		}
	}
	if len(keyed) == 0 {
		return nil, nil
	}
	replays, refusals, err := s.Check(ctx, tx, atts)
	if err != nil {
		return nil, err
	}
	var run []C
	for i, c := range keyed {
		v := c.Keyed()
		v.Replay, v.Refusal = replays[i], refusals[i]
		if v.Replay == nil && v.Refusal == nil {
			run = append(run, c)
		}
	}
	return run, nil
}

// RecordCalls records answer(c) under the key of each of run, in tx.
func RecordCalls[C Keyed](ctx context.Context, tx *store.Tx, s *Store, run []C, answer func(C) Response) error {
	atts := make([]*Attempt, len(run))
	resps := make([]Response, len(run))
	for i, c := range run {
		atts[i], resps[i] = c.Keyed().Attempt, answer(c)
	}
	return s.Record(ctx, tx, atts, resps)
}
