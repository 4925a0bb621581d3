package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Migrations live in migrations/ as NNNN_name.sql, run on both engines.
// Where the engines truly differ, a version may instead come as
// NNNN_name.sqlite.sql and NNNN_name.postgres.sql.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$`)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the migrations for engine, in order.
func Migrations(engine Engine) ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]Migration{}
	specific := map[int]bool{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name[.engine].sql", e.Name())
		}
		if m[3] != "" && Engine(m[3]) != engine {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		if _, dup := byVersion[v]; dup && specific[v] == (m[3] != "") {
			return nil, fmt.Errorf("two migrations share version %d", v)
		}
		if specific[v] { // an engine-specific file wins over the shared one
			continue
		}
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		byVersion[v] = Migration{Version: v, Name: m[2], SQL: string(body)}
		specific[v] = m[3] != ""
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration versions must run 1, 2, 3 … without gaps; %d is out of place", m.Version)
		}
	}
	return out, nil
}

// MigrationStatus is what Migrate did or would do.
type MigrationStatus struct {
	Current int         // the version the database was at
	Applied []Migration // what was applied (or is pending, for a dry run)
	Latest  int         // the version this binary knows
}

// Migrate brings the schema up to date, each migration in its own
// transaction. It is safe to run from several processes at once: on
// PostgreSQL an advisory lock serialises them, on SQLite the write lock does.
// With dryRun it only reports what it would apply.
func (db *DB) Migrate(ctx context.Context, dryRun bool) (MigrationStatus, error) {
	all, err := Migrations(db.Engine)
	if err != nil {
		return MigrationStatus{}, err
	}
	st := MigrationStatus{Latest: len(all)}
	_, err = db.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`)
	if err != nil {
		return st, fmt.Errorf("creating schema_migrations: %w", err)
	}
	for _, m := range all {
		applied := false
		err := db.Tx(ctx, func(tx *Tx) error {
			if db.Engine == Postgres {
				// 0x71756e7a is "qunz": one lock id for quanzi's migrations.
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(1903521402)`); err != nil {
					return err
				}
			}
			var cur int
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
				return err
			}
			if st.Current == 0 && len(st.Applied) == 0 {
				st.Current = cur
			}
			if cur > len(all) {
				return fmt.Errorf("the database is at schema version %d but this quanzi knows only up to %d: upgrade quanzi", cur, len(all))
			}
			if m.Version <= cur {
				return nil
			}
			applied = true
			if dryRun {
				return nil
			}
			for _, stmt := range splitStatements(m.SQL) {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, tx.Now)
			return err
		})
		if err != nil {
			return st, err
		}
		if applied {
			st.Applied = append(st.Applied, m)
		}
	}
	return st, nil
}

// splitStatements splits a migration at semicolons that end a line, after
// dropping comment lines. Migrations keep to that shape, so no SQL parser
// is needed.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
