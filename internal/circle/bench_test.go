package circle_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

var topics = [][2]string{{"健身", "fitness"}, {"跑步", "running"}, {"猫咪", "cats"}, {"美食", "food"}, {"旅行", "travel"},
	{"摄影", "photography"}, {"读书", "books"}, {"理财", "investing"}, {"宝宝", "baby"}, {"校园", "campus"}}

// BenchmarkSearch measures directory searches in process, over n circles.
func BenchmarkSearch(b *testing.B) {
	db := storetest.Open(b)
	ctx := context.Background()
	svc := circle.New(db)
	var owner account.User
	err := db.Tx(ctx, func(tx *store.Tx) error {
		owner = account.User{ID: store.NewID(tx.Now), Handle: "owner", Role: account.RoleUser, Status: account.StatusActive}
		_, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)
			VALUES ($1, 'owner', 'o', 'x', 'user', $2, $2)`, owner.ID, tx.Now)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		t, t2 := topics[rng.IntN(len(topics))], topics[rng.IntN(len(topics))]
		name, cat, desc := fmt.Sprintf("%s%d %s", t[0], i, t[1]), "fitness", fmt.Sprintf("一起%s %s", t2[0], t2[1])
		if _, err := svc.Create(ctx, circle.Actor{User: owner}, circle.Settings{Name: &name, Category: &cat, Description: &desc}); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{"健身", "fitness", "cats"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := svc.Search(ctx, circle.Query{Q: q, Page: store.Page{Limit: 20}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
