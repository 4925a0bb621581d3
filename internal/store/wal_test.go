package store_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

// Under steady load some reader is always reading from the WAL, so SQLite
// never starts it over by itself: the checkpointer must, or the file grows
// by everything ever written.
func TestTheWALStaysBoundedWhileReadersNeverStop(t *testing.T) {
	if storetest.Engine() != store.SQLite {
		t.Skip("the WAL is SQLite's")
	}
	db, opts := storetest.OpenWithOptions(t)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE blobs (n INTEGER PRIMARY KEY, b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	// Readers whose read transactions overlap, so one is always open.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := db.ReadTx(ctx, func(q store.Querier) error {
					var n int
					err := q.QueryRow(ctx, `SELECT COUNT(*) FROM blobs WHERE n < 10`).Scan(&n)
					time.Sleep(2 * time.Millisecond)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// 64 MB of new pages, four times what the WAL may hold.
	const rows, perTx = 16_000, 100
	blob := make([]byte, 3_000)
	var largest int64
	wal := filepath.Join(opts.DataDir, "quanzi.db-wal")
	for i := 0; i < rows; i += perTx {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for j := range perTx {
				rand.Read(blob)
				if _, err := tx.Exec(ctx, `INSERT INTO blobs (n, b) VALUES ($1, $2)`, i+j, blob); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(wal); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	close(stop)
	readers.Wait()
	// 4,096 frames of 4 KB before a restart, plus what was written while
	// the checkpointer looked (every 5 ms) or waited for readers.
	if largest > 40<<20 {
		t.Fatalf("the WAL grew to %d MB while 64 MB were written", largest>>20)
	}
	if largest < 1<<20 {
		t.Fatalf("the WAL was never larger than %d bytes: was it in use?", largest)
	}
}
