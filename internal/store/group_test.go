package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

func insertAudit(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (id, action, target_type, target_id, at) VALUES ($1, 'g', 't', 'x', $2)`, id, tx.Now)
	return err
}

func TestGroupedCommitsConcurrentCallersTogether(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	const n = 64
	var wg sync.WaitGroup
	var afterRan atomic.Int32
	errc := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errc <- db.Grouped(ctx, func(tx *store.Tx) error {
				tx.AfterCommit(func() { afterRan.Add(1) })
				return insertAudit(ctx, tx, fmt.Sprintf("g%03d", i))
			})
		}(i)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	var count int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&count)
	if count != n || afterRan.Load() != n {
		t.Fatalf("%d rows, %d after-commit callbacks; want %d of each", count, afterRan.Load(), n)
	}
	if db.Engine == store.Postgres {
		return // PostgreSQL groups the flushes itself; Grouped is a plain Tx there
	}
	batches, reqs := db.GroupStats()
	if reqs != n {
		t.Fatalf("%d requests counted, want %d", reqs, n)
	}
	if batches >= n {
		t.Fatalf("%d callers took %d commits: nothing was grouped", n, batches)
	}
	t.Logf("%d callers in %d commits", n, batches)
}

func TestGroupedFailureUndoesOnlyItsOwnWork(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	var afterOfFailed atomic.Int32
	results := make([]error, 40)
	for i := range 40 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = db.Grouped(ctx, func(tx *store.Tx) error {
				if err := insertAudit(ctx, tx, fmt.Sprintf("r%03d", i)); err != nil {
					return err
				}
				if i%2 == 1 {
					tx.AfterCommit(func() { afterOfFailed.Add(1) })
					return boom // after writing: the write must be undone
				}
				if i%10 == 0 {
					// A statement that fails (a duplicate key) inside the batch.
					return insertAudit(ctx, tx, fmt.Sprintf("r%03d", i))
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	for i, err := range results {
		switch {
		case i%2 == 1 && !errors.Is(err, boom):
			t.Errorf("request %d: got %v, want boom", i, err)
		case i%10 == 0 && !errs.Is(err, errs.Conflict):
			t.Errorf("request %d: got %v, want a conflict", i, err)
		case i%2 == 0 && i%10 != 0 && err != nil:
			t.Errorf("request %d: %v", i, err)
		}
	}
	var count int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&count)
	if count != 16 || afterOfFailed.Load() != 0 {
		t.Fatalf("%d rows and %d after-commit callbacks of failed requests; want 16 and 0", count, afterOfFailed.Load())
	}
}

func TestGroupedRespectsACancelledContext(t *testing.T) {
	db := storetest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.Grouped(ctx, func(tx *store.Tx) error { return insertAudit(context.Background(), tx, "c1") })
	if err == nil {
		t.Fatal("a cancelled request ran")
	}
	var count int
	db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log`).Scan(&count)
	if count != 0 {
		t.Fatalf("%d rows written by a cancelled request", count)
	}
}
