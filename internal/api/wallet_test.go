package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/ledger"
)

func (e *env) balance(tok string) float64 {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/v1/wallet", token: tok})
	if r.status != 200 {
		e.t.Fatalf("wallet: %d %s", r.status, r.body)
	}
	return r.json["available"].(float64)
}

func (e *env) ledgerOK() {
	e.t.Helper()
	r, err := ledger.Verify(context.Background(), e.db, nil)
	if err != nil || !r.OK() {
		e.t.Fatalf("ledger verify: %v %v", err, r.Problems)
	}
}

func TestTopupThroughTheSandboxGateway(t *testing.T) {
	e := newEnv(t)
	tok := e.user("mei", account.RoleUser)
	if b := e.balance(tok); b != 0 {
		t.Fatalf("a new wallet holds %v", b)
	}
	r := e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: tok, body: map[string]any{"amount": 10_000}})
	if r.status != 201 || r.json["status"] != "succeeded" || r.json["entry_id"] == "" {
		t.Fatalf("top-up: %d %s", r.status, r.body)
	}
	// A declined charge moves nothing.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: tok, body: map[string]any{"amount": 500, "source": "sandbox-decline"}}), 402, "payment_declined")
	// The gateway charges and then drops the connection: the client is told
	// to retry; the retry with the same key completes it, exactly once.
	key := map[string]string{"Idempotency-Key": "topup-1"}
	body := map[string]any{"amount": 700, "source": "sandbox-fail-after-charge"}
	r = e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: tok, body: body, header: key})
	wantProblem(t, r, 502, "gateway_unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("gateway_unavailable without Retry-After")
	}
	first := e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: tok, body: body, header: key})
	again := e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: tok, body: body, header: key})
	if first.status != 201 || string(again.body) != string(first.body) {
		t.Fatalf("retries: %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	if b := e.balance(tok); b != 10_700 {
		t.Fatalf("balance %v after top-ups of 10000 and 700 (and a decline), want 10700", b)
	}
	// The same key for a different top-up is refused.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: tok, body: map[string]any{"amount": 800, "source": "sandbox-fail-after-charge"}, header: key}), 422, "idempotency_mismatch")
	e.ledgerOK()
}

func TestTopupLeftPendingIsReconciled(t *testing.T) {
	e := newEnv(t)
	tok := e.user("mei", account.RoleUser)
	r := e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: tok, body: map[string]any{"amount": 300, "source": "sandbox-fail-after-charge"}})
	wantProblem(t, r, 502, "gateway_unavailable")
	n, err := e.api.Wallet.Reconcile(context.Background(), 0)
	if err != nil || n != 1 {
		t.Fatalf("reconcile settled %d (%v), want 1", n, err)
	}
	if b := e.balance(tok); b != 300 {
		t.Fatalf("balance after reconciling: %v, want 300", b)
	}
	if n, _ := e.api.Wallet.Reconcile(context.Background(), 0); n != 0 {
		t.Fatalf("a second reconcile settled %d more", n)
	}
	e.ledgerOK()
}

