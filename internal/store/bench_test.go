package store_test

import (
	"context"
	"testing"

	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

// BenchmarkPointRead measures the session lookup behind every signed-in
// request, as a raw query on the read pool.
func BenchmarkPointRead(b *testing.B) {
	db := storetest.Open(b)
	ctx := context.Background()
	db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at) VALUES ('u1','mei','Mei','x','user',1,1)`)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ('th','u1',1,1,1)`)
		return err
	})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var id, h string
			if err := db.QueryRow(ctx, `SELECT u.id, u.handle FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, "th").Scan(&id, &h); err != nil {
				b.Fatal(err)
			}
		}
	})
}
