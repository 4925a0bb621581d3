package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/quanzi/quanzi/internal/errs"
)

// sqlitePragmas are set on every connection. synchronous=FULL makes each
// commit fsync the WAL, so an acknowledged write survives a crash or power
// loss; NORMAL would be faster and can lose the last commits.
var sqlitePragmas = []string{
	"busy_timeout(" + strconv.Itoa(sqliteBusyTimeout) + ")",
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(ON)",
	"temp_store(MEMORY)",
	"cache_size(-16000)",
	// Checkpoints run on a connection of their own (see checkpointer), not
	// inside a writer's commit; a WAL that grew large is cut back after.
	"wal_autocheckpoint(0)",
	"journal_size_limit(67108864)",
}

// sqliteBusyTimeout is how long (ms) a connection waits for a lock.
const sqliteBusyTimeout = 5000

func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		// Take the write lock at BEGIN, so a transaction never fails half-way
		// when it first writes while another process holds the lock.
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(opts Options) (*DB, error) {
	dir := opts.DataDir
	if dir == "" {
		dir = "quanzi-data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data folder: %w", err)
	}
	path := filepath.Join(dir, "quanzi.db")
	drv := &sqlite.Driver{}
	write := sql.OpenDB(cachingConnector{dsn: sqliteDSN(path, false), drv: drv})
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	read := sql.OpenDB(cachingConnector{dsn: sqliteDSN(path, true), drv: drv})
	n := opts.MaxConns
	if n <= 0 {
		n = max(4, 2*runtime.NumCPU())
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(5 * time.Minute)

	ckpt := sql.OpenDB(cachingConnector{dsn: sqliteDSN(path, false), drv: drv})
	ckpt.SetMaxOpenConns(1)

	abs, _ := filepath.Abs(path)
	// One committer: SQLite has one writer.
	return &DB{Engine: SQLite, write: write, read: read, ckpt: ckpt, d: sqliteDialect{}, Location: "sqlite:" + abs, committers: 1}, nil
}

// checkpointer copies committed pages from the WAL into the database file
// on its own connection, so the writer's commits never wait for it, as
// they would for SQLite's automatic checkpoint. A passive checkpoint takes
// no locks that writers or readers wait on. It runs again at once while
// there is work, and rests when the WAL is empty.
//
// Once every frame is copied, the next write starts the WAL from its
// beginning again — but only if no reader is reading from the WAL at
// that moment, and under steady load one always is: the WAL then grows
// without end (by 100 MB a second under the tip load). So once a WAL of
// walRestartFrames or more has been copied, the checkpointer restarts it
// (restartWAL).
func (db *DB) checkpointer(closing <-chan struct{}) {
	rest := 100 * time.Millisecond
	// After a restart that readers held off, the next waits longer (up to
	// 2 s), so a long read does not stall the writes again every turn.
	backoff := restartBackoff
	for wait := rest; ; {
		select {
		case <-closing:
			return
		case <-time.After(wait):
		}
		var busy, frames, copied int
		err := db.ckpt.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		switch {
		case err == nil && frames > copied:
			wait = 5 * time.Millisecond // readers held some frames back: soon again
		case err == nil && frames >= walRestartFrames:
			restarted, err := db.restartWAL()
			if err != nil {
				slog.Warn("restarting the WAL", "err", err)
			}
			if restarted {
				wait, backoff = 5*time.Millisecond, restartBackoff
			} else {
				wait, backoff = backoff, min(2*backoff, 2*time.Second)
			}
		case err == nil && frames > 0:
			wait = 20 * time.Millisecond
		default:
			wait = rest
		}
	}
}

// walRestartFrames is how long the WAL may grow (16 MB of 4 KB pages)
// before the checkpointer restarts it.
const walRestartFrames = 4096

// restartBackoff is the first wait after a restart that readers held off.
const restartBackoff = 100 * time.Millisecond

// restartWAL starts the WAL from its beginning and says whether it did.
// It runs on the writer's connection, between two write transactions, so
// it never waits for a writer: new readers read from the database file,
// and it waits up to 50 ms for the readers still in the WAL to finish
// (writes wait meanwhile). If they take longer it gives up, and the
// checkpointer tries again later. journal_size_limit then trims the file.
func (db *DB) restartWAL() (bool, error) {
	ctx := context.Background()
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 50"); err != nil {
		return false, err
	}
	var busy, frames, copied int
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &copied)
	if _, err2 := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.Itoa(sqliteBusyTimeout)); err2 != nil {
		// A writer that gave up on locks after 50 ms would fail requests.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		return false, err2
	}
	return err == nil && busy == 0, err
}

type sqliteDialect struct{}

func (sqliteDialect) rebind(q string) string { return rebindNumbered(q) }

func (sqliteDialect) mapErr(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch code := se.Code(); code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &errs.Error{Code: errs.Conflict, Message: "That already exists.", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &errs.Error{Code: errs.Invalid, Message: "That refers to something that does not exist.", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return &errs.Error{Code: errs.Invalid, Message: "A value is out of its allowed range.", Err: err}
	default:
		switch code & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return contention(err)
		}
	}
	return nil
}
