package circle

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

// BenchmarkDirectory measures searches in process over a directory of
// QUANZI_BENCH_CIRCLES open circles (default 100,000), written straight
// into the tables and the index.
func BenchmarkDirectory(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("QUANZI_BENCH_CIRCLES")); err == nil && v > 0 {
		n = v
	}
	db := storetest.Open(b)
	ctx := context.Background()
	s := New(db)
	topics := [][2]string{{"健身", "fitness"}, {"跑步", "running"}, {"猫咪", "cats"}, {"美食", "food"}, {"旅行", "travel"},
		{"摄影", "photography"}, {"读书", "books"}, {"理财", "investing"}, {"宝宝", "baby"}, {"校园", "campus"},
		{"游戏", "gaming"}, {"咖啡", "coffee"}, {"音乐", "music"}, {"电影", "movies"}, {"篮球", "basketball"},
		{"瑜伽", "yoga"}, {"露营", "camping"}, {"烘焙", "baking"}, {"编程", "coding"}, {"考研", "exams"}}
	places := [][2]string{{"北京", "Beijing"}, {"上海", "Shanghai"}, {"杭州", "Hangzhou"}, {"成都", "Chengdu"}}
	rng := rand.New(rand.NewPCG(1, 2))
	err := db.Tx(ctx, func(tx *store.Tx) error {
		owner := store.NewID(tx.Now)
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)
			VALUES ($1, 'owner', 'o', 'x', 'user', $2, $2)`, owner, tx.Now); err != nil {
			return err
		}
		for i := range n {
			t, t2, p := topics[rng.IntN(len(topics))], topics[rng.IntN(len(topics))], places[rng.IntN(len(places))]
			id := store.NewID(tx.Now)
			if _, err := tx.Exec(ctx, `INSERT INTO circles (id, slug, name, description, category, visibility, owner_id, member_count, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'fitness', 'open', $5, $6, $7, $7)`, id, fmt.Sprintf("c%d", i),
				fmt.Sprintf("%s%s俱乐部 %s %s", p[0], t[0], p[1], t[1]), fmt.Sprintf("一起%s，也聊%s。%s and %s.", t[0], t2[0], t[1], t2[1]),
				owner, rng.IntN(5000), tx.Now); err != nil {
				return err
			}
			if err := index(ctx, tx, id, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, tidy := range []int{0, 1000} {
		if err := s.Tidy(ctx, tidy); err != nil {
			b.Fatal(err)
		}
		search(b, s, fmt.Sprintf("tidy=%d/", tidy))
	}
	if db.Engine == store.SQLite {
		var size int64
		if err := db.QueryRow(ctx, `SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'circle_search%'`).Scan(&size); err != nil {
			b.Fatal(err)
		}
		b.Logf("the search index of %d circles takes %.1f MiB", n, float64(size)/(1<<20))
	}
}

func search(b *testing.B, s *Service, prefix string) {
	ctx := context.Background()
	for _, q := range []string{"健身", "健身 北京", "fitness", "fitness beijing", "yoga"} {
		b.Run(prefix+q, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := s.Search(ctx, Query{Q: q, Page: store.Page{Limit: 20}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
