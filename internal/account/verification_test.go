package account_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

func claim(kind string, value any) account.Claim {
	b, _ := json.Marshal(value)
	return account.Claim{Kind: kind, Value: b, Evidence: "student card photo"}
}

func TestClaimValuesAreCheckedPerKind(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	u := f.register(t, "mei", account.RoleUser)
	good := []account.Claim{
		claim("gender", "female"), claim("student", "复旦大学"), claim("employment", "Ant Group"),
		claim("identity_level", 2), claim("birth_year", 2001),
	}
	for _, c := range good {
		if _, err := f.svc.ClaimAttribute(ctx, u, c); err != nil {
			t.Errorf("%s %s: %v", c.Kind, c.Value, err)
		}
	}
	bad := []struct {
		c     account.Claim
		field string
	}{
		{claim("gender", "woman"), "value"},
		{claim("gender", 1), "value"},
		{claim("student", "x"), "value"},
		{claim("identity_level", 4), "value"},
		{claim("identity_level", "2"), "value"},
		{claim("birth_year", 1850), "value"},
		{claim("birth_year", 2999), "value"},
		{claim("favourite_colour", "blue"), "kind"},
		{account.Claim{Kind: "gender"}, "value"},
		{account.Claim{Kind: "gender", Value: json.RawMessage(`"female"`), Evidence: strings.Repeat("e", 2001)}, "evidence"},
	}
	for _, b := range bad {
		_, err := f.svc.ClaimAttribute(ctx, u, b.c)
		if e := errs.As(err); e.Code != errs.Invalid || e.Field != b.field {
			t.Errorf("%s %s: got %v (field %q), want invalid %s", b.c.Kind, b.c.Value, err, e.Field, b.field)
		}
	}
	if n := f.count(t, "verifications"); n != len(good) {
		t.Fatalf("%d verifications stored, want %d", n, len(good))
	}
}

