package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/notify"
)

// TestClaimDecisionsNotifyTheClaimant: a reviewer's decision on a claim,
// made on the console, leaves the claimant exactly one notification of
// its kind, with the reason of a rejection, shown in English and Chinese
// and leading to the profile.
func TestClaimDecisionsNotifyTheClaimant(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	reviewer := e.user("rev", account.RoleReviewer)
	ctx := t.Context()
	student, err := e.accounts.ClaimAttribute(ctx, mei, account.Claim{Kind: account.KindStudent, Value: []byte(`"Tsinghua University"`)})
	if err != nil {
		t.Fatal(err)
	}
	level, err := e.accounts.ClaimAttribute(ctx, mei, account.Claim{Kind: account.KindIdentityLevel, Value: []byte(`2`)})
	if err != nil {
		t.Fatal(err)
	}
	count := func(kind string) int {
		t.Helper()
		return e.count(`SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = $2`, mei.ID, kind)
	}

	rev := e.browser()
	rev.signIn("rev")
	rev.get("/admin/verifications")
	if res := rev.post("/admin/verifications/"+student.ID+"/approve", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("approve: %d\n%s", res.status, res.body)
	}
	if n, all := count(notify.KindClaimApproved), e.count(`SELECT COUNT(*) FROM notifications WHERE user_id = $1`, mei.ID); n != 1 || all != 1 {
		t.Fatalf("after an approval: %d approvals, %d notifications; want 1 and 1", n, all)
	}
	// A refused decision (no reason) tells nobody anything.
	rev.get("/admin/verifications")
	if res := rev.post("/admin/verifications/"+level.ID+"/reject", url.Values{"reason": {"  "}}); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a rejection without a reason: %d", res.status)
	}
	if n := count(notify.KindClaimRejected); n != 0 {
		t.Fatalf("%d rejection notifications after a refused rejection", n)
	}
	rev.get("/admin/verifications")
	rev.post("/admin/verifications/"+level.ID+"/reject", url.Values{"reason": {"the document photo is blurred"}})
	if n := count(notify.KindClaimRejected); n != 1 {
		t.Fatalf("%d rejection notifications, want 1", n)
	}
	// A second decision on a decided claim is refused, and adds nothing.
	rev.get("/admin/verifications")
	rev.post("/admin/verifications/"+student.ID+"/approve", url.Values{})
	if n := count(notify.KindClaimApproved); n != 1 {
		t.Fatalf("%d approval notifications after deciding twice, want 1", n)
	}

	b := e.browser()
	b.signIn("mei")
	page := b.get("/notifications")
	page.has(t, `<a href="/me#verified"><span class="sr">Unread: </span>Your claim is verified: Student, Tsinghua University</a>`,
		"Your claim was rejected: Identity level, level 2 — identity document checked</a>",
		`<p class="muted small quote">“the document photo is blurred”</p>`)
	b.header.Set("Accept-Language", "zh-CN")
	b.get("/notifications").has(t, "你的认证申请已通过：学生，Tsinghua University", "你的认证申请被拒绝：身份等级，2 级——已核验身份证件",
		"“the document photo is blurred”")

	// A revocation says so too, with its reason.
	if _, err := e.accounts.Revoke(ctx, reviewer, student.ID, account.Decision{Reason: "the school says no such student"}); err != nil {
		t.Fatal(err)
	}
	if n := count(notify.KindClaimRevoked); n != 1 {
		t.Fatalf("%d revocation notifications, want 1", n)
	}
	b.get("/notifications").has(t, "你的已认证信息被撤销：学生，Tsinghua University", "“the school says no such student”")
}
