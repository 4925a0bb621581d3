package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
)

// Two services on one database stand for two nodes (or a server and the
// command line): what one changes, the other learns when it polls.
func TestCachedSessionsLearnOfChangesMadeElsewhere(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	other := account.New(f.db, account.NewHasher(testArgon2, 1), account.DefaultConfig)
	admin := f.register(t, "boss", account.RoleAdmin)
	rev := f.register(t, "rita", account.RoleReviewer)
	mei := f.register(t, "mei", account.RoleUser)
	tok1, _, _ := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	tok2, _, _ := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	if err := other.PollInvalidations(ctx); err != nil {
		t.Fatal(err)
	}

	// The other node caches both sessions.
	for _, tok := range []string{tok1, tok2} {
		if _, err := other.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	// A claim approved here shows there after a poll.
	v, _ := f.svc.ClaimAttribute(ctx, mei, claim("gender", "female"))
	if _, err := f.svc.Approve(ctx, rev, v.ID, account.Decision{}); err != nil {
		t.Fatal(err)
	}
	if err := other.PollInvalidations(ctx); err != nil {
		t.Fatal(err)
	}
	sess, err := other.Authenticate(ctx, tok1)
	if err != nil || sess.Verified()["gender"] != "female" {
		t.Fatalf("after approval elsewhere: verified %v, %v", sess.Verified(), err)
	}

	// Signing out here ends the session there.
	s1, _ := f.svc.Authenticate(ctx, tok1)
	if err := f.svc.Logout(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if err := other.PollInvalidations(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, tok1); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("a session signed out elsewhere still works here: %v", err)
	}
	if _, err := other.Authenticate(ctx, tok2); err != nil {
		t.Fatalf("signing out one session ended another: %v", err)
	}

	// Disabling the account here ends every session there.
	if _, err := f.svc.SetStatus(ctx, admin, "mei", account.StatusDisabled, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := other.PollInvalidations(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, tok2); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("a disabled user's session still works on another node: %v", err)
	}
}

func TestLocalChangesTakeEffectWithoutWaiting(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	rev := f.register(t, "rita", account.RoleReviewer)
	mei := f.register(t, "mei", account.RoleUser)
	tok, _, _ := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	if s, _ := f.svc.Authenticate(ctx, tok); len(s.Claims) != 0 {
		t.Fatalf("claims before claiming: %v", s.Claims)
	}
	v, _ := f.svc.ClaimAttribute(ctx, mei, claim("student", "Fudan University"))
	s, _ := f.svc.Authenticate(ctx, tok)
	if len(s.Claims) != 1 || s.Claims[0].Status != account.VerPending {
		t.Fatalf("a new claim is not in the session: %+v", s.Claims)
	}
	until := f.clock.Now().Add(30 * time.Second)
	f.svc.Approve(ctx, rev, v.ID, account.Decision{ExpiresAt: &until})
	if s, _ := f.svc.Authenticate(ctx, tok); s.Verified()["student"] != "Fudan University" {
		t.Fatalf("an approval is not in the session: %v", s.Verified())
	}
	// Expiry is computed at each use, not when the principal was cached.
	f.clock.Advance(31 * time.Second)
	if s, _ := f.svc.Authenticate(ctx, tok); len(s.Verified()) != 0 || s.ClaimsNow()[0].Verified {
		t.Fatalf("an expired approval still counts from the cache: %v", s.Verified())
	}
}

// A recompute invalidates only the users whose score changed, with one
// row per transaction naming them all; a node that polls evicts each.
func TestRecomputedScoresReachOtherNodesInOneRowPerChunk(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	other := account.New(f.db, account.NewHasher(testArgon2, 1), account.DefaultConfig)
	for _, h := range []string{"mei", "lei", "wei"} {
		f.register(t, h, account.RoleUser)
	}
	tok, _, _ := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	if err := other.PollInvalidations(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := other.Authenticate(ctx, tok); err != nil || s.Credit != nil {
		t.Fatalf("before any recompute: %+v, %v", s.Credit, err)
	}
	rows := f.count(t, "cache_invalidations")
	if n, err := f.svc.RecomputeCredit(ctx, nil, nil); err != nil || n != 3 {
		t.Fatalf("recompute: %d changed, %v", n, err)
	}
	if got := f.count(t, "cache_invalidations") - rows; got != 1 {
		t.Fatalf("a recompute of 3 users wrote %d invalidation rows; want 1", got)
	}
	if err := other.PollInvalidations(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := other.Authenticate(ctx, tok); err != nil || s.Credit == nil || s.Credit.Source != "computed" {
		t.Fatalf("the other node still has the score from before: %+v, %v", s.Credit, err)
	}
	// Nothing changed: nothing stored, nothing invalidated.
	rows = f.count(t, "cache_invalidations")
	history := f.count(t, "credit_score_history")
	if n, err := f.svc.RecomputeCredit(ctx, nil, nil); err != nil || n != 0 {
		t.Fatalf("a second recompute: %d changed, %v", n, err)
	}
	if f.count(t, "cache_invalidations") != rows || f.count(t, "credit_score_history") != history {
		t.Fatal("a recompute that changed no score wrote invalidations or history")
	}
}
