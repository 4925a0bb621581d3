package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

type audit struct {
	id   string
	done bool // set by the batch
}

func TestBatcherSettlesCallersTogetherOrNotAtAll(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	var mu sync.Mutex
	var sizes []int
	b := store.NewBatcher(db, 1, func(ctx context.Context, tx *store.Tx, calls []*audit) error {
		mu.Lock()
		sizes = append(sizes, len(calls))
		mu.Unlock()
		for _, c := range calls {
			if c.id == "boom" {
				panic("a bad call")
			}
			if err := insertAudit(ctx, tx, c.id); err != nil {
				return err
			}
			c.done = true
		}
		return nil
	})
	const n = 64
	calls := make([]*audit, n)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		calls[i] = &audit{id: fmt.Sprintf("b%03d", i)}
		wg.Add(1)
		go func(c *audit) {
			defer wg.Done()
			errc <- b.Do(ctx, c)
		}(calls[i])
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range calls {
		if !c.done {
			t.Fatalf("%s was not settled", c.id)
		}
	}
	batches, settled := b.Stats()
	if settled != n || batches != int64(len(sizes)) || batches >= n {
		t.Fatalf("%d calls in %d batches (sizes %v): want %d calls, fewer batches", settled, batches, sizes, n)
	}

	// A batch that fails writes nothing, and its callers hear why.
	before := countAudit(t, db)
	if err := b.Do(ctx, &audit{id: "boom"}); !errs.Is(err, errs.Internal) {
		t.Fatalf("a panicking batch: %v", err)
	}
	if got := countAudit(t, db); got != before {
		t.Fatalf("a failed batch wrote %d rows", got-before)
	}
	// A caller that left before its call was taken is not settled.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	c := &audit{id: "late"}
	if err := b.Do(gone, c); err == nil || c.done {
		t.Fatalf("a cancelled call: %v, settled %v", err, c.done)
	}
}

func countAudit(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
