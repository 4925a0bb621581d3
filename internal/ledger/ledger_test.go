package ledger_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

// users makes n users with open wallets and returns their wallet ids.
func users(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	var wallets []string
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			id := store.NewID(tx.Now)
			if _, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)
				VALUES ($1, $2, $2, 'x', 'user', $3, $3)`, id, fmt.Sprintf("u%03d", i), tx.Now); err != nil {
				return err
			}
			w, err := ledger.OpenWallet(ctx, tx, id)
			if err != nil {
				return err
			}
			wallets = append(wallets, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return wallets
}

func move(ctx context.Context, db *store.DB, kind, from, to string, amount int64) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		_, err := ledger.Post(ctx, tx, ledger.Entry{Kind: kind, Postings: []ledger.Posting{
			{Account: from, Bucket: ledger.Available, Amount: -amount},
			{Account: to, Bucket: ledger.Available, Amount: amount},
		}})
		return err
	})
}

func balance(t *testing.T, db *store.DB, account string) ledger.Balance {
	t.Helper()
	b, err := ledger.BalanceOf(context.Background(), db, account)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifyOK(t *testing.T, db *store.DB) ledger.Report {
	t.Helper()
	r, err := ledger.Verify(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("ledger verify: %v", r.Problems)
	}
	return r
}

func TestPostMovesMoneyAndKeepsTheBooksBalanced(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	w := users(t, db, 2)
	if err := move(ctx, db, "topup", ledger.Funding, w[0], 10_000); err != nil {
		t.Fatal(err)
	}
	if err := move(ctx, db, "transfer", w[0], w[1], 2_550); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, db, w[0]); b.Available != 7_450 {
		t.Fatalf("sender has %d, want 7450", b.Available)
	}
	if b := balance(t, db, w[1]); b.Available != 2_550 {
		t.Fatalf("recipient has %d, want 2550", b.Available)
	}
	if b := balance(t, db, ledger.Funding); b.Available != -10_000 {
		t.Fatalf("funding source at %d, want -10000", b.Available)
	}
	r := verifyOK(t, db)
	if r.Entries != 2 || r.Total != 0 {
		t.Fatalf("report %+v", r)
	}
}

func TestBadEntriesAreRefusedAndWriteNothing(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	w := users(t, db, 2)
	move(ctx, db, "topup", ledger.Funding, w[0], 100)
	bad := []struct {
		name string
		e    ledger.Entry
		code errs.Code
	}{
		{"unbalanced", ledger.Entry{Kind: "x", Postings: []ledger.Posting{{Account: w[0], Bucket: ledger.Available, Amount: -10}, {Account: w[1], Bucket: ledger.Available, Amount: 9}}}, errs.Invalid},
		{"one posting", ledger.Entry{Kind: "x", Postings: []ledger.Posting{{Account: w[0], Bucket: ledger.Available, Amount: 0}}}, errs.Invalid},
		{"zero amount", ledger.Entry{Kind: "x", Postings: []ledger.Posting{{Account: w[0], Bucket: ledger.Available, Amount: 0}, {Account: w[1], Bucket: ledger.Available, Amount: 0}}}, errs.Invalid},
		{"no kind", ledger.Entry{Postings: []ledger.Posting{{Account: w[0], Bucket: ledger.Available, Amount: -1}, {Account: w[1], Bucket: ledger.Available, Amount: 1}}}, errs.Invalid},
		{"overflow", ledger.Entry{Kind: "x", Postings: []ledger.Posting{{Account: w[1], Bucket: ledger.Available, Amount: math.MaxInt64}, {Account: w[1], Bucket: ledger.Available, Amount: 1}, {Account: w[0], Bucket: ledger.Available, Amount: math.MinInt64 + 1}}}, errs.Invalid},
		{"bad bucket", ledger.Entry{Kind: "x", Postings: []ledger.Posting{{Account: w[0], Bucket: "pocket", Amount: -1}, {Account: w[1], Bucket: ledger.Available, Amount: 1}}}, errs.Invalid},
		{"overdraft", ledger.Entry{Kind: "x", Postings: []ledger.Posting{{Account: w[0], Bucket: ledger.Available, Amount: -101}, {Account: w[1], Bucket: ledger.Available, Amount: 101}}}, ledger.CodeInsufficientFunds},
		{"unknown account", ledger.Entry{Kind: "x", Postings: []ledger.Posting{{Account: w[0], Bucket: ledger.Available, Amount: -1}, {Account: "w_nobody", Bucket: ledger.Available, Amount: 1}}}, errs.NotFound},
		{"a wallet never opened", ledger.Entry{Kind: "x", Postings: []ledger.Posting{ledger.ToWallet("never-opened", -1), {Account: w[1], Bucket: ledger.Available, Amount: 1}}}, ledger.CodeInsufficientFunds},
	}
	for _, c := range bad {
		err := db.Tx(ctx, func(tx *store.Tx) error { _, err := ledger.Post(ctx, tx, c.e); return err })
		if !errs.Is(err, c.code) {
			t.Errorf("%s: got %v, want %s", c.name, err, c.code)
		}
	}
	if b := balance(t, db, w[0]); b.Available != 100 {
		t.Fatalf("balance moved by refused entries: %d", b.Available)
	}
	if r := verifyOK(t, db); r.Entries != 1 {
		t.Fatalf("%d entries after refusals, want 1", r.Entries)
	}
	// The refusal says how much there is.
	err := move(ctx, db, "transfer", w[0], w[1], 250)
	e := errs.As(err)
	if e.Code != ledger.CodeInsufficientFunds || e.Extra["available"] != int64(100) || !strings.Contains(e.Message, "¥1.00") {
		t.Fatalf("overdraft: %v %v", err, e.Extra)
	}
}

func TestReversalRestoresBalancesOnce(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	w := users(t, db, 2)
	move(ctx, db, "topup", ledger.Funding, w[0], 500)
	var entry ledger.Entry
	db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		entry, err = ledger.Post(ctx, tx, ledger.Entry{Kind: "transfer", Memo: "dinner", Postings: []ledger.Posting{
			{Account: w[0], Bucket: ledger.Available, Amount: -300}, {Account: w[1], Bucket: ledger.Available, Amount: 300}}})
		return err
	})
	reverse := func() error {
		return db.Tx(ctx, func(tx *store.Tx) error {
			_, err := ledger.Reverse(ctx, tx, entry.ID, "reversal", "sent to the wrong person")
			return err
		})
	}
	if err := reverse(); err != nil {
		t.Fatal(err)
	}
	if a, b := balance(t, db, w[0]), balance(t, db, w[1]); a.Available != 500 || b.Available != 0 {
		t.Fatalf("after reversal: %d and %d", a.Available, b.Available)
	}
	if err := reverse(); !errs.Is(err, ledger.CodeAlreadyReversed) {
		t.Fatalf("reversing twice: %v", err)
	}
	verifyOK(t, db)
}

func TestTheJournalIsAppendOnly(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	w := users(t, db, 1)
	move(ctx, db, "topup", ledger.Funding, w[0], 500)
	for _, stmt := range []string{
		`UPDATE postings SET amount = amount * 2`,
		`DELETE FROM postings`,
		`UPDATE journal_entries SET memo = 'edited'`,
		`DELETE FROM journal_entries`,
	} {
		err := db.Tx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, stmt); return err })
		if err == nil {
			t.Errorf("%s succeeded on the append-only journal", stmt)
		}
	}
	verifyOK(t, db)
}

func TestVerifyFindsTampering(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	w := users(t, db, 2)
	move(ctx, db, "topup", ledger.Funding, w[0], 500)
	// A balance changed behind the ledger's back.
	db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE ledger_accounts SET available = available + 1 WHERE id = $1`, w[1])
		return err
	})
	// An entry that does not balance, written around Post.
	db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO journal_entries (id, kind, created_at) VALUES ('forged', 'x', 0)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO postings (entry_id, n, account_id, bucket, amount) VALUES ('forged', 1, $1, 'available', 7)`, w[1])
		return err
	})
	var calls int
	r, err := ledger.Verify(ctx, db, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(r.Problems, "\n")
	for _, want := range []string{"entry forged has 1 postings summing to 7", "account " + w[1] + " records available 1", "sum to 1, not 0"} {
		if !strings.Contains(joined, want) {
			t.Errorf("verify missed %q; it said:\n%s", want, joined)
		}
	}
	if calls == 0 {
		t.Error("verify never reported progress")
	}
}

// 50 debits at once of a balance that covers exactly one: exactly one
// succeeds, on either engine.
func TestNoDoubleSpend(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	w := users(t, db, 51)
	move(ctx, db, "topup", ledger.Funding, w[0], 1_000)
	var wg sync.WaitGroup
	results := make(chan error, 50)
	start := make(chan struct{})
	for i := 1; i <= 50; i++ {
		wg.Add(1)
		go func(to string) {
			defer wg.Done()
			<-start
			results <- move(ctx, db, "transfer", w[0], to, 1_000)
		}(w[i])
	}
	close(start)
	wg.Wait()
	close(results)
	ok, refused := 0, 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case errs.Is(err, ledger.CodeInsufficientFunds):
			refused++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || refused != 49 {
		t.Fatalf("%d debits succeeded and %d were refused; want 1 and 49", ok, refused)
	}
	if b := balance(t, db, w[0]); b.Available != 0 {
		t.Fatalf("the payer is left with %d", b.Available)
	}
	verifyOK(t, db)
}

// Transfers both ways between the same two wallets, at once, never
// deadlock (on PostgreSQL a deadlock would surface as an error here).
func TestOppositeTransfersDoNotDeadlock(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	w := users(t, db, 2)
	move(ctx, db, "topup", ledger.Funding, w[0], 100_000)
	move(ctx, db, "topup", ledger.Funding, w[1], 100_000)
	var wg sync.WaitGroup
	errc := make(chan error, 400)
	for g := range 4 {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			from, to := w[g%2], w[1-g%2]
			for range 50 {
				errc <- move(ctx, db, "transfer", from, to, 7)
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("a transfer failed: %v", err)
		}
	}
	a, b := balance(t, db, w[0]), balance(t, db, w[1])
	if a.Available != 100_000 || b.Available != 100_000 {
		t.Fatalf("after equal transfers both ways: %d and %d", a.Available, b.Available)
	}
	verifyOK(t, db)
}

// Random transfers among many wallets from many goroutines: nothing is
// negative, and the wallets hold exactly what came in.
func TestRandomConcurrentTransfersConserveMoney(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	w := users(t, db, 12)
	var in int64
	for _, wallet := range w {
		move(ctx, db, "topup", ledger.Funding, wallet, 5_000)
		in += 5_000
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, seed*7+1))
			for range 40 {
				from, to := w[rng.IntN(len(w))], w[rng.IntN(len(w))]
				if from == to {
					continue
				}
				err := move(ctx, db, "transfer", from, to, 1+rng.Int64N(3_000))
				if err != nil && !errs.Is(err, ledger.CodeInsufficientFunds) {
					t.Errorf("transfer: %v", err)
				}
			}
		}(uint64(g))
	}
	wg.Wait()
	var sum int64
	for _, wallet := range w {
		b := balance(t, db, wallet)
		if b.Available < 0 {
			t.Fatalf("wallet %s is negative: %d", wallet, b.Available)
		}
		sum += b.Available + b.Held
	}
	if sum != in {
		t.Fatalf("wallets hold %d; %d came in", sum, in)
	}
	verifyOK(t, db)
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{0: "¥0.00", 5: "¥0.05", 1250: "¥12.50", -99: "-¥0.99", math.MinInt64: "-¥92233720368547758.08"} {
		if got := ledger.Format(in); got != want {
			t.Errorf("Format(%d) = %q, want %q", in, got, want)
		}
	}
}
