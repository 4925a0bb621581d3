package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// fund tops a user's wallet up through the sandbox, as the API would.
func (e *env) fund(u account.User, amount int64) {
	e.t.Helper()
	ctx := context.Background()
	t, receipt, err := e.deps.Wallet.ChargeTopup(ctx, u, wallet.TopupRequest{Amount: amount})
	if err == nil {
		err = e.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := e.deps.Wallet.CompleteTopup(ctx, tx, u.ID, t, receipt)
			return err
		})
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// send moves money between two users directly.
func (e *env) send(from account.User, to string, amount int64) {
	e.t.Helper()
	ctx := context.Background()
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := e.deps.Wallet.Send(ctx, tx, from, wallet.TransferRequest{To: to, Amount: amount})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) balance(u account.User) wallet.Wallet {
	e.t.Helper()
	w, err := e.deps.Wallet.Balance(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

var keyInput = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)

// formKey is the idempotency key of the form on the last page seen.
func (b *browser) formKey() string {
	b.e.t.Helper()
	m := keyInput.FindStringSubmatch(b.last)
	if m == nil {
		b.e.t.Fatalf("the last page has no idempotency key:\n%s", b.last)
	}
	return m[1]
}

func TestWalletSignedOutGoesToSignIn(t *testing.T) {
	e := newEnv(t)
	res := e.browser().get("/wallet")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login?next=%2Fwallet" {
		t.Fatalf("signed out /wallet: %d %q", res.status, res.header.Get("Location"))
	}
}