func TestTransfers(t *testing.T) {
	e := newEnv(t)
	admin := e.user("boss", account.RoleAdmin)
	mei := e.user("mei", account.RoleUser)
	lei := e.user("lei", account.RoleUser)
	e.user("gone", account.RoleUser)
	e.do(req{method: "POST", path: "/api/v1/admin/users/gone/disable", token: admin})
	e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: mei, body: map[string]any{"amount": 1_000}})

	key := map[string]string{"Idempotency-Key": "lunch"}
	first := e.do(req{method: "POST", path: "/api/v1/transfers", token: mei, body: `{"to": "@Lei", "amount": 250, "memo": "午饭 lunch"}`, header: key})
	if first.status != 201 || first.json["to"] != "lei" || first.json["amount"] != float64(250) {
		t.Fatalf("transfer: %d %s", first.status, first.body)
	}
	again := e.do(req{method: "POST", path: "/api/v1/transfers", token: mei, body: `{"to": "@Lei", "amount": 250, "memo": "午饭 lunch"}`, header: key})
	if string(again.body) != string(first.body) {
		t.Fatalf("a retry moved money again: %s", again.body)
	}
	if a, b := e.balance(mei), e.balance(lei); a != 750 || b != 250 {
		t.Fatalf("balances %v and %v, want 750 and 250", a, b)
	}

	bad := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"zero", `{"to": "lei", "amount": 0}`, 422, "invalid"},
		{"negative", `{"to": "lei", "amount": -5}`, 422, "invalid"},
		{"fractional", `{"to": "lei", "amount": 12.5}`, 400, "wrong_type"},
		{"a string", `{"to": "lei", "amount": "100"}`, 400, "wrong_type"},
		{"above int64", `{"to": "lei", "amount": 99999999999999999999}`, 400, "wrong_type"},
		{"above the maximum", `{"to": "lei", "amount": 100000001}`, 422, "invalid"},
		{"unknown recipient", `{"to": "nobody", "amount": 1}`, 422, "recipient_unavailable"},
		{"disabled recipient", `{"to": "gone", "amount": 1}`, 422, "recipient_unavailable"},
		{"to self", `{"to": "mei", "amount": 1}`, 422, "invalid"},
		{"no recipient", `{"amount": 1}`, 422, "invalid"},
		{"insufficient funds", `{"to": "lei", "amount": 751}`, 422, "insufficient_funds"},
		{"another currency", `{"to": "lei", "amount": 1, "currency": "USD"}`, 422, "currency_mismatch"},
		{"key reused for another body", `{"to": "lei", "amount": 1}`, 422, "idempotency_mismatch"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			var h map[string]string
			if c.code == "idempotency_mismatch" {
				h = key
			}
			r := e.do(req{method: "POST", path: "/api/v1/transfers", token: mei, body: c.body, header: h})
			wantProblem(t, r, c.status, c.code)
			if c.code == "insufficient_funds" && r.json["available"] != float64(750) {
				t.Fatalf("insufficient_funds without the available amount: %s", r.body)
			}
		})
	}
	if a, b := e.balance(mei), e.balance(lei); a != 750 || b != 250 {
		t.Fatalf("refused transfers moved money: %v and %v", a, b)
	}

	hist := e.do(req{method: "GET", path: "/api/v1/wallet/transactions?limit=1", token: mei})
	items, _ := hist.json["items"].([]any)
	if hist.status != 200 || len(items) != 1 || hist.json["next_cursor"] == "" {
		t.Fatalf("history page 1: %d %s", hist.status, hist.body)
	}
	top := items[0].(map[string]any)
	if top["kind"] != "transfer" || top["amount"] != float64(-250) || top["counterparty"] != "lei" || top["memo"] != "午饭 lunch" {
		t.Fatalf("newest history line: %v", top)
	}
	next := e.do(req{method: "GET", path: "/api/v1/wallet/transactions?limit=5&cursor=" + hist.json["next_cursor"].(string), token: mei})
	items, _ = next.json["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["kind"] != "topup" || next.json["next_cursor"] != "" {
		t.Fatalf("history page 2: %s", next.body)
	}
	lh := e.do(req{method: "GET", path: "/api/v1/wallet/transactions", token: lei})
	if items, _ := lh.json["items"].([]any); len(items) != 1 || items[0].(map[string]any)["counterparty"] != "mei" || items[0].(map[string]any)["amount"] != float64(250) {
		t.Fatalf("recipient's history: %s", lh.body)
	}
	if m := e.do(req{method: "GET", path: "/metrics"}); !regexp.MustCompile(`(?m)^quanzi_transfers_settled_total [1-9]`).Match(m.body) {
		t.Fatalf("metrics do not count the settled transfers:\n%s", m.body)
	}
	e.ledgerOK()
}

