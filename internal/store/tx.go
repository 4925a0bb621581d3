package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

// errContention marks errors that mean "another transaction got in the way":
// retrying the whole transaction is the cure.
var errContention = errors.New("contention")

// contention returns the coded error for a transaction the database refused
// because of another one.
func contention(err error) error {
	return &errs.Error{Code: errs.Unavailable, Message: "The database is busy; please try again.", RetryAfter: time.Second, Err: fmt.Errorf("%w: %w", errContention, err)}
}

// Retry returns an error that makes Tx run the whole transaction again
// (a bounded number of times), as it does when the database reports
// contention: for when fn finds that a concurrent transaction got in first
// in a way the database did not report as contention.
func Retry(reason string) error { return contention(errors.New(reason)) }

// Tx is a write transaction. It carries Now, the one time at which
// everything in it happens, so records written together agree and tests can
// fix the clock.
type Tx struct {
	runner
	Now   time.Time
	after []func()
}

// AfterCommit registers f to run once the transaction has committed (and
// never if it rolls back). Side effects outside the database — waking a
// notifier, warming a cache — belong here.
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

// Engine tells which engine the transaction runs on, for the rare query
// that must differ.
func (tx *Tx) Engine() Engine { return tx.db.Engine }

// maxAttempts bounds how often Tx retries a transaction the database
// refused for contention (a serialization failure or deadlock on
// PostgreSQL, a busy lock on SQLite).
const maxAttempts = 4

// Tx runs fn in a write transaction and commits it if fn returns nil. When
// the database reports contention, the whole transaction is retried, so fn
// must keep its side effects inside the transaction (or in AfterCommit).
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = db.tryTx(ctx, fn)
		if !errors.Is(err, errContention) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return err
}

func (db *DB) tryTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.mapErr(err)
	}
	tx := &Tx{runner: runner{sqlTx, db}, Now: db.Now()}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, db.mapErr(rbErr))
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return db.mapErr(err)
	}
	for _, f := range tx.after {
		f()
	}
	return nil
}

// ReadTx runs fn against one consistent snapshot of the database, for
// reports that read a lot while others write (ledger verify). On
// PostgreSQL it is a read-only REPEATABLE READ transaction; on SQLite a
// read transaction on the read pool, whose WAL snapshot is fixed at its
// first read.
func (db *DB) ReadTx(ctx context.Context, fn func(q Querier) error) error {
	var opts *sql.TxOptions
	if db.Engine == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	sqlTx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return db.mapErr(err)
	}
	defer sqlTx.Rollback()
	return fn(runner{sqlTx, db})
}
