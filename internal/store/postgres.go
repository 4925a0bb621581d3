package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/quanzi/quanzi/internal/errs"
)

func openPostgres(opts Options) (*DB, error) {
	pool, err := sql.Open("pgx", opts.Database)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", redact(opts.Database), err)
	}
	n := opts.MaxConns
	if n <= 0 {
		n = 16
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pool.SetConnMaxLifetime(time.Hour)
	// Grouped runs plain transactions on PostgreSQL (see there); several
	// committers in flight at once had deadlocked on each other's rows.
	return &DB{Engine: Postgres, write: pool, read: pool, d: postgresDialect{}, Location: redact(opts.Database), committers: 1}, nil
}

type postgresDialect struct{}

func (postgresDialect) rebind(q string) string { return q }

// mapErr maps PostgreSQL's SQLSTATE codes (Appendix A of its manual).
func (postgresDialect) mapErr(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) {
			return &errs.Error{Code: errs.Unavailable, Message: "The database cannot be reached; please try again.", RetryAfter: 5 * time.Second, Err: err}
		}
		return nil
	}
	switch pe.Code {
	case "23505": // unique_violation
		return &errs.Error{Code: errs.Conflict, Message: "That already exists.", Err: err}
	case "23503": // foreign_key_violation
		return &errs.Error{Code: errs.Invalid, Message: "That refers to something that does not exist.", Err: err}
	case "23514", "23502", "22001", "22003": // check, not null, string too long, numeric out of range
		return &errs.Error{Code: errs.Invalid, Message: "A value is out of its allowed range.", Err: err}
	case "40001", "40P01", "55P03": // serialization failure, deadlock, lock not available
		return contention(err)
	case "57P01", "57P02", "57P03", "53300": // shutting down, too many connections
		return &errs.Error{Code: errs.Unavailable, Message: "The database is not available right now; please try again.", RetryAfter: 5 * time.Second, Err: err}
	}
	return nil
}
