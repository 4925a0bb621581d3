package wallet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
	"github.com/quanzi/quanzi/internal/wallet"
)

type env struct {
	t        *testing.T
	db       *store.DB
	accounts *account.Service
	wallet   *wallet.Service
}

func newEnv(t *testing.T) *env {
	db := storetest.Open(t)
	accounts := account.New(db, account.NewHasher(account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2), account.DefaultConfig)
	return &env{t: t, db: db, accounts: accounts, wallet: wallet.New(db, accounts, wallet.NewSandbox(db))}
}

// users makes n users, each given balance (0: no wallet at all).
func (e *env) users(n int, balance int64) []account.User {
	e.t.Helper()
	ctx := context.Background()
	var us []account.User
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		for range n {
			u := account.User{ID: store.NewID(tx.Now), Role: account.RoleUser, Status: account.StatusActive}
			u.Handle = "u" + strings.ToLower(u.ID[len(u.ID)-10:])
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)
				VALUES ($1, $2, $2, 'x', 'user', $3, $3)`, u.ID, u.Handle, tx.Now); err != nil {
				return err
			}
			if balance > 0 {
				if _, err := ledger.Post(ctx, tx, ledger.Entry{Kind: "topup", Postings: []ledger.Posting{
					{Account: ledger.Funding, Bucket: ledger.Available, Amount: -balance},
					ledger.ToWallet(u.ID, balance),
				}}); err != nil {
					return err
				}
			}
			us = append(us, u)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return us
}

// result is what a test sees of a transfer call: the transfer, or the
// refusal's code and its numbers.
type result struct {
	wallet.Answered
	err error
}

func (r result) code() string {
	if r.err != nil {
		return string(errs.CodeOf(r.err))
	}
	if r.Status != 201 {
		return strings.Fields(string(r.Body))[0]
	}
	return "ok"
}

func (e *env) send(ctx context.Context, from account.User, to string, amount int64, key string) result {
	req := wallet.TransferRequest{To: to, Amount: amount}
	a, err := e.wallet.Transfer(ctx, wallet.TransferCall{Sender: from, Request: req, Key: key, Hash: fmt.Sprint(req),
		Answer: func(t wallet.Transfer, err error) idempotency.Response {
			if err != nil {
				x := errs.As(err)
				return idempotency.Response{Status: 400, Body: fmt.Appendf(nil, "%s %v", x.Code, x.Extra)}
			}
			b, _ := json.Marshal(t)
			return idempotency.Response{Status: 201, Body: b}
		}})
	return result{a, err}
}

func (e *env) balance(u account.User) int64 {
	e.t.Helper()
	b, err := ledger.BalanceOf(context.Background(), e.db, ledger.WalletID(u.ID))
	if err != nil {
		e.t.Fatal(err)
	}
	if b.Available < 0 || b.Held < 0 {
		e.t.Fatalf("@%s's wallet is negative: %+v", u.Handle, b)
	}
	return b.Available + b.Held
}

func (e *env) count(table string) int {
	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) verify() {
	e.t.Helper()
	r, err := ledger.Verify(context.Background(), e.db, nil)
	if err != nil || !r.OK() {
		e.t.Fatalf("ledger verify: %v %v", err, r.Problems)
	}
}

// all runs n calls at once and returns their results in order.
func all(n int, f func(i int) result) []result {
	out := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func codes(rs []result) map[string]int {
	m := map[string]int{}
	for _, r := range rs {
		m[r.code()]++
	}
	return m
}

func TestBatchedTransfersNeverDoubleSpend(t *testing.T) {
	e := newEnv(t)
	payer := e.users(1, 1_000)[0]
	payees := e.users(50, 0)
	rs := all(50, func(i int) result { return e.send(context.Background(), payer, payees[i].Handle, 1_000, "") })
	got := codes(rs)
	if got["ok"] != 1 || got["insufficient_funds"] != 49 {
		t.Fatalf("outcomes %v; want exactly one transfer and 49 refused for insufficient funds", got)
	}
	for _, r := range rs {
		if r.code() == "insufficient_funds" && !strings.Contains(string(r.Body), "available:0") {
			t.Fatalf("a refusal does not say that nothing is available: %s", r.Body)
		}
	}
	if b := e.balance(payer); b != 0 {
		t.Fatalf("the payer is left with %d", b)
	}
	var received int64
	for _, p := range payees {
		received += e.balance(p)
	}
	if received != 1_000 || e.count("transfers") != 1 {
		t.Fatalf("payees received %d in %d transfers; want 1000 in 1", received, e.count("transfers"))
	}
	e.verify()
}

// Random transfers among a few users from many goroutines at once — both
// directions between the same pairs included — never deadlock, never
// take a wallet below zero, and leave exactly the money that came in.
func TestBatchedRandomTransfersConserveMoney(t *testing.T) {
	e := newEnv(t)
	us := e.users(8, 20_000)
	var mu sync.Mutex
	oks := 0
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for i := range 30 {
				from, to := us[rng.IntN(len(us))], us[rng.IntN(len(us))]
				key := ""
				if i%2 == 0 {
					key = fmt.Sprintf("g%d-%d", g, i)
				}
				r := e.send(context.Background(), from, to.Handle, 1+rng.Int64N(2_500), key)
				switch c := r.code(); c {
				case "ok":
					mu.Lock()
					oks++
					mu.Unlock()
				case "insufficient_funds", "invalid": // invalid: to oneself
				default:
					t.Errorf("transfer @%s → @%s: %s %v %s", from.Handle, to.Handle, c, r.err, r.Body)
				}
			}
		}()
	}
	wg.Wait()
	var sum int64
	for _, u := range us {
		sum += e.balance(u)
	}
	if sum != 8*20_000 {
		t.Fatalf("wallets hold %d; %d came in", sum, 8*20_000)
	}
	if n := e.count("transfers"); n != oks {
		t.Fatalf("%d transfers recorded, %d acknowledged", n, oks)
	}
	e.verify()
}

func TestBatchedTransfersWithKeysMoveMoneyOnce(t *testing.T) {
	e := newEnv(t)
	payer := e.users(1, 100_000)[0]
	payee := e.users(1, 0)[0]
	ctx := context.Background()
	// Every key sent twice at the same moment: one moves money; the other
	// is told the first is in progress, or gets its answer.
	rs := all(40, func(i int) result { return e.send(ctx, payer, payee.Handle, 100, fmt.Sprintf("k%d", i/2)) })
	first := map[string]string{}
	for i := 0; i < 40; i += 2 {
		a, b := rs[i], rs[i+1]
		if a.code() != "ok" || a.Replayed {
			a, b = b, a
		}
		switch {
		case a.code() != "ok":
			t.Fatalf("neither attempt with key k%d moved money: %s, %s", i/2, a.code(), b.code())
		case b.code() == string(idempotency.CodeInProgress):
		case b.code() == "ok" && b.Replayed && string(b.Body) == string(a.Body):
		default:
			t.Fatalf("second attempt with key k%d: %s replayed=%v %s", i/2, b.code(), b.Replayed, b.Body)
		}
		first[fmt.Sprintf("k%d", i/2)] = string(a.Body)
	}
	if got := e.balance(payee); got != 2_000 || e.count("transfers") != 20 {
		t.Fatalf("payee has %d from %d transfers; want 2000 from 20", got, e.count("transfers"))
	}
	// Retries later: the same answers, no new money.
	rs = all(20, func(i int) result { return e.send(ctx, payer, payee.Handle, 100, fmt.Sprintf("k%d", i)) })
	for i, r := range rs {
		if !r.Replayed || string(r.Body) != first[fmt.Sprintf("k%d", i)] {
			t.Fatalf("retry of k%d: replayed=%v %s", i, r.Replayed, r.Body)
		}
	}
	if got := e.balance(payee); got != 2_000 {
		t.Fatalf("retries moved money: payee has %d", got)
	}
	// A key reused for another request is refused, and moves nothing.
	if r := e.send(ctx, payer, payee.Handle, 999, "k0"); r.code() != string(idempotency.CodeMismatch) {
		t.Fatalf("key reused for a different amount: %s", r.code())
	}
	// A refusal is recorded too: the retry gets it even once it would pass.
	poor := e.users(1, 50)[0]
	if r := e.send(ctx, poor, payee.Handle, 80, "r"); r.code() != "insufficient_funds" {
		t.Fatalf("overdraft: %s", r.code())
	}
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := ledger.Post(ctx, tx, ledger.Entry{Kind: "topup", Postings: []ledger.Posting{
			{Account: ledger.Funding, Bucket: ledger.Available, Amount: -100}, ledger.ToWallet(poor.ID, 100)}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r := e.send(ctx, poor, payee.Handle, 80, "r"); r.code() != "insufficient_funds" || !r.Replayed {
		t.Fatalf("retry of a refusal: %s replayed=%v", r.code(), r.Replayed)
	}
	e.verify()
}

// The daily limit counts the transfers before each one in the same batch.
func TestBatchedTransfersKeepTheDailyLimit(t *testing.T) {
	e := newEnv(t)
	payer := e.users(1, 300_000)[0] // unverified: ¥500 a payment, ¥1,000 a day
	payee := e.users(1, 0)[0]
	rs := all(3, func(int) result { return e.send(context.Background(), payer, payee.Handle, 40_000, "") })
	got := codes(rs)
	if got["ok"] != 2 || got[string(wallet.CodeLimitExceeded)] != 1 {
		t.Fatalf("outcomes %v; want two transfers and one over the daily limit", got)
	}
	for _, r := range rs {
		if r.code() == string(wallet.CodeLimitExceeded) && !strings.Contains(string(r.Body), "remaining:20000") {
			t.Fatalf("the refusal does not say ¥200 is left: %s", r.Body)
		}
	}
	if r := e.send(context.Background(), payer, payee.Handle, 50_001, ""); !strings.Contains(string(r.Body), "limit:per_payment") {
		t.Fatalf("over the per-payment limit: %s %s", r.code(), r.Body)
	}
}

// Refusals in a batch are each the right one, and leave the others be.
func TestABatchRefusesEachBadTransferAlone(t *testing.T) {
	e := newEnv(t)
	us := e.users(3, 10_000)
	fresh := e.users(1, 0)[0] // no wallet yet: the first money opens one
	ctx := context.Background()
	if _, err := e.accounts.SetStatus(ctx, account.User{Role: account.RoleAdmin}, us[2].Handle, account.StatusDisabled, "test"); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		to     string
		amount int64
		want   string
	}{
		{"@" + strings.ToUpper(fresh.Handle), 700, "ok"},
		{"nobody_here", 10, string(wallet.CodeRecipient)},
		{"not a handle!", 10, string(wallet.CodeRecipient)},
		{us[0].Handle, 10, string(errs.Invalid)},
		{us[2].Handle, 10, string(wallet.CodeRecipient)},
		{us[1].Handle, 0, string(errs.Invalid)},
		{us[1].Handle, 10_001, "insufficient_funds"},
		{"", 10, string(errs.Invalid)},
		{us[1].Handle, 300, "ok"},
	}
	rs := all(len(calls), func(i int) result { return e.send(ctx, us[0], calls[i].to, calls[i].amount, "") })
	for i, r := range rs {
		if r.code() != calls[i].want {
			t.Errorf("to %q, %d: %s %s; want %s", calls[i].to, calls[i].amount, r.code(), r.Body, calls[i].want)
		}
	}
	if e.balance(us[0]) != 9_000 || e.balance(fresh) != 700 || e.balance(us[1]) != 10_300 {
		t.Fatalf("balances %d %d %d", e.balance(us[0]), e.balance(fresh), e.balance(us[1]))
	}
	e.verify()
}
