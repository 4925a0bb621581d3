package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Group commit. A durable commit costs a disk flush, and a flush costs the
// same for one transfer as for a hundred. Grouped lets concurrent callers
// share one database transaction: a committer takes the first waiting
// request, then every other request that is already waiting (up to
// maxBatch), runs each in its own SAVEPOINT, and commits once. While it
// flushes, the next batch gathers. Each caller:
//
//   - sees only its own work undone if it fails (ROLLBACK TO SAVEPOINT), and
//     hears of its failure at once;
//   - hears of its success only after the shared commit is durable;
//   - shares the fate of the batch if the commit itself fails (then nothing
//     of the batch was written, so a retry is safe).

// maxBatch bounds a batch, so one commit's flush does not wait on an
// endless stream of work.
const maxBatch = 256

type groupReq struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error
}

type committer struct {
	db   *DB
	reqs chan *groupReq
	once sync.Once
	// Counted for metrics and tests: commits made, and requests in them.
	batches, requests atomic.Int64
}

// GroupStats returns how many shared commits Grouped has made and how many
// requests they carried.
func (db *DB) GroupStats() (batches, requests int64) {
	return db.group.batches.Load(), db.group.requests.Load()
}

// Grouped runs fn like Tx does — atomically, with Now, retried on
// contention — but may share its transaction and its commit with other
// callers. fn must keep to tx: it runs on the committer's goroutine, which
// holds a write connection, so calling Tx or Grouped from inside it would
// wait forever.
func (db *DB) Grouped(ctx context.Context, fn func(tx *Tx) error) error {
	if db.Engine == Postgres {
		// PostgreSQL already flushes the WAL of concurrent commits together,
		// and runs them on many connections at once; grouping them again on
		// one connection was measured slower (1.0k against 1.4k transfers/s
		// at 64 callers). SQLite, with its one writer, needs the grouping.
		return db.Tx(ctx, fn)
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = db.submit(ctx, fn)
		if !errors.Is(err, errContention) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (db *DB) submit(ctx context.Context, fn func(tx *Tx) error) error {
	c := db.group
	c.once.Do(func() {
		for range db.committers {
			db.Background(c.loop)
		}
	})
	r := &groupReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return db.mapErr(ctx.Err())
	case <-db.closing:
		return db.mapErr(ErrClosed)
	}
	// Once submitted, wait for the answer even if ctx ends: the work may
	// already be in a commit, and the caller must learn whether it counted.
	return <-r.done
}

// ErrClosed is the cause of a refusal to start work on a closed database.
var ErrClosed = errors.New("store: the database is closed")

func (c *committer) loop(closing <-chan struct{}) {
	for {
		select {
		case <-closing:
			return
		case first := <-c.reqs:
			c.batch(first)
		}
	}
}

// member is a request that succeeded inside the batch, with the callbacks
// to run after the commit.
type member struct {
	r     *groupReq
	after []func()
}

func (c *committer) batch(first *groupReq) {
	db := c.db
	sqlTx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		first.done <- db.mapErr(err)
		return
	}
	var members []member
	broken := error(nil)
	run := func(r *groupReq) {
		if broken != nil {
			r.done <- broken
			return
		}
		after, err := c.runOne(sqlTx, r, len(members))
		switch {
		case errors.Is(err, errBatchBroken):
			broken = err
			r.done <- err
		case err != nil:
			r.done <- err
		default:
			members = append(members, member{r, after})
		}
	}
	run(first)
	for n := 1; n < maxBatch && broken == nil; n++ {
		select {
		case r := <-c.reqs:
			run(r)
			continue
		default:
		}
		break
	}
	if broken != nil {
		sqlTx.Rollback()
		for _, m := range members {
			m.r.done <- broken
		}
		return
	}
	if err := sqlTx.Commit(); err != nil {
		err = db.mapErr(err)
		for _, m := range members {
			m.r.done <- err
		}
		return
	}
	c.batches.Add(1)
	c.requests.Add(int64(len(members)))
	for _, m := range members {
		for _, f := range m.after {
			f()
		}
		m.r.done <- nil
	}
}

// errBatchBroken marks a failure that spoils the whole shared transaction
// (a savepoint that could not be rolled back to).
var errBatchBroken = errors.New("the shared transaction failed")

// runOne runs one request in its own savepoint.
func (c *committer) runOne(sqlTx *sql.Tx, r *groupReq, i int) (after []func(), err error) {
	db := c.db
	if err := r.ctx.Err(); err != nil {
		return nil, db.mapErr(err)
	}
	sp := fmt.Sprintf("g%d", i)
	// Never under the request's context: an interrupted statement makes
	// SQLite roll back the whole shared transaction, everyone's work.
	if _, err := sqlTx.Exec("SAVEPOINT " + sp); err != nil {
		return nil, fmt.Errorf("%w: %w", errBatchBroken, db.mapErr(err))
	}
	tx := &Tx{runner: runner{c: txConn{sqlTx, r.ctx}, db: db}, Now: db.Now()}
	err = func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic in a grouped transaction: %v", p)
			}
		}()
		return r.fn(tx)
	}()
	if err != nil {
		if _, rerr := sqlTx.Exec("ROLLBACK TO SAVEPOINT " + sp); rerr != nil {
			return nil, fmt.Errorf("%w: %w", errBatchBroken, db.mapErr(rerr))
		}
		sqlTx.Exec("RELEASE SAVEPOINT " + sp)
		return nil, err
	}
	if _, err := sqlTx.Exec("RELEASE SAVEPOINT " + sp); err != nil {
		// On PostgreSQL a statement that failed leaves the savepoint
		// unusable even if fn went on; undo fn's work, fail only fn.
		if _, rerr := sqlTx.Exec("ROLLBACK TO SAVEPOINT " + sp); rerr != nil {
			return nil, fmt.Errorf("%w: %w", errBatchBroken, db.mapErr(rerr))
		}
		sqlTx.Exec("RELEASE SAVEPOINT " + sp)
		return nil, db.mapErr(err)
	}
	return tx.after, nil
}

// txConn runs a request's statements on the shared transaction under the
// request's own context... but never lets that context cancel a statement
// half-way through the shared transaction: cancellation is checked before
// each statement instead.
type txConn struct {
	tx  *sql.Tx
	ctx context.Context
}

func (t txConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := t.ctx.Err(); err != nil {
		return nil, err
	}
	return t.tx.ExecContext(context.Background(), q, args...)
}

func (t txConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := t.ctx.Err(); err != nil {
		return nil, err
	}
	return t.tx.QueryContext(context.Background(), q, args...)
}

func (t txConn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(context.Background(), q, args...)
}