func TestWithdrawalsHoldThenSettleOrReturnExactly(t *testing.T) {
	e := newEnv(t)
	admin := e.user("boss", account.RoleAdmin)
	mei := e.user("mei", account.RoleUser)
	e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: mei, body: map[string]any{"amount": 10_000}})
	wallet := func() (float64, float64) {
		r := e.do(req{method: "GET", path: "/api/v1/wallet", token: mei})
		return r.json["available"].(float64), r.json["held"].(float64)
	}
	w1 := e.do(req{method: "POST", path: "/api/v1/withdrawals", token: mei, body: map[string]any{"amount": 3_000, "destination": "ICBC card ****1234"}})
	if w1.status != 201 || w1.json["status"] != "pending" {
		t.Fatalf("withdraw: %d %s", w1.status, w1.body)
	}
	if a, h := wallet(); a != 7_000 || h != 3_000 {
		t.Fatalf("after the hold: available %v held %v, want 7000 and 3000", a, h)
	}
	w2 := e.do(req{method: "POST", path: "/api/v1/withdrawals", token: mei, body: map[string]any{"amount": 2_500, "destination": "ICBC card ****1234"}})
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/withdrawals", token: mei, body: map[string]any{"amount": 4_501, "destination": "ICBC card ****1234"}}), 422, "insufficient_funds")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/withdrawals", token: mei, body: map[string]any{"amount": 10, "destination": ""}}), 422, "invalid")

	id1, id2 := w1.json["id"].(string), w2.json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/withdrawals/" + id1 + "/settle", token: mei}), 403, "forbidden")
	if r := e.do(req{method: "POST", path: "/api/v1/admin/withdrawals/" + id1 + "/settle", token: admin}); r.status != 200 || r.json["status"] != "settled" {
		t.Fatalf("settle: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/withdrawals/" + id1 + "/reverse", token: admin, body: map[string]any{"reason": "late"}}), 409, "withdrawal_decided")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/withdrawals/" + id2 + "/reverse", token: admin}), 422, "invalid")
	if r := e.do(req{method: "POST", path: "/api/v1/admin/withdrawals/" + id2 + "/reverse", token: admin, body: map[string]any{"reason": "the bank rejected the account number"}}); r.status != 200 || r.json["status"] != "reversed" {
		t.Fatalf("reverse: %d %s", r.status, r.body)
	}
	if a, h := wallet(); a != 7_000 || h != 0 {
		t.Fatalf("after settling 3000 and returning 2500: available %v held %v, want 7000 and 0", a, h)
	}
	hist := e.do(req{method: "GET", path: "/api/v1/wallet/transactions", token: mei})
	items := hist.json["items"].([]any)
	if len(items) != 5 || items[0].(map[string]any)["kind"] != "withdrawal_reverse" || items[0].(map[string]any)["held"] != float64(-2_500) {
		t.Fatalf("history: %s", hist.body)
	}
	e.ledgerOK()
}

func TestPaymentRequests(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	lei := e.user("lei", account.RoleUser)
	e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: mei, body: map[string]any{"amount": 5_000}})

	one := e.do(req{method: "POST", path: "/api/v1/payment-requests", token: lei, body: map[string]any{"amount": 1_200, "memo": "电影票 movie", "single_use": true}})
	if one.status != 201 || one.json["status"] != "open" || one.json["code"] == "" || one.json["pay_url"] != "quanzi://pay/"+one.json["code"].(string) {
		t.Fatalf("request: %d %s", one.status, one.body)
	}
	code := one.json["code"].(string)
	if r := e.do(req{method: "GET", path: "/api/v1/payment-requests/" + code, token: mei}); r.status != 200 || r.json["payee"] != "lei" || r.json["amount"] != float64(1_200) {
		t.Fatalf("looking up by code: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/payment-requests/" + code + "/pay", token: lei}), 422, "invalid") // one's own
	paid := e.do(req{method: "POST", path: "/api/v1/payment-requests/" + code + "/pay", token: mei, header: map[string]string{"Idempotency-Key": "movie"}})
	if paid.status != 201 || paid.json["to"] != "lei" || paid.json["amount"] != float64(1_200) {
		t.Fatalf("pay: %d %s", paid.status, paid.body)
	}
	if again := e.do(req{method: "POST", path: "/api/v1/payment-requests/" + code + "/pay", token: mei, header: map[string]string{"Idempotency-Key": "movie"}}); string(again.body) != string(paid.body) {
		t.Fatalf("a retry of the payment was not replayed: %s", again.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/payment-requests/" + one.json["id"].(string) + "/pay", token: mei}), 409, "payment_request_paid")

	many := e.do(req{method: "POST", path: "/api/v1/payment-requests", token: lei, body: map[string]any{"amount": 500, "memo": "AA"}})
	mid := many.json["id"].(string)
	for range 2 {
		if r := e.do(req{method: "POST", path: "/api/v1/payment-requests/" + mid + "/pay", token: mei}); r.status != 201 {
			t.Fatalf("paying a reusable request: %d %s", r.status, r.body)
		}
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/payment-requests/" + mid + "/cancel", token: mei}), 404, "not_found")
	if r := e.do(req{method: "POST", path: "/api/v1/payment-requests/" + mid + "/cancel", token: lei}); r.status != 200 || r.json["status"] != "cancelled" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/payment-requests/" + mid + "/pay", token: mei}), 409, "payment_request_cancelled")

	big := e.do(req{method: "POST", path: "/api/v1/payment-requests", token: lei, body: map[string]any{"amount": 19_999}})
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/payment-requests/" + big.json["id"].(string) + "/pay", token: mei}), 422, "insufficient_funds")

	soon := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	exp := e.do(req{method: "POST", path: "/api/v1/payment-requests", token: lei, body: map[string]any{"amount": 100, "expires_at": soon}})
	later := time.Now().Add(2 * time.Minute)
	e.db.Clock = func() time.Time { return later }
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/payment-requests/" + exp.json["id"].(string) + "/pay", token: mei}), 410, "payment_request_expired")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/payment-requests", token: lei, body: map[string]any{"amount": 100, "expires_at": "2020-01-01T00:00:00Z"}}), 422, "invalid")

	if m, l := e.balance(mei), e.balance(lei); m != 5_000-1_200-1_000 || l != 2_200 {
		t.Fatalf("balances %v and %v, want %d and 2200", m, l, 5_000-1_200-1_000)
	}
	e.ledgerOK()
}

