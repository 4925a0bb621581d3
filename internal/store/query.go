package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

// ErrNoRows is returned by Row.Scan when the query selected nothing.
var ErrNoRows = sql.ErrNoRows

// dialect holds what differs between the engines.
type dialect interface {
	rebind(query string) string
	// mapErr returns err as a coded error, or nil if it is not one the
	// engine's error codes tell us about.
	mapErr(err error) error
}

// Querier runs SQL. Both *DB (reading from the pool) and *Tx (inside a
// transaction) are Queriers, so read functions serve both.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *Row
}

// Holds reports whether q holds a connection of its pool while it is used
// (a transaction does; *DB takes one for each statement). A caller that
// holds one must not wait for work that may need another: the pool is
// bounded (Cache.LoadIn).
func Holds(q Querier) bool {
	_, pooled := q.(*DB)
	return !pooled
}

// conn is what *sql.DB and *sql.Tx have in common.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// runner gives a conn the dialect's rebinding, argument conversion and
// error mapping.
type runner struct {
	c  conn
	db *DB
}

func (r runner) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := r.c.ExecContext(ctx, r.db.d.rebind(query), convertArgs(args)...)
	return res, r.db.mapErr(err)
}

func (r runner) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	rows, err := r.c.QueryContext(ctx, r.db.d.rebind(query), convertArgs(args)...)
	if err != nil {
		return nil, r.db.mapErr(err)
	}
	return &Rows{rows: rows, db: r.db}, nil
}

func (r runner) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return &Row{row: r.c.QueryRowContext(ctx, r.db.d.rebind(query), convertArgs(args)...), db: r.db}
}

// Exec runs a statement outside any transaction, on the writer.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return runner{db.write, db}.Exec(ctx, query, args...)
}

// Query reads from the read pool.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	return runner{db.read, db}.Query(ctx, query, args...)
}

// QueryRow reads one row from the read pool.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return runner{db.read, db}.QueryRow(ctx, query, args...)
}

// Row is one selected row.
type Row struct {
	row *sql.Row
	db  *DB
}

// Scan copies the row into dest. A *time.Time or **time.Time destination
// reads the stored microseconds. It returns ErrNoRows when there was no row.
func (r *Row) Scan(dest ...any) error {
	err := r.row.Scan(convertDest(dest)...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoRows
	}
	return r.db.mapErr(err)
}

// Rows is the result of a query.
type Rows struct {
	rows *sql.Rows
	db   *DB
}

func (r *Rows) Next() bool   { return r.rows.Next() }
func (r *Rows) Close() error { return r.rows.Close() }
func (r *Rows) Err() error   { return r.db.mapErr(r.rows.Err()) }

// Scan copies the current row into dest, as Row.Scan does.
func (r *Rows) Scan(dest ...any) error { return r.db.mapErr(r.rows.Scan(convertDest(dest)...)) }

// mapErr (MapErr) turns a driver error into a coded error where the engine's error
// code says what happened; anything else becomes Internal with its cause.
func (db *DB) mapErr(err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var coded *errs.Error
	if errors.As(err, &coded) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &errs.Error{Code: errs.Unavailable, Message: "The request was cancelled or took too long.", Err: err}
	}
	if m := db.d.mapErr(err); m != nil {
		return m
	}
	return &errs.Error{Code: errs.Internal, Message: "Something went wrong on our side.", Err: err}
}

// convertArgs stores times as UTC microseconds since the epoch.
func convertArgs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UnixMicro()
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = v.UnixMicro()
			}
		}
	}
	return args
}

func convertDest(dest []any) []any {
	for i, d := range dest {
		switch p := d.(type) {
		case *time.Time:
			dest[i] = timeDest{p}
		case **time.Time:
			dest[i] = nullTimeDest{p}
		}
	}
	return dest
}

type timeDest struct{ p *time.Time }

func (d timeDest) Scan(src any) error {
	us, ok, err := micros(src)
	if err != nil {
		return err
	}
	if !ok {
		*d.p = time.Time{}
		return nil
	}
	*d.p = time.UnixMicro(us).UTC()
	return nil
}

type nullTimeDest struct{ p **time.Time }

func (d nullTimeDest) Scan(src any) error {
	us, ok, err := micros(src)
	if err != nil {
		return err
	}
	if !ok {
		*d.p = nil
		return nil
	}
	t := time.UnixMicro(us).UTC()
	*d.p = &t
	return nil
}

func micros(src any) (int64, bool, error) {
	switch v := src.(type) {
	case nil:
		return 0, false, nil
	case int64:
		return v, true, nil
	case []byte:
		n, err := strconv.ParseInt(string(v), 10, 64)
		return n, err == nil, err
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil, err
	}
	return 0, false, fmt.Errorf("store: cannot read %T as a time", src)
}

// rebindCache remembers rewritten queries; queries are constants, so it
// stays small.
var rebindCache sync.Map

// rebindNumbered rewrites PostgreSQL's $N placeholders as SQLite's ?N,
// leaving string literals, quoted identifiers and comments alone.
func rebindNumbered(q string) string {
	if v, ok := rebindCache.Load(q); ok {
		return v.(string)
	}
	// numbered keeps the numbers (?3); plain drops them, which is right
	// when every placeholder appears once, in order. SQLite binds plain
	// ones faster: it looks each numbered one up by name, in a list, so a
	// statement with hundreds of them pays for it many times over.
	numbered, plain := make([]byte, 0, len(q)), make([]byte, 0, len(q))
	next, inOrder := 1, true
	emit := func(b ...byte) {
		numbered = append(numbered, b...)
		plain = append(plain, b...)
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			emit([]byte(q[i:min(j+1, len(q))])...)
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := i
			for j < len(q) && q[j] != '\n' {
				j++
			}
			emit([]byte(q[i:j])...)
			i = j - 1
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(q[i+1 : j])
			inOrder = inOrder && n == next
			next++
			numbered = append(append(numbered, '?'), q[i+1:j]...)
			plain = append(plain, '?')
			i = j - 1
		default:
			emit(c)
		}
	}
	s := string(numbered)
	if inOrder {
		s = string(plain)
	}
	rebindCache.Store(q, s)
	return s
}

// MapErr returns err coded as the store's own functions return errors;
// for errors met around the store, such as a context that ended.
func (db *DB) MapErr(err error) error { return db.mapErr(err) }
