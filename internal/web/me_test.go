package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

// TestClaimIsPendingThenVerified: a claim shows as waiting for review;
// once a reviewer approves it, the profile shows it verified, and others
// see the badge.
func TestClaimIsPendingThenVerified(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	b := e.browser()
	b.signIn("mei")
	b.get("/me").has(t, "Claim an attribute", `action="/me/verifications"`, "You have no verified attributes yet.")

	res := b.post("/me/verifications", url.Values{"kind": {"student"}, "value": {"Tsinghua University"}, "evidence": {"student card 2021-0042"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("claim: %d\n%s", res.status, res.body)
	}
	b.follow(res).has(t, "Your claim is waiting for a reviewer.", "Tsinghua University", "pending review",
		`action="/me/verifications/`)
	claims, err := e.deps.Accounts.Claims(t.Context(), mei.ID)
	if err != nil || len(claims) != 1 || claims[0].Evidence != "student card 2021-0042" {
		t.Fatalf("claims: %+v %v", claims, err)
	}
	b.get("/u/mei").lacks(t, "✓ Student")

	if _, err := e.deps.Accounts.Approve(t.Context(), rev, claims[0].ID, account.Decision{}); err != nil {
		t.Fatal(err)
	}
	page := b.get("/me")
	page.has(t, `<span class="pill ok">✓ verified</span>`, "✓ Student: Tsinghua University")
	page.lacks(t, "pending review")
	other := e.browser()
	other.get("/u/mei").has(t, "✓ Student: Tsinghua University")

	// A rejection says why.
	b.get("/me")
	b.post("/me/verifications", url.Values{"kind": {"identity_level"}, "value": {"2"}})
	claims, _ = e.deps.Accounts.Claims(t.Context(), mei.ID)
	for _, c := range claims {
		if c.Kind == account.KindIdentityLevel {
			if _, err := e.deps.Accounts.Reject(t.Context(), rev, c.ID, account.Decision{Reason: "the document photo is blurred"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.get("/me").has(t, "rejected", "the document photo is blurred")
}

// TestBadClaimKeepsValues: a refused claim comes back with the explanation
// next to its field, in the reader's language, with what was typed, and
// writes nothing.
func TestBadClaimKeepsValues(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	b := e.browser()
	b.signIn("mei")
	b.get("/me")
	res := b.post("/me/verifications", url.Values{"kind": {"birth_year"}, "value": {"1800"}, "evidence": {"my passport"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad claim: %d", res.status)
	}
	res.has(t, `id="e-value">A birth year must be a number from 1900 to`, `value="1800"`, ">my passport</textarea>",
		`<option value="birth_year" selected>`)
	if n := e.count(`SELECT COUNT(*) FROM verifications`); n != 0 {
		t.Fatalf("%d verifications after a refused claim", n)
	}

	b.header.Set("Accept-Language", "zh-CN")
	b.get("/me")
	res = b.post("/me/verifications", url.Values{"kind": {"birth_year"}, "value": {"1800"}})
	res.has(t, `id="e-value">出生年份必须是 1900 到`, `value="1800"`)
	res = b.post("/me/verifications", url.Values{"kind": {"gender"}, "value": {"unknown"}})
	res.has(t, `id="e-value">性别必须是`)

	// A second claim of a kind while one waits: above the form, in Chinese.
	b.post("/me/verifications", url.Values{"kind": {"student"}, "value": {"Peking University"}})
	b.get("/me")
	res = b.post("/me/verifications", url.Values{"kind": {"student"}, "value": {"Fudan University"}})
	res.has(t, `class="alert" role="alert">你已有一项“学生”申请在等待审核`, `value="Fudan University"`)
	if n := e.count(`SELECT COUNT(*) FROM verifications`); n != 1 {
		t.Fatalf("%d verifications, want the first only", n)
	}
}

func TestPINAndPasswordForms(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	b := e.browser()
	b.signIn("mei")
	b.get("/me").has(t, "You have not set one yet.")
	res := b.post("/me/pin", url.Values{"pin": {"123456"}, "pin_again": {"123456"}, "password": {"not my password"}})
	res.has(t, `id="e-password">The account password is incorrect.`)
	res.lacks(t, "123456", "not my password")
	res = b.post("/me/pin", url.Values{"pin": {"12345"}, "pin_again": {"12345"}, "password": {"password-mei"}})
	res.has(t, `id="e-pin">A payment PIN is exactly 6 digits.`)
	if ok, _ := e.deps.Accounts.HasPIN(t.Context(), mei.ID); ok {
		t.Fatal("a refused PIN was set")
	}
	b.follow(b.post("/me/pin", url.Values{"pin": {"123456"}, "pin_again": {"123456"}, "password": {"password-mei"}})).
		has(t, "Your payment PIN is set.", "Change the PIN")
	if ok, _ := e.deps.Accounts.HasPIN(t.Context(), mei.ID); !ok {
		t.Fatal("no PIN after setting it")
	}

	res = b.post("/me/password", url.Values{"current_password": {"wrong one here"}, "new_password": {"a new long password"}, "new_password_again": {"a new long password"}})
	res.has(t, `id="e-current_password">The current password is incorrect.`)
	res = b.post("/me/password", url.Values{"current_password": {"password-mei"}, "new_password": {"short"}, "new_password_again": {"short"}})
	res.has(t, `id="e-new_password">The password must be at least`)
	b.follow(b.post("/me/password", url.Values{"current_password": {"password-mei"}, "new_password": {"a new long password"}, "new_password_again": {"a new long password"}})).
		has(t, "Your password is changed")
	if _, _, err := e.accounts.Login(t.Context(), account.LoginRequest{Handle: "mei", Password: "a new long password", Client: "127.0.0.1"}); err != nil {
		t.Fatalf("signing in with the new password: %v", err)
	}
}

func TestCreditPageShowsScoreFactorsAndWhatRaisesIt(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	b := e.browser()
	b.signIn("mei")
	page := b.get("/me/credit")
	rep, err := e.deps.Accounts.CreditReport(t.Context(), mei)
	if err != nil {
		t.Fatal(err)
	}
	page.has(t, fmt.Sprintf(`<span class="stat big">%d</span>`, rep.Score), "Verified identity", "level 0 of 3", "Account age", "Payment history",
		"Standing", "a clean record", "What would raise it", "Verify your identity to level 1 on your profile.", "up to &#43;46")
	if strings.Index(page.body, "Verify your identity") > strings.Index(page.body, "Stay with us") {
		t.Fatal("the biggest gain does not come first")
	}

	// Verifying the identity raises the score, and the history draws it.
	v, err := e.deps.Accounts.ClaimAttribute(t.Context(), mei, account.Claim{Kind: account.KindIdentityLevel, Value: []byte("3")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.deps.Accounts.Approve(t.Context(), rev, v.ID, account.Decision{}); err != nil {
		t.Fatal(err)
	}
	page = b.get("/me/credit")
	page.has(t, fmt.Sprintf(`<span class="stat big">%d</span>`, rep.Score+140), "level 3 of 3", "<polyline class=\"line\"")
	page.lacks(t, "Verify your identity to level", "style=")

	b.header.Set("Accept-Language", "zh-CN")
	b.get("/me/credit").has(t, "信用分", "身份认证", "3 级（共 3 级）", "怎样提高")
}

// TestDisplayNameForm: the profile's name form is prefilled with the
// current name; a refused name comes back next to the field as typed, in
// the reader's language, and changes nothing; a good one shows at once.
func TestDisplayNameForm(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	b := e.browser()
	b.signIn("mei")
	b.get("/me").has(t, `action="/me/name"`, `id="f-display_name" name="display_name" type="text" value="mei"`)

	long := strings.Repeat("长", 51)
	res := b.post("/me/name", url.Values{"display_name": {long}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a long name: %d", res.status)
	}
	res.has(t, `<details id="name" open>`, `id="e-display_name">The display name must be at most 50 characters long; it has 51.`, `value="`+long+`"`)
	res = b.post("/me/name", url.Values{"display_name": {"  "}})
	res.has(t, `id="e-display_name">Enter a display name`, `name="display_name" type="text" value="  "`)
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.display_name'`); n != 0 {
		t.Fatalf("%d name changes after refused forms", n)
	}

	b.header.Set("Accept-Language", "zh-CN")
	b.get("/me")
	b.post("/me/name", url.Values{"display_name": {long}}).has(t, `id="e-display_name">昵称最多 50 个字符，现在有 51 个。`, `value="`+long+`"`)

	page := b.follow(b.post("/me/name", url.Values{"display_name": {"小美"}}))
	page.has(t, "现在大家看到的你是“小美”。", "<h1>小美</h1>", `value="小美"`)
	if u, _ := e.accounts.UserByID(t.Context(), e.db, mei.ID); u.DisplayName != "小美" {
		t.Fatalf("stored name %q", u.DisplayName)
	}
	e.browser().get("/u/mei").has(t, "小美")
}