func TestWalletTopupTwiceMovesMoneyOnce(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	b := e.browser()
	b.signIn("mei")
	b.get("/wallet/topup").has(t, `name="amount"`, "Test bank card (sandbox)")
	form := url.Values{"amount": {"12.50"}, "source": {"sandbox"}, keyField: {b.formKey()}}
	first := b.post("/wallet/topup", cloneValues(form))
	if first.status != http.StatusSeeOther {
		t.Fatalf("top-up: %d\n%s", first.status, first.body)
	}
	again := b.post("/wallet/topup", cloneValues(form))
	if again.status != http.StatusSeeOther || again.header.Get("Location") != "/wallet" {
		t.Fatalf("the same form again: %d %q\n%s", again.status, again.header.Get("Location"), again.body)
	}
	page := b.follow(again)
	page.has(t, "¥12.50 added to your wallet.", `<p class="stat">¥12.50</p>`, "Top-up")
	if n := e.count(`SELECT COUNT(*) FROM topups`); n != 1 {
		t.Fatalf("%d top-ups, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM journal_entries WHERE kind = 'topup'`); n != 1 {
		t.Fatalf("%d top-up entries, want 1", n)
	}
	if e.balance(e.mustUser("mei")).Available != 1250 {
		t.Fatalf("balance %+v", e.balance(e.mustUser("mei")))
	}

	// A declined charge says so next to the source and books nothing.
	b.get("/wallet/topup")
	res := b.post("/wallet/topup", url.Values{"amount": {"3"}, "source": {"sandbox-decline"}, keyField: {b.formKey()}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("declined: %d", res.status)
	}
	res.has(t, `id="e-source"`, "The bank declined the charge")
	if n := e.count(`SELECT COUNT(*) FROM journal_entries WHERE kind = 'topup'`); n != 1 {
		t.Fatalf("%d top-up entries after a decline", n)
	}
	// A bad amount stays next to the field.
	b.post("/wallet/topup", url.Values{"amount": {"12.345"}}).has(t, `id="e-amount"`, "at most two decimals")
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (e *env) mustUser(handle string) account.User {
	e.t.Helper()
	u, err := e.accounts.UserByHandle(context.Background(), e.db, handle)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func TestWalletTransferRefusals(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	e.user("lei", account.RoleUser)
	e.fund(mei, 1000) // ¥10
	b := e.browser()
	b.signIn("mei")

	// Links may start a transfer.
	b.get("/wallet/transfer?to=lei&amount=3.20").has(t, `value="lei"`, `value="3.20"`)

	res := b.post("/wallet/transfer", url.Values{"to": {"nobody"}, "amount": {"5"}, "memo": {"lunch"}, keyField: {b.formKey()}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown recipient: %d", res.status)
	}
	res.has(t, `id="e-to">There is nobody with the handle @nobody.`, `value="nobody"`, `value="5"`, `value="lunch"`)
	res.lacks(t, `id="e-amount"`)

	res = b.post("/wallet/transfer", url.Values{"to": {"lei"}, "amount": {"50"}, keyField: {b.formKey()}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("insufficient funds: %d", res.status)
	}
	res.has(t, `id="e-amount">Not enough money: this needs ¥50.00, and your wallet has ¥10.00 available.`)

	res = b.post("/wallet/transfer", url.Values{"to": {"mei"}, "amount": {"1"}, keyField: {b.formKey()}})
	res.has(t, `id="e-to">You cannot send money to yourself.`)

	// In Chinese, the explanation is in Chinese.
	b.header.Set("Accept-Language", "zh-CN")
	res = b.post("/wallet/transfer", url.Values{"to": {"nobody"}, "amount": {"5"}, keyField: {b.formKey()}})
	res.has(t, "没有用户名为 @nobody 的用户")
	b.header.Del("Accept-Language")

	if n := e.count(`SELECT COUNT(*) FROM transfers`); n != 0 {
		t.Fatalf("refused transfers wrote %d rows", n)
	}
	if e.balance(mei).Available != 1000 {
		t.Fatalf("balance moved: %+v", e.balance(mei))
	}

	// A good one moves the money, once for the same form.
	b.get("/wallet/transfer")
	form := url.Values{"to": {"@Lei"}, "amount": {"2.50"}, "memo": {"tea"}, keyField: {b.formKey()}}
	res = b.post("/wallet/transfer", cloneValues(form))
	if res.status != http.StatusSeeOther {
		t.Fatalf("transfer: %d\n%s", res.status, res.body)
	}
	b.post("/wallet/transfer", cloneValues(form))
	b.follow(res).has(t, "¥2.50 sent to @lei.", "Sent to @lei", "tea")
	if n := e.count(`SELECT COUNT(*) FROM transfers`); n != 1 {
		t.Fatalf("%d transfers, want 1", n)
	}
}

func TestWalletTransferAbovePINThreshold(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	lei := e.user("lei", account.RoleUser)
	e.fund(mei, 45_000)
	b := e.browser()
	b.signIn("mei")
	b.get("/wallet/transfer").has(t, `name="pin"`, "Needed only for payments over ¥200.00")

	// No PIN set yet: the form says to set one.
	res := b.post("/wallet/transfer", url.Values{"to": {"lei"}, "amount": {"300"}, keyField: {b.formKey()}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("no PIN set: %d", res.status)
	}
	res.has(t, `id="e-pin">Payments over ¥200.00 need a payment PIN, and you have not set one yet.`, `value="300"`)

	// Set one through the PIN page.
	b.get("/me")
	res = b.post("/me/pin", url.Values{"pin": {"123456"}, "pin_again": {"123457"}, "password": {"password-mei"}})
	res.has(t, `id="e-pin_again"`)
	res = b.post("/me/pin", url.Values{"pin": {"123456"}, "pin_again": {"123456"}, "password": {"wrong-password"}})
	res.has(t, `id="e-password"`)
	res = b.post("/me/pin", url.Values{"pin": {"123456"}, "pin_again": {"123456"}, "password": {"password-mei"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("setting the PIN: %d\n%s", res.status, res.body)
	}

	b.get("/wallet/transfer")
	res = b.post("/wallet/transfer", url.Values{"to": {"lei"}, "amount": {"300"}, keyField: {b.formKey()}})
	res.has(t, `id="e-pin">This payment needs your 6-digit payment PIN.`)
	res = b.post("/wallet/transfer", url.Values{"to": {"lei"}, "amount": {"300"}, "pin": {"000000"}, keyField: {b.formKey()}})
	res.has(t, `id="e-pin">That payment PIN is wrong; 4 tries left before it locks.`)
	if n := e.count(`SELECT COUNT(*) FROM transfers`); n != 0 {
		t.Fatalf("refused transfers wrote %d rows", n)
	}
	// Under the threshold, no PIN is asked.
	res = b.post("/wallet/transfer", url.Values{"to": {"lei"}, "amount": {"200"}, keyField: {b.formKey()}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("¥200 without a PIN: %d\n%s", res.status, res.body)
	}
	b.get("/wallet/transfer")
	res = b.post("/wallet/transfer", url.Values{"to": {"lei"}, "amount": {"201"}, "pin": {"123456"}, keyField: {b.formKey()}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("with the PIN: %d\n%s", res.status, res.body)
	}
	if got := e.balance(lei).Available; got != 40_100 {
		t.Fatalf("lei has %d", got)
	}
	// The PIN is not kept in the form's idempotency record.
	if n := e.count(`SELECT COUNT(*) FROM idempotency_keys WHERE body LIKE '%123456%' OR request_hash LIKE '%123456%'`); n != 0 {
		t.Fatalf("the PIN is stored")
	}
}

var (
	requestPath = regexp.MustCompile(`^/wallet/requests/([0-9A-Za-z]+)$`)
	payLink     = regexp.MustCompile(`value="(http://[^"]+/pay/([0-9A-Z]{12}))"`)
)

func TestWalletCollectAndPay(t *testing.T) {
	e := newEnv(t)
	e.user("lei", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	e.fund(mei, 10_000)

	payee := e.browser()
	payee.signIn("lei")
	payee.get("/wallet/collect").has(t, `name="amount"`, `name="single_use" value="1" checked`)
	res := payee.post("/wallet/collect", url.Values{"amount": {"0"}, "memo": {"dinner"}})
	res.has(t, `id="e-amount"`, `value="dinner"`)
	res = payee.post("/wallet/collect", url.Values{"amount": {"30"}, "memo": {"dinner"}})
	m := requestPath.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil {
		t.Fatalf("collect: %d %q", res.status, res.header.Get("Location"))
	}
	id := m[1]
	page := payee.follow(res)
	page.has(t, "¥30.00", "dinner", `<svg class="qr"`, "<path", "Cancel this request")
	page.lacks(t, "style=")
	link := payLink.FindStringSubmatch(page.body)
	if link == nil || !strings.HasPrefix(link[1], e.srv.URL+"/pay/") {
		t.Fatalf("no absolute pay link on the request page:\n%s", page.body)
	}
	code := link[2]

	payer := e.browser()
	payer.signIn("mei")
	// Someone else's request has no management page for them, but its pay page.
	if res := payer.get("/wallet/requests/" + id); res.status != http.StatusNotFound {
		t.Fatalf("another user's request page: %d", res.status)
	}
	if res := payer.post("/wallet/requests/"+id+"/cancel", url.Values{}); res.status != http.StatusNotFound {
		t.Fatalf("cancelling another user's request: %d", res.status)
	}
	payer.get("/pay/"+code).has(t, "@lei asks you for", "¥30.00", "dinner", "Pay ¥30.00")
	form := url.Values{keyField: {payer.formKey()}}
	res = payer.post("/pay/"+code, cloneValues(form))
	if res.status != http.StatusSeeOther {
		t.Fatalf("pay: %d\n%s", res.status, res.body)
	}
	payer.post("/pay/"+code, cloneValues(form))
	payer.follow(res).has(t, "You paid ¥30.00 to @lei.", "Paid @lei&#39;s payment request")
	if n := e.count(`SELECT COUNT(*) FROM payment_request_payments`); n != 1 {
		t.Fatalf("%d payments, want 1", n)
	}
	if got := e.balance(mei).Available; got != 7000 {
		t.Fatalf("mei has %d", got)
	}
	// Open to more payments (it was not single-use), with one counted.
	payer.get("/pay/"+code).has(t, "Pay ¥30.00")
	payee.get("/wallet/requests/"+id).has(t, "1 paid", `<svg class="qr"`)

	// A single-use request closes once paid, for the payer and the payee.
	payee.get("/wallet/collect")
	res = payee.post("/wallet/collect", url.Values{"amount": {"4"}, "single_use": {"1"}})
	once := requestPath.FindStringSubmatch(res.header.Get("Location"))[1]
	pr, _, _ := e.deps.Wallet.PaymentRequestByRef(context.Background(), e.db, once)
	payer.get("/pay/" + pr.Code)
	payer.follow(payer.post("/pay/"+pr.Code, url.Values{keyField: {payer.formKey()}}))
	payer.get("/pay/"+pr.Code).shows(t, "This payment request has already been paid.").lacks(t, "Pay ¥4.00")
	payee.get("/wallet/requests/"+once).shows(t, "Paid", "1 paid").lacks(t, `<svg class="qr"`)
	// Unknown codes are a friendly 404.
	if res := payer.get("/pay/NOSUCHCODE00"); res.status != http.StatusNotFound {
		t.Fatalf("unknown code: %d", res.status)
	}

	// The payee may cancel an open request; then nobody can pay it.
	payee.get("/wallet/collect")
	res = payee.post("/wallet/collect", url.Values{"amount": {"5"}})
	id2 := requestPath.FindStringSubmatch(res.header.Get("Location"))[1]
	payee.follow(res)
	res = payee.post("/wallet/requests/"+id2+"/cancel", url.Values{})
	payee.follow(res).has(t, "Payment request cancelled", "Cancelled")
	pr, _, _ = e.deps.Wallet.PaymentRequestByRef(context.Background(), e.db, id2)
	payer.get("/pay/"+pr.Code).has(t, "@lei cancelled this payment request.")
}

// shows and hides are has and lacks that return the page, to chain.
func (p page) shows(t testing.TB, want ...string) page { t.Helper(); p.has(t, want...); return p }
func (p page) hides(t testing.TB, unwanted ...string) page {
	t.Helper()
	p.lacks(t, unwanted...)
	return p
}

func TestWalletWithdrawShowsPending(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	e.fund(mei, 10_000)
	b := e.browser()
	b.signIn("mei")
	b.get("/wallet/withdraw").has(t, "held in your wallet until the bank confirms", "No withdrawals yet.")
	res := b.post("/wallet/withdraw", url.Values{"amount": {"40"}, "destination": {"x"}, keyField: {b.formKey()}})
	res.has(t, `id="e-destination"`, `value="40"`)
	res = b.post("/wallet/withdraw", url.Values{"amount": {"40"}, "destination": {"ICBC 6222 0000 1234"}, keyField: {b.formKey()}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d\n%s", res.status, res.body)
	}
	b.follow(res).has(t, "¥40.00 is on its way", "ICBC 6222 0000 1234", "On its way", "held until the bank confirms")
	if w := e.balance(mei); w.Available != 6000 || w.Held != 4000 {
		t.Fatalf("balance after withdrawing: %+v", w)
	}
	b.get("/wallet").has(t, "Withdrawals on their way", `<p class="stat held">¥40.00</p>`, "Withdrawal requested")

	wds, err := e.deps.Wallet.Withdrawals(context.Background(), mei.ID, 5)
	if err != nil || len(wds) != 1 {
		t.Fatalf("withdrawals: %v %v", wds, err)
	}
	err = e.db.Tx(context.Background(), func(tx *store.Tx) error {
		_, err := e.deps.Wallet.SettleWithdrawal(context.Background(), tx, "", wds[0].ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.get("/wallet/withdraw").shows(t, "Paid out").lacks(t, `<span class="pill warn">On its way</span>`)
	b.get("/wallet").lacks(t, "Withdrawals on their way")
}

func TestWalletHistoryFilters(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	lei := e.user("lei", account.RoleUser)
	e.fund(mei, 10_000)
	e.fund(lei, 10_000)
	e.send(mei, "lei", 500)
	e.send(lei, "mei", 700)
	b := e.browser()
	b.signIn("mei")

	const topup, sent, received = "<strong>Top-up</strong>", "<strong>Sent to @lei</strong>", "<strong>Received from @lei</strong>"
	b.get("/wallet/history").has(t, topup, sent, received, "-¥5.00", "&#43;¥7.00")
	b.get("/wallet/history?kind=sent").shows(t, sent).hides(t, topup).lacks(t, received)
	b.get("/wallet/history?kind=topup").shows(t, topup).hides(t, sent).lacks(t, received)
	b.get("/wallet/history?direction=in").shows(t, topup, received).lacks(t, sent)
	b.get("/wallet/history?kind=sent&direction=in").shows(t, "Nothing matches these filters.").lacks(t, sent)
	tomorrow := e.db.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	today := e.db.Now().Format(time.DateOnly)
	b.get("/wallet/history?from="+tomorrow).shows(t, "Nothing matches these filters.").lacks(t, topup)
	b.get("/wallet/history?from="+today+"&to="+today).has(t, topup, sent, received)
	res := b.get("/wallet/history?from=" + today + "&to=2001-01-01")
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a backwards range: %d", res.status)
	}
	res.has(t, `id="e-to"`)
	if res := b.get("/wallet/history?kind=bogus"); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown kind: %d", res.status)
	}

	// Pages of 20, newest first; "Older" keeps the filter.
	for range 21 {
		e.send(mei, "lei", 1)
	}
	first := b.get("/wallet/history?kind=sent")
	if n := strings.Count(first.body, sent); n != 20 {
		t.Fatalf("first page: %d rows", n)
	}
	older := regexp.MustCompile(`href="(/wallet/history\?[^"]*cursor=[^"]+)"`).FindStringSubmatch(first.body)
	if older == nil {
		t.Fatalf("no Older link:\n%s", first.body)
	}
	next := b.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	if n := strings.Count(next.body, sent); n != 2 {
		t.Fatalf("second page: %d rows, want 2", n)
	}
	next.shows(t, "-¥5.00").lacks(t, topup)
}

func TestWalletStatementCSV(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	e.user("lei", account.RoleUser)
	e.fund(mei, 10_000)
	e.send(mei, "lei", 1250)
	b := e.browser()
	b.signIn("mei")
	today := e.db.Now().Format(time.DateOnly)
	hist := b.get("/wallet/history")
	link := "/wallet/statement.csv?from=" + e.db.Now().AddDate(0, 0, -29).Format(time.DateOnly) + "&amp;to=" + today
	hist.has(t, `href="`+link+`"`)

	res := b.get("/wallet/statement.csv?from=" + today + "&to=" + today)
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("statement: %d %v", res.status, res.header)
	}
	if !strings.HasPrefix(res.body, "\uFEFF") {
		t.Fatalf("no byte order mark: %q", res.body[:10])
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(res.body, "\uFEFF")), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Booked at (UTC),What happened,Other party") {
		t.Fatalf("statement lines:\n%s", res.body)
	}
	if !strings.Contains(lines[1], "Top-up") || !strings.Contains(lines[1], ",100.00,") ||
		!strings.Contains(lines[2], "Sent to @lei,@lei") || !strings.Contains(lines[2], ",-12.50,") {
		t.Fatalf("statement rows:\n%s", res.body)
	}
	// Chinese headers for a Chinese reader.
	b.header.Set("Accept-Language", "zh-CN")
	if res := b.get("/wallet/statement.csv?from=" + today + "&to=" + today); !strings.Contains(res.body, "记账时间（UTC）") {
		t.Fatalf("Chinese statement:\n%s", res.body)
	}
	b.header.Del("Accept-Language")
	// A bad range is refused with the reason, before any CSV.
	if res := b.get("/wallet/statement.csv?from=2025-01-01&to=2026-06-01"); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.body, "at most 366 days") {
		t.Fatalf("too long a range: %d\n%s", res.status, res.body)
	}
	if res := b.get("/wallet/statement.csv?from=yesterday"); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad date: %d", res.status)
	}
}

// The QR code's SVG draws exactly the encoder's modules, inside a quiet
// zone of four, at the size of its version; and the modules are a QR
// code's: finder patterns in three corners and timing patterns between.
func TestWalletQRCode(t *testing.T) {
	text := "https://quanzi.example/pay/0123456789AB"
	svg, err := qrSVG(text, `QR "code"`)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if strings.Contains(s, "style") || !strings.Contains(s, `aria-label="QR &#34;code&#34;"`) {
		t.Fatalf("svg: %s", s)
	}
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	size := code.Size
	if (size-17)%4 != 0 || size < 21 {
		t.Fatalf("%d modules a side is no QR version", size)
	}
	n := size + 2*qrQuiet
	if !strings.Contains(s, `viewBox="0 0 `+strconv.Itoa(n)+` `+strconv.Itoa(n)+`"`) {
		t.Fatalf("viewBox is not %d with the quiet zone: %s", n, s[:200])
	}
	dark := make([][]bool, n)
	for i := range dark {
		dark[i] = make([]bool, n)
	}
	for _, m := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(s, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		if m[3] != m[4] || x+w > n || y >= n {
			t.Fatalf("bad run %q", m[0])
		}
		for i := x; i < x+w; i++ {
			if dark[y][i] {
				t.Fatalf("module %d,%d drawn twice", i, y)
			}
			dark[y][i] = true
		}
	}
	at := func(x, y int) bool { return dark[y+qrQuiet][x+qrQuiet] }
	for y := -qrQuiet; y < size+qrQuiet; y++ {
		for x := -qrQuiet; x < size+qrQuiet; x++ {
			inside := x >= 0 && y >= 0 && x < size && y < size
			switch {
			case !inside && at(x, y):
				t.Fatalf("dark module %d,%d in the quiet zone", x, y)
			case inside && at(x, y) != code.Black(x, y):
				t.Fatalf("module %d,%d differs from the encoder", x, y)
			}
		}
	}
	finder := func(ox, oy int) {
		for y := 0; y < 7; y++ {
			for x := 0; x < 7; x++ {
				ring := max(abs(x-3), abs(y-3))
				if want := ring != 2; at(ox+x, oy+y) != want {
					t.Fatalf("finder at %d,%d: module %d,%d", ox, oy, x, y)
				}
			}
		}
	}
	finder(0, 0)
	finder(size-7, 0)
	finder(0, size-7)
	for i := 8; i < size-8; i++ {
		if at(i, 6) != (i%2 == 0) || at(6, i) != (i%2 == 0) {
			t.Fatalf("timing pattern broken at %d", i)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Every sentence the wallet's Go code shows has its Chinese (p.T calls,
// which the shared test's pattern does not see).
func TestWalletTranslations(t *testing.T) {
	sentence := regexp.MustCompile(`\.T\(\s*("(?:[^"\\]|\\.)*")`)
	files, _ := filepath.Glob("wallet*.go")
	for _, n := range files {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range sentence.FindAllStringSubmatch(string(b), -1) {
			s, _ := strconv.Unquote(m[1])
			if _, ok := zhText[s]; !ok {
				t.Errorf("%s: %q has no Chinese", n, s)
			}
		}
	}
}

// Movements are told in words, with the sign and the balance they moved.
func TestWalletDescribe(t *testing.T) {
	p := &Page{Lang: en}
	for _, c := range []struct {
		tx               wallet.Transaction
		what, link, sign string
		in               bool
	}{
		{wallet.Transaction{Kind: "tip", Memo: "tip on post P1", Amount: -500, Counterparty: "lei"}, "Tip to @lei", "/p/P1", "-¥5.00", false},
		{wallet.Transaction{Kind: "tip", Memo: "tip on post P1", Held: 450, Counterparty: "mei"}, "Tip from @mei (held for now)", "/p/P1", "+¥4.50", true},
		{wallet.Transaction{Kind: "tip_release", Memo: "tip on post P1 released", Amount: 450, Held: -450}, "Held tip released to you", "/p/P1", "+¥4.50", true},
		{wallet.Transaction{Kind: "withdrawal_hold", Memo: "withdrawal to ICBC 1234", Amount: -900, Held: 900}, "Withdrawal requested (held until the bank confirms)", "", "-¥9.00", false},
		{wallet.Transaction{Kind: "withdrawal_settle", Memo: "withdrawal to ICBC 1234", Held: -900}, "Withdrawal paid out", "", "-¥9.00", false},
		{wallet.Transaction{Kind: "payment", Memo: "dinner", Amount: 3000, Counterparty: "mei"}, "@mei paid your payment request", "", "+¥30.00", true},
	} {
		row := describeTx(p, c.tx)
		if row.What != c.what || row.Link != c.link || row.Signed() != c.sign || row.In != c.in {
			t.Errorf("%+v: %q %q %q %v", c.tx, row.What, row.Link, row.Signed(), row.In)
		}
	}
	if row := describeTx(p, wallet.Transaction{Kind: "withdrawal_hold", Memo: "withdrawal to ICBC 1234", Amount: -900, Held: 900}); row.Detail != "ICBC 1234" ||
		row.Effect != "Available -¥9.00 · Held +¥9.00" {
		t.Errorf("a withdrawal's hold: %q %q", row.Detail, row.Effect)
	}
}
