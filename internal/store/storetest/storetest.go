// Package storetest gives each test a fresh, migrated database: SQLite in a
// temporary folder by default, or a new PostgreSQL database when
// QUANZI_TEST_POSTGRES names a server (postgres://user@host:port/db). The
// project's test command runs the whole suite once each way.
package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/quanzi/quanzi/internal/store"
)

// EnvPostgres names the environment variable that switches tests to PostgreSQL.
const EnvPostgres = "QUANZI_TEST_POSTGRES"

// Engine returns the engine tests run on.
func Engine() store.Engine {
	if os.Getenv(EnvPostgres) != "" {
		return store.Postgres
	}
	return store.SQLite
}

// Open returns a fresh migrated database, closed (and on PostgreSQL
// dropped) when the test ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, _ := OpenWithOptions(t)
	return db
}

// OpenWithOptions is Open that also returns the options it opened with, so
// a test can open the same database again (to test a restart).
func OpenWithOptions(t testing.TB) (*store.DB, store.Options) {
	t.Helper()
	ctx := context.Background()
	var opts store.Options
	if base := os.Getenv(EnvPostgres); base != "" {
		opts.Database = newPostgresDatabase(t, base)
	} else {
		opts.DataDir = t.TempDir()
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatalf("opening the test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, false); err != nil {
		t.Fatalf("migrating the test database: %v", err)
	}
	return db, opts
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// newPostgresDatabase creates a database for one test from a migrated
// template (migrating once per schema, not once per test) and drops it when
// the test ends.
func newPostgresDatabase(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("opening %s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(base) })
	if templateErr != nil {
		t.Fatalf("preparing the PostgreSQL template: %v", templateErr)
	}
	name := "t_" + strings.ToLower(store.NewID(time.Now()))
	if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName)); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return withDatabase(base, name)
}

// ensureTemplate makes the template database for the current migrations,
// named after a hash of them, so a schema change makes a new template. Test
// binaries of several packages run at once, so an advisory lock keeps them
// from building it twice.
func ensureTemplate(base string) (string, error) {
	ms, err := store.Migrations(store.Postgres)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.SQL))
	}
	name := "tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]

	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	c, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock(7070707)`); err != nil {
		return "", err
	}
	defer c.ExecContext(ctx, `SELECT pg_advisory_unlock(7070707)`)

	var exists bool
	if err := c.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	c.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building))
	if _, err := c.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'`, building)); err != nil {
		return "", err
	}
	db, err := store.Open(ctx, store.Options{Database: withDatabase(base, building), MaxConns: 1})
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx, false)
	db.Close()
	if err != nil {
		return "", err
	}
	if _, err := c.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}