func TestVerificationReviewFlow(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	mei := f.register(t, "mei", account.RoleUser)
	other := f.register(t, "lei", account.RoleUser)
	rev := f.register(t, "rita", account.RoleReviewer)

	v, err := f.svc.ClaimAttribute(ctx, mei, claim("gender", "female"))
	if err != nil || v.Status != account.VerPending || v.Verified {
		t.Fatalf("claim: %+v, %v", v, err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.svc.ClaimAttribute(ctx, mei, claim("gender", "other")); !errs.Is(err, account.CodeClaimPending) {
		t.Fatalf("a second pending claim of one kind: %v", err)
	}
	verified, _ := f.svc.Verified(ctx, f.db, mei.ID)
	if len(verified) != 0 {
		t.Fatalf("a pending claim counts as verified: %v", verified)
	}
	// Plain users cannot decide, nor can anyone decide their own claim.
	if _, err := f.svc.Approve(ctx, other, v.ID, account.Decision{}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("a plain user approving: %v", err)
	}
	own, _ := f.svc.ClaimAttribute(ctx, rev, claim("gender", "female"))
	if _, err := f.svc.Approve(ctx, rev, own.ID, account.Decision{}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("a reviewer approving their own claim: %v", err)
	}
	if _, err := f.svc.Reject(ctx, rev, v.ID, account.Decision{Reason: "  "}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("a rejection without reason: %v", err)
	}
	queue, _, err := f.svc.VerificationQueue(ctx, rev, "", store.Page{Limit: 10})
	if err != nil || len(queue) != 2 || queue[0].ID != v.ID {
		t.Fatalf("queue: %d items (%v), want 2 oldest first", len(queue), err)
	}

	approved, err := f.svc.Approve(ctx, rev, v.ID, account.Decision{})
	if err != nil || approved.Status != account.VerApproved || !approved.Verified || approved.DecidedBy != "rita" {
		t.Fatalf("approve: %+v, %v", approved, err)
	}
	verified, _ = f.svc.Verified(ctx, f.db, mei.ID)
	if verified["gender"] != "female" {
		t.Fatalf("verified after approval: %v", verified)
	}
	_, err = f.svc.Approve(ctx, rev, v.ID, account.Decision{})
	if !errs.Is(err, account.CodeAlreadyDecided) || !strings.Contains(err.Error(), "@rita") {
		t.Fatalf("approving twice: %v", err)
	}
	if _, err := f.svc.Reject(ctx, rev, v.ID, account.Decision{Reason: "late"}); !errs.Is(err, account.CodeAlreadyDecided) {
		t.Fatalf("rejecting an approved claim: %v", err)
	}

	f.clock.Advance(time.Second)
	revoked, err := f.svc.Revoke(ctx, rev, v.ID, account.Decision{Reason: "document was forged"})
	if err != nil || revoked.Status != account.VerRevoked || revoked.Verified {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	verified, _ = f.svc.Verified(ctx, f.db, mei.ID)
	if len(verified) != 0 {
		t.Fatalf("verified after revocation: %v", verified)
	}
	hist, err := f.svc.VerificationHistory(ctx, v.ID)
	if err != nil || len(hist) != 3 || hist[0].Action != "claimed" || hist[1].Action != "approved" || hist[2].Action != "revoked" ||
		hist[2].Actor != "rita" || hist[2].Reason != "document was forged" {
		t.Fatalf("history: %+v, %v", hist, err)
	}
}

func TestApprovalsExpireAndNewerApprovalsSupersede(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	mei := f.register(t, "mei", account.RoleUser)
	rev := f.register(t, "rita", account.RoleReviewer)
	past := f.clock.Now().Add(-time.Hour)
	v, _ := f.svc.ClaimAttribute(ctx, mei, claim("student", "Zhejiang University"))
	if _, err := f.svc.Approve(ctx, rev, v.ID, account.Decision{ExpiresAt: &past}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("approving with an expiry in the past: %v", err)
	}
	until := f.clock.Now().Add(365 * 24 * time.Hour)
	if _, err := f.svc.Approve(ctx, rev, v.ID, account.Decision{ExpiresAt: &until}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.svc.Verified(ctx, f.db, mei.ID)
	if got["student"] != "Zhejiang University" {
		t.Fatalf("verified: %v", got)
	}
	f.clock.Advance(366 * 24 * time.Hour)
	got, _ = f.svc.Verified(ctx, f.db, mei.ID)
	if _, ok := got["student"]; ok {
		t.Fatalf("an expired approval still counts: %v", got)
	}
	// A new approval of the same kind supersedes the old one.
	v2, _ := f.svc.ClaimAttribute(ctx, mei, claim("student", "Fudan University"))
	if _, err := f.svc.Approve(ctx, rev, v2.ID, account.Decision{}); err != nil {
		t.Fatal(err)
	}
	old, _ := f.svc.Verification(ctx, f.db, v.ID)
	if old.Status != account.VerSuperseded {
		t.Fatalf("old approval is %s, want superseded", old.Status)
	}
	got, _ = f.svc.Verified(ctx, f.db, mei.ID)
	if got["student"] != "Fudan University" {
		t.Fatalf("verified after a second approval: %v", got)
	}
}

func TestWithdrawOwnPendingClaim(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	mei := f.register(t, "mei", account.RoleUser)
	lei := f.register(t, "lei", account.RoleUser)
	v, _ := f.svc.ClaimAttribute(ctx, mei, claim("gender", "female"))
	if _, err := f.svc.Withdraw(ctx, lei, v.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("withdrawing someone else's claim: %v", err)
	}
	if w, err := f.svc.Withdraw(ctx, mei, v.ID); err != nil || w.Status != account.VerWithdrawn {
		t.Fatalf("withdraw: %+v, %v", w, err)
	}
	if _, err := f.svc.ClaimAttribute(ctx, mei, claim("gender", "other")); err != nil {
		t.Fatalf("claiming again after withdrawing: %v", err)
	}
}

func TestVerificationQueuePaginates(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	rev := f.register(t, "rita", account.RoleReviewer)
	want := map[string]bool{}
	for i := range 7 {
		u := f.register(t, "user"+string(rune('a'+i)), account.RoleUser)
		v, err := f.svc.ClaimAttribute(ctx, u, claim("gender", "female"))
		if err != nil {
			t.Fatal(err)
		}
		want[v.ID] = true
		f.clock.Advance(time.Second)
	}
	seen := map[string]bool{}
	p := store.Page{Limit: 3}
	pages := 0
	for {
		items, next, err := f.svc.VerificationQueue(ctx, rev, "pending", p)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, v := range items {
			if seen[v.ID] {
				t.Fatalf("item %s appears on two pages", v.ID)
			}
			seen[v.ID] = true
		}
		if next == "" {
			break
		}
		if p, err = store.ParsePage(next, "3"); err != nil {
			t.Fatal(err)
		}
	}
	if pages != 3 || len(seen) != len(want) {
		t.Fatalf("%d pages with %d items, want 3 pages with %d", pages, len(seen), len(want))
	}
}

// /me derives verified attributes from the claims list, so approvals must
// stay in it however many rejections pile up.
func TestClaimsKeepApprovalsAheadOfManyRejections(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	mei := f.register(t, "mei", account.RoleUser)
	rev := f.register(t, "rita", account.RoleReviewer)
	v, _ := f.svc.ClaimAttribute(ctx, mei, claim("gender", "female"))
	if _, err := f.svc.Approve(ctx, rev, v.ID, account.Decision{}); err != nil {
		t.Fatal(err)
	}
	for range 60 {
		f.clock.Advance(time.Second)
		c, err := f.svc.ClaimAttribute(ctx, mei, claim("employment", "somewhere"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Reject(ctx, rev, c.ID, account.Decision{Reason: "no evidence"}); err != nil {
			t.Fatal(err)
		}
	}
	claims, err := f.svc.Claims(ctx, mei.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := account.VerifiedOf(claims)
	want, _ := f.svc.Verified(ctx, f.db, mei.ID)
	if got["gender"] != "female" || len(got) != len(want) {
		t.Fatalf("verified from claims %v, from the database %v", got, want)
	}
}
