package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/store"
)

// BenchmarkCreditRecompute recomputes the scores of QUANZI_BENCH_USERS users
// (default 100,000, written straight into the tables, a third with a
// verified identity level) and reports users/s, with the p99 of GET
// /api/v1/me over HTTP from 8 clients before and during the recompute.
// The server polls cache invalidations as quanzi serve does. Everything
// shares one process: bench/credit.sh measures the recompute as an
// operator runs it, in a process of its own.
func BenchmarkCreditRecompute(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("QUANZI_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	e := newEnvB(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.accounts.WatchInvalidations(ctx, 250*time.Millisecond, slog.New(slog.DiscardHandler))
	tok := e.user("reader", account.RoleUser)
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			id := store.NewID(tx.Now)
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)
				VALUES ($1, $2, $2, 'x', 'user', $3, $3)`, id, fmt.Sprintf("bench%06d", i), tx.Now.AddDate(0, 0, -(i%900))); err != nil {
				return err
			}
			if i%3 == 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO verifications (id, user_id, kind, value, status, decided_at, created_at)
					VALUES ($1, $2, 'identity_level', $3, 'approved', $4, $4)`, store.NewID(tx.Now), id, strconv.Itoa(1+i%3), tx.Now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	p99 := func(d time.Duration) time.Duration {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		stop := time.Now().Add(d)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					t0 := time.Now()
					res, err := e.srv.Client().Do(req)
					if err == nil {
						res.Body.Close()
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return lat[len(lat)*99/100]
	}
	before := p99(3 * time.Second)
	var during time.Duration
	done := make(chan struct{})
	b.ResetTimer()
	go func() {
		defer close(done)
		during = p99(3 * time.Second)
	}()
	start := time.Now()
	for range b.N {
		if _, err := e.accounts.RecomputeCredit(ctx, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	b.StopTimer()
	<-done
	b.ReportMetric(float64(n*b.N)/el.Seconds(), "users/s")
	b.ReportMetric(float64(before.Microseconds())/1000, "me-p99-before-ms")
	b.ReportMetric(float64(during.Microseconds())/1000, "me-p99-during-ms")
}
