package store

import (
	"context"
	"database/sql/driver"
	"errors"
)

// SQLite compiles every query before it runs it, and the driver compiles
// afresh on each call. cachingConnector gives each connection its own cache
// of prepared statements, keyed by query text: a point read then costs
// about half as much. Caching per connection (not per pool) keeps it
// correct inside transactions, which hold the one write connection.

// maxCachedStmts bounds each connection's cache. Queries are constants in
// the code (multi-row statements in a few shapes each, see Chunks), so a
// few hundred cover them all.
const maxCachedStmts = 512

type cachingConnector struct {
	dsn string
	drv driver.Driver
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

// cachingConn wraps a driver connection. database/sql uses a connection
// from one goroutine at a time, so the map needs no lock.
type cachingConn struct {
	driver.Conn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	st   driver.Stmt
	busy bool // its rows are still open: a nested use prepares afresh
}

var errNoContext = errors.New("store: the SQLite driver lacks context support")

// prepared returns a statement for q and a function to call when done
// with it.
func (c *cachingConn) prepared(ctx context.Context, q string) (driver.Stmt, func(), error) {
	if cs, ok := c.stmts[q]; ok && !cs.busy {
		cs.busy = true
		return cs.st, func() { cs.busy = false }, nil
	}
	pc, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, nil, errNoContext
	}
	st, err := pc.PrepareContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	if _, exists := c.stmts[q]; !exists && len(c.stmts) < maxCachedStmts {
		cs := &cachedStmt{st: st, busy: true}
		c.stmts[q] = cs
		return st, func() { cs.busy = false }, nil
	}
	return st, func() { st.Close() }, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	st, done, err := c.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	defer done()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	st, done, err := c.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		done()
		return nil, err
	}
	return &doneRows{Rows: rows, done: done}, nil
}

// doneRows frees its statement for reuse when closed.
type doneRows struct {
	driver.Rows
	done func()
}

func (r *doneRows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return err
}

func (c *cachingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	if pc, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return pc.PrepareContext(ctx, q)
	}
	return c.Conn.Prepare(q)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errNoContext
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// Close finalizes the cached statements, then closes the connection:
// SQLite will not close a connection with statements outstanding.
func (c *cachingConn) Close() error {
	var errList []error
	for q, cs := range c.stmts {
		errList = append(errList, cs.st.Close())
		delete(c.stmts, q)
	}
	errList = append(errList, c.Conn.Close())
	return errors.Join(errList...)
}
