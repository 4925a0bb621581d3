package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

// TestCollectFormSentTwiceMakesOneRequest: the collect form carries a key
// made when it is shown, so sending it twice (a double tap without
// JavaScript, a reload) makes one payment request and shows that one
// both times; a new form makes a new one, and a refused form makes none.
func TestCollectFormSentTwiceMakesOneRequest(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	b := e.browser()
	b.signIn("mei")
	b.get("/wallet/collect")
	key := b.formKey()
	if key == "" {
		t.Fatal("the collect form has no idempotency key")
	}
	form := url.Values{"amount": {"30"}, "memo": {"dinner"}, "expires": {"1d"}, "single_use": {"1"}, keyField: {key}}
	first := b.post("/wallet/collect", form)
	second := b.post("/wallet/collect", form)
	if first.status != http.StatusSeeOther || second.status != http.StatusSeeOther {
		t.Fatalf("collect: %d, %d\n%s", first.status, second.status, second.body)
	}
	to := first.header.Get("Location")
	if to == "" || second.header.Get("Location") != to {
		t.Fatalf("the two submissions went to %q and %q", to, second.header.Get("Location"))
	}
	if n := e.count(`SELECT COUNT(*) FROM payment_requests WHERE payee_id = $1`, mei.ID); n != 1 {
		t.Fatalf("%d payment requests after the same form twice, want 1", n)
	}
	b.follow(second).has(t, "Your payment request is ready", "¥30.00", "dinner")

	// The same key with other values is refused, and makes nothing.
	b.get("/wallet/collect")
	res := b.post("/wallet/collect", url.Values{"amount": {"31"}, "memo": {"dinner"}, "expires": {"1d"}, "single_use": {"1"}, keyField: {key}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a reused key with other values: %d", res.status)
	}
	res.has(t, "This form was already sent with other values.", `value="31"`)
	res.lacks(t, `value="`+key+`"`)

	// A refused form makes nothing; a new form makes a new request.
	b.get("/wallet/collect")
	res = b.post("/wallet/collect", url.Values{"amount": {"0"}, keyField: {b.formKey()}})
	res.has(t, `id="e-amount"`)
	b.get("/wallet/collect")
	if res := b.post("/wallet/collect", url.Values{"amount": {"12"}, keyField: {b.formKey()}}); res.status != http.StatusSeeOther {
		t.Fatalf("a second request: %d", res.status)
	}
	if n := e.count(`SELECT COUNT(*) FROM payment_requests WHERE payee_id = $1`, mei.ID); n != 2 {
		t.Fatalf("%d payment requests, want 2", n)
	}
}
