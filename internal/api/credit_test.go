package api

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/store"
)

// Scores follow their inputs without being asked: a top-up, a transfer,
// a verification decision each announce, in their transaction, that
// their users' inputs changed, and the follower recomputes those users —
// and only them — without any request or timer asking for it.
func TestCreditFollowsChangedInputs(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	e.user("lei", account.RoleUser)
	e.user("idle", account.RoleUser)
	ctx := t.Context()
	e.accounts.FollowCreditChanges(ctx, e.outbox, 10*time.Millisecond, 100*time.Millisecond, slog.New(slog.DiscardHandler))
	score := func(handle string) int {
		var n int
		err := e.db.QueryRow(ctx, `SELECT s.score FROM credit_scores s JOIN users u ON u.id = s.user_id WHERE u.handle = $1`, handle).Scan(&n)
		if err != nil && err != store.ErrNoRows {
			t.Fatal(err)
		}
		return n
	}
	// waitFor waits, for at most ten seconds, for handle's score to be
	// stored and pass ok.
	waitFor := func(handle string, ok func(int) bool, what string) int {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if n := score(handle); n > 0 && ok(n) {
				return n
			}
			if time.Now().After(deadline) {
				t.Fatalf("@%s's score is %d, not yet %s", handle, score(handle), what)
			}
		}
	}
	anyScore := func(int) bool { return true }
	e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: mei, body: map[string]any{"amount": 50_000}})
	before := waitFor("mei", anyScore, "computed after a top-up")
	if n := score("lei"); n != 0 {
		t.Fatalf("lei was scored (%d) before anything happened to her", n)
	}
	e.do(req{method: "POST", path: "/api/v1/transfers", token: mei, body: map[string]any{"to": "lei", "amount": 1_000}})
	waitFor("lei", anyScore, "computed after a transfer to her")
	waitFor("mei", func(n int) bool { return n > before }, fmt.Sprintf("above %d after a payment", before))
	paid := score("mei")
	e.verify("mei", map[string]any{"identity_level": 2}, 0)
	waitFor("mei", func(n int) bool { return n >= paid+93 }, fmt.Sprintf("%d+93 after identity level 2 was approved", paid))
	if n := score("idle"); n != 0 {
		t.Fatalf("idle was scored (%d) though nothing of theirs changed", n)
	}
}
