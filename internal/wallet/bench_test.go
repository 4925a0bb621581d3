package wallet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
	"github.com/quanzi/quanzi/internal/wallet"
)

// BenchmarkTransfers measures transfers/s in process — wallet.Transfer,
// one ledger entry, one record and one idempotency key each — against the single-row commit rate of
// the same database measured in the same run (commit=single-row). Run it
// against a durable database: SQLite in a folder on disk (the default), or
// a PostgreSQL with fsync on (bench/ledger-throughput.sh starts one).
func BenchmarkTransfers(b *testing.B) {
	db := storetest.Open(b)
	ctx := context.Background()
	accounts := account.New(db, account.NewHasher(account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2), account.DefaultConfig)
	w := wallet.New(db, accounts, wallet.NewSandbox(db))
	users := fundedUsers(b, db, 1000, 1_000_000_000)

	b.Run("commit=single-row", func(b *testing.B) {
		parallel(b, 1, func(i int64) error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO audit_log (id, action, target_type, target_id, at) VALUES ($1, 'bench', 'x', 'y', $2)`, store.NewID(tx.Now), tx.Now)
				return err
			})
		})
	})
	var round atomic.Int64 // which sub-benchmark: keys and pairs differ in each
	pair := func(i int64) (from, to account.User, amount int64) {
		rng := rand.New(rand.NewPCG(splitmix(uint64(i)), splitmix(uint64(round.Load())<<32)))
		from, to = users[rng.IntN(len(users))], users[rng.IntN(len(users))]
		if from.ID == to.ID {
			to = users[(indexOf(users, from)+1+rng.IntN(len(users)-1))%len(users)]
		}
		return from, to, 1 + rng.Int64N(500)
	}
	// As the API sends them: each with its own Idempotency-Key, answered
	// with the transfer as JSON.
	batched := func(keyed bool) func(i int64) error {
		return func(i int64) error {
			from, to, amount := pair(i)
			key := ""
			if keyed {
				key = fmt.Sprintf("bench-%d-%d", round.Load(), i)
			}
			return transfer(ctx, w, from, wallet.TransferRequest{To: to.Handle, Amount: amount}, key)
		}
	}
	for _, callers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("transfer=batched/callers=%d", callers), func(b *testing.B) {
			round.Add(1)
			batches, calls := w.BatchStats()
			parallel(b, callers, batched(true))
			batches2, calls2 := w.BatchStats()
			b.ReportMetric(float64(calls2-calls)/float64(max(batches2-batches, 1)), "transfers/batch")
		})
	}
	// For contrast: without idempotency keys, as the two below; and one
	// transaction per transfer (Send), each committed on its own or group
	// committed with savepoints (store.Grouped).
	b.Run("transfer=batched-without-keys/callers=64", func(b *testing.B) { round.Add(1); parallel(b, 64, batched(false)) })
	send := func(run func(context.Context, func(*store.Tx) error) error) func(int64) error {
		return func(i int64) error {
			from, to, amount := pair(i)
			return run(ctx, func(tx *store.Tx) error {
				_, err := w.Send(ctx, tx, from, wallet.TransferRequest{To: to.Handle, Amount: amount})
				return err
			})
		}
	}
	b.Run("transfer=grouped/callers=64", func(b *testing.B) { round.Add(1); parallel(b, 64, send(db.Grouped)) })
	b.Run("transfer=tx-each/callers=64", func(b *testing.B) { round.Add(1); parallel(b, 64, send(db.Tx)) })

	if r, err := ledger.Verify(ctx, db, nil); err != nil || !r.OK() {
		b.Fatalf("ledger verify after the benchmark: %v %v", err, r.Problems)
	}
}

// transfer sends one transfer as the API does, answered with its JSON.
func transfer(ctx context.Context, w *wallet.Service, from account.User, req wallet.TransferRequest, key string) error {
	r, err := w.Transfer(ctx, wallet.TransferCall{Sender: from, Request: req, Key: key, Hash: "bench",
		Answer: func(t wallet.Transfer, err error) idempotency.Response {
			if err != nil {
				return idempotency.Response{Status: 400, Body: []byte(err.Error())}
			}
			b, _ := json.Marshal(t)
			return idempotency.Response{Status: 201, ContentType: "application/json", Body: b}
		}})
	if err == nil && r.Status != 201 {
		err = fmt.Errorf("transfer refused: %s", r.Body)
	}
	return err
}

// splitmix scrambles x (SplitMix64's finaliser), so that neighbouring
// numbers make unrelated seeds (PCG's first numbers from neighbouring seeds
// are alike).
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func indexOf(us []account.User, u account.User) int {
	for i := range us {
		if us[i].ID == u.ID {
			return i
		}
	}
	return 0
}

// parallel runs b.N operations spread over callers goroutines and reports
// operations per second.
func parallel(b *testing.B, callers int, op func(i int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := op(i); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// fundedUsers makes n users, each with balance in their wallet.
func fundedUsers(b *testing.B, db *store.DB, n int, balance int64) []account.User {
	ctx := context.Background()
	var users []account.User
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			u := account.User{ID: store.NewID(tx.Now), Handle: fmt.Sprintf("bench%04d", i), Role: account.RoleUser, Status: account.StatusActive}
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)
				VALUES ($1, $2, $2, 'x', 'user', $3, $3)`, u.ID, u.Handle, tx.Now); err != nil {
				return err
			}
			// Identity level 3: the daily limit (¥1,000,000) never binds
			// here, whatever pairs the random draws make.
			if _, err := tx.Exec(ctx, `INSERT INTO verifications (id, user_id, kind, value, status, decided_at, created_at)
				VALUES ($1, $2, 'identity_level', '3', 'approved', $3, $3)`, store.NewID(tx.Now), u.ID, tx.Now); err != nil {
				return err
			}
			wid, err := ledger.OpenWallet(ctx, tx, u.ID)
			if err != nil {
				return err
			}
			if _, err := ledger.Post(ctx, tx, ledger.Entry{Kind: "topup", Postings: []ledger.Posting{
				{Account: ledger.Funding, Bucket: ledger.Available, Amount: -balance},
				{Account: wid, Bucket: ledger.Available, Amount: balance},
			}}); err != nil {
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return users
}
