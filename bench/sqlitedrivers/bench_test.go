package sqlitedrivers

import (
	"database/sql"
	"math/rand/v2"
	"testing"
)

const batchRows = 1000

// BenchmarkFsync is the raw limit: one 4 KiB write + fdatasync per op, on a
// file in the same directory as the databases.
func BenchmarkFsync(b *testing.B) {
	s, err := OpenSyncFile(benchDir, "fsync.dat")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if err := s.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "syncs/s")
}

// forEach runs fn as a sub-benchmark per driver, after setting the driver up.
func forEach(b *testing.B, fn func(b *testing.B, d *drv)) {
	for _, d := range drivers {
		b.Run("driver="+d.name, func(b *testing.B) {
			d.setup(b)
			fn(b, d)
		})
	}
}

func prepare(b *testing.B, db *sql.DB, q string) *sql.Stmt {
	st, err := db.Prepare(q)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

const insertEvent = "INSERT INTO events(account_id, amount, note) VALUES (?, ?, ?)"

// BenchmarkCommit: one INSERT in its own transaction per op.
func BenchmarkCommit(b *testing.B) {
	forEach(b, func(b *testing.B, d *drv) {
		st := prepare(b, d.writer, insertEvent)
		i := 0
		for b.Loop() {
			i++
			if err := commitOne(d.writer, st, i); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	})
}

// BenchmarkBatchInsert: 1000 INSERTs in one transaction per op.
func BenchmarkBatchInsert(b *testing.B) {
	forEach(b, func(b *testing.B, d *drv) {
		st := prepare(b, d.writer, insertEvent)
		for b.Loop() {
			tx, err := d.writer.Begin()
			if err != nil {
				b.Fatal(err)
			}
			ts := tx.Stmt(st)
			for i := range batchRows {
				if _, err := ts.Exec(i%nAccounts+1, i, "batch"); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchRows), "ns/row")
	})
}

const pointRead = "SELECT name, balance FROM accounts WHERE id = ?"

// BenchmarkPointRead: SELECT by primary key from the read pool, one goroutine.
func BenchmarkPointRead(b *testing.B) {
	forEach(b, func(b *testing.B, d *drv) {
		st := prepare(b, d.reader, pointRead)
		r := rand.New(rand.NewPCG(1, 2))
		var name string
		var bal int64
		for b.Loop() {
			if err := st.QueryRow(r.IntN(nAccounts)+1).Scan(&name, &bal); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPointReadParallel: as BenchmarkPointRead, GOMAXPROCS goroutines
// sharing the read pool; ns/op is wall time divided by total reads.
func BenchmarkPointReadParallel(b *testing.B) {
	forEach(b, func(b *testing.B, d *drv) {
		st := prepare(b, d.reader, pointRead)
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 2))
			var name string
			var bal int64
			for pb.Next() {
				if err := st.QueryRow(r.IntN(nAccounts)+1).Scan(&name, &bal); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

const sessionLookup = `SELECT u.id, u.handle, u.display_name, s.expires_at
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token = ?`

// BenchmarkSessionLookup: session token (indexed TEXT) joined to its user.
func BenchmarkSessionLookup(b *testing.B) {
	forEach(b, func(b *testing.B, d *drv) {
		st := prepare(b, d.reader, sessionLookup)
		r := rand.New(rand.NewPCG(3, 4))
		var id, exp int64
		var handle, display string
		for b.Loop() {
			if err := st.QueryRow(token(r.IntN(nSessions))).Scan(&id, &handle, &display, &exp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestInfo logs each driver's SQLite version and whether FTS5 works.
// Run with: go test -run TestInfo -v
func TestInfo(t *testing.T) {
	for _, d := range drivers {
		db := d.open(1)
		var v string
		if err := db.QueryRow("SELECT sqlite_version()").Scan(&v); err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		var jm string
		var sync, fk, busy int
		for q, dst := range map[string]any{
			"PRAGMA journal_mode": &jm, "PRAGMA synchronous": &sync,
			"PRAGMA foreign_keys": &fk, "PRAGMA busy_timeout": &busy,
		} {
			if err := db.QueryRow(q).Scan(dst); err != nil {
				t.Fatalf("%s: %s: %v", d.name, q, err)
			}
		}
		if jm != "wal" || sync != 2 || fk != 1 || busy != 5000 {
			t.Errorf("%s: pragmas not applied: journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d",
				d.name, jm, sync, fk, busy)
		}
		fts := "yes"
		if _, err := db.Exec("CREATE VIRTUAL TABLE IF NOT EXISTS fts_probe USING fts5(body)"); err != nil {
			fts = "no (" + err.Error() + ")"
		}
		t.Logf("driver=%s sqlite_version=%s journal_mode=%s fts5=%s", d.name, v, jm, fts)
		db.Close()
	}
}
