package sqlitedrivers

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	mattn "github.com/mattn/go-sqlite3"
	ncruces "github.com/ncruces/go-sqlite3/driver"
	modernc "modernc.org/sqlite"
)

// The same pragmas are run on every new connection of every driver.
var pragmas = []string{
	"PRAGMA journal_mode=WAL",
	"PRAGMA synchronous=FULL",
	"PRAGMA foreign_keys=ON",
	"PRAGMA busy_timeout=5000",
}

const (
	nAccounts = 100_000
	nUsers    = 10_000
	nSessions = 100_000
	readPool  = 4
)

var (
	dirFlag   = flag.String("dir", "", "directory for the database files (default: a new dir under $TMPDIR)")
	extraFlag = flag.String("extra-pragma", "", "one more pragma for every driver, e.g. cache_size=-65536")
)

// benchDir is where all database files and the fsync file live.
var benchDir string

type drv struct {
	name string
	d    driver.Driver

	once   sync.Once
	err    error
	writer *sql.DB // one connection: SQLite has a single writer
	reader *sql.DB // read pool
}

// Drivers are used through their driver.Driver values, not sql.Open by name:
// mattn and ncruces both register "sqlite3", so the test binary is built with
// -ldflags=-X=github.com/ncruces/go-sqlite3/driver.driverName=sqlite3-ncruces
// (see run.sh).
var drivers = []*drv{
	{name: "modernc", d: &modernc.Driver{}},
	{name: "mattn", d: &mattn.SQLiteDriver{}},
	{name: "ncruces", d: &ncruces.SQLite{}},
}

// pragmaConnector opens connections with d and runs pragmas on each one.
type pragmaConnector struct {
	d   driver.Driver
	dsn string
}

func (c pragmaConnector) Driver() driver.Driver { return c.d }

func (c pragmaConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.d.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("%T: no ExecerContext", conn)
	}
	for _, p := range pragmas {
		if _, err := ex.ExecContext(ctx, p, nil); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return conn, nil
}

func (d *drv) open(maxConns int) *sql.DB {
	db := sql.OpenDB(pragmaConnector{d.d, filepath.Join(benchDir, d.name+".db")})
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	return db
}

// setup opens and fills the database of d once per process.
func (d *drv) setup(tb testing.TB) {
	tb.Helper()
	d.once.Do(func() {
		d.writer = d.open(1)
		d.reader = d.open(readPool)
		d.err = fill(d.writer)
	})
	if d.err != nil {
		tb.Fatalf("%s: %v", d.name, d.err)
	}
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL,
	amount INTEGER NOT NULL,
	note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	balance INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
	id INTEGER PRIMARY KEY,
	handle TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
	id INTEGER PRIMARY KEY,
	token TEXT NOT NULL UNIQUE,
	user_id INTEGER NOT NULL REFERENCES users(id),
	expires_at INTEGER NOT NULL
);`

// token returns the deterministic session token number i.
func token(i int) string { return fmt.Sprintf("%016x%016x", uint64(i)*0x9e3779b97f4a7c15, i) }

func fill(db *sql.DB) error {
	for _, stmt := range splitSQL(schema) {
		if _, err := db.Exec(stmt); err != nil {
			return err
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM accounts").Scan(&n); err != nil || n > 0 {
		return err
	}
	inserts := []struct {
		q string
		n int
		f func(i int) []any
	}{
		{"INSERT INTO accounts(id, name, balance) VALUES (?, ?, ?)", nAccounts,
			func(i int) []any { return []any{i + 1, fmt.Sprintf("account-%d", i+1), i * 100} }},
		{"INSERT INTO users(id, handle, display_name) VALUES (?, ?, ?)", nUsers,
			func(i int) []any { return []any{i + 1, fmt.Sprintf("user%d", i+1), fmt.Sprintf("User %d", i+1)} }},
		{"INSERT INTO sessions(token, user_id, expires_at) VALUES (?, ?, ?)", nSessions,
			func(i int) []any { return []any{token(i), i%nUsers + 1, 1_900_000_000 + i} }},
	}
	for _, in := range inserts {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		st, err := tx.Prepare(in.q)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := range in.n {
			if _, err := st.Exec(in.f(i)...); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	_, err := db.Exec("ANALYZE")
	return err
}

func splitSQL(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	benchDir = *dirFlag
	if benchDir == "" {
		benchDir, err = os.MkdirTemp("", "sqlitedrivers-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(benchDir, &st); err == nil && st.Type == 0x01021994 {
		fmt.Fprintf(os.Stderr, "%s is on tmpfs; use -dir on a real disk\n", benchDir)
		os.Exit(1)
	}
	if *extraFlag != "" {
		pragmas = append(pragmas, "PRAGMA "+*extraFlag)
	}
	code := m.Run()
	for _, d := range drivers {
		if d.writer != nil {
			d.writer.Close()
			d.reader.Close()
		}
	}
	if *dirFlag == "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
