package sqlitedrivers

import (
	"database/sql"
	"testing"
	"time"
)

// BenchmarkCommitInterleaved measures the raw fdatasync loop and the
// single-row commit of every driver in the same time window: one op is one
// fdatasync step plus one commit per driver, in a rotating order. On a
// machine with noisy disk neighbours this gives much steadier ratios than
// comparing separate benchmarks that run seconds apart.
func BenchmarkCommitInterleaved(b *testing.B) {
	s, err := OpenSyncFile(benchDir, "fsync-interleaved.dat")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	stmts := make([]*sql.Stmt, len(drivers))
	for i, d := range drivers {
		d.setup(b)
		stmts[i] = prepare(b, d.writer, insertEvent)
	}
	n := len(drivers) + 1 // index len(drivers) is the raw fdatasync step
	spent := make([]time.Duration, n)
	i := 0
	for b.Loop() {
		i++
		for k := range n {
			j := (i + k) % n
			t0 := time.Now()
			if j == len(drivers) {
				err = s.Step()
			} else {
				err = commitOne(drivers[j].writer, stmts[j], i)
			}
			if err != nil {
				b.Fatal(err)
			}
			spent[j] += time.Since(t0)
		}
	}
	rate := func(j int) float64 { return float64(b.N) / spent[j].Seconds() }
	sync := rate(len(drivers))
	b.ReportMetric(sync, "fdatasync/s")
	for j, d := range drivers {
		b.ReportMetric(rate(j), d.name+"-commits/s")
		b.ReportMetric(rate(j)/sync, d.name+"-commits/fdatasync")
	}
}

func commitOne(db *sql.DB, st *sql.Stmt, i int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if _, err := tx.Stmt(st).Exec(i%nAccounts+1, i, "payment"); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