func TestStatementCSV(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	e.user("lei", account.RoleUser)
	e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: mei, body: map[string]any{"amount": 5_000}})
	e.do(req{method: "POST", path: "/api/v1/transfers", token: mei, body: map[string]any{"to": "lei", "amount": 1_250, "memo": "=HYPERLINK(\"x\")"}})
	day := time.Now().UTC().Format(time.DateOnly)
	next := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	r := e.do(req{method: "GET", path: "/api/v1/wallet/statement.csv?from=" + day + "&to=" + next, token: mei})
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("statement: %d %v", r.status, r.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("statement rows: %v %q", err, r.body)
	}
	if rows[1][2] != "topup" || rows[1][3] != "50.00" || rows[2][2] != "transfer" || rows[2][3] != "-12.50" || rows[2][5] != "lei" {
		t.Fatalf("statement lines: %q", rows)
	}
	if !strings.HasPrefix(rows[2][6], "'=") {
		t.Fatalf("a formula in a memo was not neutralised: %q", rows[2][6])
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/wallet/statement.csv?from=" + next + "&to=" + day, token: mei}), 422, "invalid")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/wallet/statement.csv?from=2020-01-01&to=2026-01-01", token: mei}), 422, "invalid")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/wallet/statement.csv?from=yesterday&to=" + day, token: mei}), 422, "invalid")
}

