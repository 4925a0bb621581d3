// Package store opens quanzi's database — embedded SQLite or PostgreSQL —
// migrates it, and runs transactions that carry the time they happen at.
//
// Both engines run the same SQL. Queries are written with PostgreSQL's $N
// placeholders; the SQLite dialect rewrites them to SQLite's numbered ?N.
// Times are stored as BIGINT microseconds since the Unix epoch (UTC) on both
// engines, so ordering, comparison and day bucketing are the same everywhere;
// the query helpers convert time.Time arguments and scan destinations.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options says which database to open and how.
type Options struct {
	// Database is a PostgreSQL URL (postgres://…) or empty for SQLite.
	Database string
	// DataDir holds the SQLite file when Database is empty.
	DataDir string
	// MaxConns bounds the connection pool (the SQLite read pool, or the
	// whole PostgreSQL pool). Zero picks a default.
	MaxConns int
}

// DB is an open database. Reads go to a pool; writes go through Tx. On
// SQLite the writer is a single connection (SQLite allows one writer at a
// time, and queuing in Go is cheaper than spinning on SQLITE_BUSY); on
// PostgreSQL both are the same pool.
type DB struct {
	Engine Engine
	write  *sql.DB
	read   *sql.DB
	ckpt   *sql.DB // SQLite: the checkpointer's connection
	d      dialect
	// Clock tells the time that transactions carry. Tests replace it.
	Clock func() time.Time
	// Location describes where the data lives, for logs (never a password).
	Location string

	group      *committer    // group commit (Grouped)
	committers int           // batches that may run at once
	closing    chan struct{} // closed by Close: committers stop
	stopOnce   sync.Once
	running    sync.WaitGroup // Background loops
}

// Open opens the database named by opts. It does not migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	var db *DB
	var err error
	if isPostgresURL(opts.Database) {
		db, err = openPostgres(opts)
	} else if opts.Database != "" {
		return nil, errs.E(errs.Invalid, "The database setting %q is not a postgres:// URL; leave it empty to use the embedded SQLite database.", redact(opts.Database))
	} else {
		db, err = openSQLite(opts)
	}
	if err != nil {
		return nil, err
	}
	db.Clock = time.Now
	db.group = &committer{db: db, reqs: make(chan *groupReq)}
	db.closing = make(chan struct{})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to %s: %w", db.Location, err)
	}
	if db.ckpt != nil {
		// Only now: the first connection has put a new database into WAL
		// mode, which two connections opening at once could not both do.
		db.Background(db.checkpointer)
	}
	return db, nil
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return db.mapErr(err)
	}
	if db.write != db.read {
		return db.mapErr(db.write.PingContext(ctx))
	}
	return nil
}

// Close closes every connection. On SQLite it first checkpoints the WAL so
// the main file is complete on its own.
func (db *DB) Close() error {
	db.stopOnce.Do(func() { close(db.closing) })
	db.running.Wait() // a batch in flight finishes first
	var errList []error
	if db.Engine == SQLite {
		_, err := db.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		errList = append(errList, err)
		errList = append(errList, db.read.Close(), db.ckpt.Close())
	}
	errList = append(errList, db.write.Close())
	return errors.Join(errList...)
}

// Background runs loop on its own goroutine until the database closes:
// closing is closed when Close begins, and Close waits for loop to return,
// so work loop has started (a batch being written) is finished first.
func (db *DB) Background(loop func(closing <-chan struct{})) {
	db.running.Add(1)
	go func() {
		defer db.running.Done()
		loop(db.closing)
	}()
}

// Closing is closed when Close begins: a producer for a Background loop
// stops handing it work then.
func (db *DB) Closing() <-chan struct{} { return db.closing }

// Stats returns the pools' statistics, for metrics. On PostgreSQL both
// names refer to the same pool.
func (db *DB) Stats() map[string]sql.DBStats {
	if db.write == db.read {
		return map[string]sql.DBStats{"pool": db.write.Stats()}
	}
	return map[string]sql.DBStats{"read": db.read.Stats(), "write": db.write.Stats()}
}

// Now returns the current time as the database stores it: UTC, to the
// microsecond.
func (db *DB) Now() time.Time { return db.Clock().UTC().Truncate(time.Microsecond) }

// redact hides a password in a database URL.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		userinfo = userinfo[:i] + ":***"
	}
	return dsn[:scheme+3] + userinfo + dsn[at:]
}
