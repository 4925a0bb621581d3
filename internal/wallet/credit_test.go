package wallet_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// creditEvents returns the users named by each credit event in the
// outbox (a write-only outbox keeps its rows), in the order written.
func (e *env) creditEvents() [][]string {
	e.t.Helper()
	rows, err := e.db.Query(context.Background(), `SELECT data FROM outbox WHERE subject = $1 ORDER BY id`, credit.InputsSubject)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		var data string
		var in credit.InputsChanged
		if err := rows.Scan(&data); err != nil {
			e.t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(data), &in); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, in.Users)
	}
	return out
}

func (e *env) announce() {
	e.t.Helper()
	ob, err := event.Open(e.db, event.Options{WriteOnly: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.accounts.Outbox = ob
}

// A batch of transfers announces the credit inputs of all its senders and
// recipients in one event — one row per batch, never one per transfer —
// and a refused transfer announces nothing.
func TestABatchOfTransfersAnnouncesItsUsersOnce(t *testing.T) {
	e := newEnv(t)
	e.announce()
	senders := e.users(24, 10_000)
	payees := e.users(24, 0)
	broke := e.users(2, 0)
	rs := all(25, func(i int) result {
		if i == 24 { // refused: nothing to send
			return e.send(context.Background(), broke[0], broke[1].Handle, 100, "")
		}
		return e.send(context.Background(), senders[i], payees[i].Handle, 1_000, "")
	})
	if got := codes(rs); got["ok"] != 24 || got["insufficient_funds"] != 1 {
		t.Fatalf("outcomes %v", got)
	}
	batches, _ := e.wallet.BatchStats()
	evs := e.creditEvents()
	if len(evs) == 0 || int64(len(evs)) > batches { // a batch of refusals only announces nothing
		t.Fatalf("%d credit events for %d batches; want at most one per batch", len(evs), batches)
	}
	var heard []string
	for _, ids := range evs {
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Fatalf("an event's users are not distinct and sorted: %v", ids)
		}
		heard = append(heard, ids...)
	}
	var want []string
	for i := range 24 {
		want = append(want, senders[i].ID, payees[i].ID)
	}
	slices.Sort(heard)
	slices.Sort(want)
	if !slices.Equal(heard, want) {
		t.Fatalf("events named %d users; want the %d who sent or received (and not the refused pair)", len(heard), len(want))
	}
}

// Every other movement of a user's money announces its users too: a
// direct transfer (as tips and paid requests make), a top-up, a
// withdrawal, its reversal.
func TestMoneyMovementsAnnounceCreditInputs(t *testing.T) {
	e := newEnv(t)
	e.announce()
	ctx := context.Background()
	us := e.users(2, 50_000)
	a, b := us[0], us[1]
	var w wallet.Withdrawal
	steps := []struct {
		name string
		do   func(tx *store.Tx) error
		want []string
	}{
		{"send", func(tx *store.Tx) error {
			_, err := e.wallet.Send(ctx, tx, a, wallet.TransferRequest{To: b.Handle, Amount: 100})
			return err
		}, sorted(a.ID, b.ID)},
		{"withdraw", func(tx *store.Tx) (err error) {
			w, err = e.wallet.Withdraw(ctx, tx, a, wallet.WithdrawRequest{Amount: 1_000, Destination: "bank 1234"})
			return err
		}, []string{a.ID}},
		{"reverse", func(tx *store.Tx) error {
			_, err := e.wallet.ReverseWithdrawal(ctx, tx, "", w.ID, "account closed")
			return err
		}, []string{a.ID}},
	}
	for i, s := range steps {
		if err := e.db.Tx(ctx, s.do); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		evs := e.creditEvents()
		if len(evs) != i+1 || !slices.Equal(evs[i], s.want) {
			t.Fatalf("after %s: events %v; want the last to be %v", s.name, evs, s.want)
		}
	}
	top, receipt, err := e.wallet.ChargeTopup(ctx, b, wallet.TopupRequest{Amount: 500})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.Tx(ctx, func(tx *store.Tx) error { _, err := e.wallet.CompleteTopup(ctx, tx, b.ID, top, receipt); return err }); err != nil {
		t.Fatal(err)
	}
	if evs := e.creditEvents(); len(evs) != 4 || !slices.Equal(evs[3], []string{b.ID}) {
		t.Fatalf("after a top-up: events %v", evs)
	}
}

func sorted(ids ...string) []string { slices.Sort(ids); return ids }