func TestLimitsFollowVerificationAndThePINGuardsLargePayments(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	rev := e.user("rita", account.RoleReviewer)
	lin := e.user("lina", account.RoleUser)
	e.user("lei", account.RoleUser)
	for _, tok := range []string{mei, lin} {
		e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: tok, body: map[string]any{"amount": 500_000}})
	}
	pay := func(tok string, amount int, pin string) response {
		body := map[string]any{"to": "lei", "amount": amount}
		if pin != "" {
			body["pin"] = pin
		}
		return e.do(req{method: "POST", path: "/api/v1/transfers", token: tok, body: body})
	}

	// Small payments need no PIN; large ones need one that is set.
	if r := pay(mei, 20_000, ""); r.status != 201 {
		t.Fatalf("¥200 without a PIN: %d %s", r.status, r.body)
	}
	wantProblem(t, pay(mei, 20_001, ""), 403, "pin_required")
	wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/me/payment-pin", token: mei, body: map[string]any{"password": "wrong", "pin": "246810"}}), 401, "invalid_credentials")
	wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/me/payment-pin", token: mei, body: map[string]any{"password": "password-mei", "pin": "12a456"}}), 422, "invalid")
	if r := e.do(req{method: "PUT", path: "/api/v1/me/payment-pin", token: mei, body: map[string]any{"password": "password-mei", "pin": "246810"}}); r.status != 204 {
		t.Fatalf("set PIN: %d %s", r.status, r.body)
	}

	// Unverified: ¥500 per payment, ¥1,000 a day (¥200 already sent).
	r := pay(mei, 50_001, "246810")
	wantProblem(t, r, 422, "limit_exceeded")
	if r.json["limit"] != "per_payment" || !strings.Contains(r.json["detail"].(string), "¥500.00") {
		t.Fatalf("per-payment refusal: %s", r.body)
	}
	if r := pay(mei, 50_000, "246810"); r.status != 201 {
		t.Fatalf("¥500: %d %s", r.status, r.body)
	}
	r = pay(mei, 30_001, "246810")
	wantProblem(t, r, 422, "limit_exceeded")
	if r.json["limit"] != "daily" || r.json["remaining"] != float64(30_000) {
		t.Fatalf("daily refusal: %s", r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/withdrawals", token: mei, body: map[string]any{"amount": 30_001, "destination": "ICBC ****1234", "pin": "246810"}}), 422, "limit_exceeded")

	// A verified identity raises the limits.
	claim := e.do(req{method: "POST", path: "/api/v1/me/verifications", token: lin, body: map[string]any{"kind": "identity_level", "value": 2}})
	e.do(req{method: "POST", path: "/api/v1/admin/verifications/" + claim.json["id"].(string) + "/approve", token: rev})
	e.do(req{method: "PUT", path: "/api/v1/me/payment-pin", token: lin, body: map[string]any{"password": "password-lina", "pin": "135790"}})
	if r := pay(lin, 300_000, "135790"); r.status != 201 {
		t.Fatalf("level 2 sending ¥3,000: %d %s", r.status, r.body)
	}

	// Five wrong PINs lock it; the password resets it.
	for i := 1; i <= 4; i++ {
		r := pay(lin, 30_000, "000000")
		wantProblem(t, r, 403, "pin_incorrect")
		if r.json["tries_left"] != float64(5-i) {
			t.Fatalf("wrong PIN %d: %s", i, r.body)
		}
	}
	wantProblem(t, pay(lin, 30_000, "000000"), 423, "pin_locked")
	wantProblem(t, pay(lin, 30_000, "135790"), 423, "pin_locked")
	e.do(req{method: "PUT", path: "/api/v1/me/payment-pin", token: lin, body: map[string]any{"password": "password-lina", "pin": "135790"}})
	if r := pay(lin, 30_000, "135790"); r.status != 201 {
		t.Fatalf("after resetting the PIN: %d %s", r.status, r.body)
	}
	// The PIN never reaches the idempotency records.
	var n int
	e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM idempotency_keys WHERE body LIKE '%135790%' OR body LIKE '%246810%'`).Scan(&n)
	if n != 0 {
		t.Fatal("a PIN was stored with an idempotency record")
	}
	e.ledgerOK()
}

func TestAReturnedWithdrawalGivesBackTheDaysAllowance(t *testing.T) {
	e := newEnv(t)
	admin := e.user("boss", account.RoleAdmin)
	mei := e.user("mei", account.RoleUser)
	e.user("lei", account.RoleUser)
	e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: mei, body: map[string]any{"amount": 300_000}})
	e.do(req{method: "PUT", path: "/api/v1/me/payment-pin", token: mei, body: map[string]any{"password": "password-mei", "pin": "246810"}})
	for range 2 {
		if r := e.do(req{method: "POST", path: "/api/v1/withdrawals", token: mei, body: map[string]any{"amount": 50_000, "destination": "ICBC ****1234", "pin": "246810"}}); r.status != 201 {
			t.Fatalf("withdraw: %d %s", r.status, r.body)
		}
	}
	r := e.do(req{method: "POST", path: "/api/v1/transfers", token: mei, body: map[string]any{"to": "lei", "amount": 100}})
	wantProblem(t, r, 422, "limit_exceeded")
	var id string
	e.db.QueryRow(context.Background(), `SELECT id FROM withdrawals ORDER BY created_at LIMIT 1`).Scan(&id)
	e.do(req{method: "POST", path: "/api/v1/admin/withdrawals/" + id + "/reverse", token: admin, body: map[string]any{"reason": "bank rejected it"}})
	if r := e.do(req{method: "POST", path: "/api/v1/transfers", token: mei, body: map[string]any{"to": "lei", "amount": 20_000}}); r.status != 201 {
		t.Fatalf("after the withdrawal came back, ¥200 should fit today's allowance: %d %s", r.status, r.body)
	}
}
