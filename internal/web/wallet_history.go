package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// Withdraw, the history with its filters, the CSV statement and the
// payment PIN.

type withdrawPage struct {
	Balance     wallet.Wallet
	Withdrawals []wallet.Withdrawal
	HasPIN      bool
	Threshold   int64
}

func (a *App) withdrawPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.renderWithdraw(w, r, p, http.StatusOK)
}

func (a *App) renderWithdraw(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	ctx, u := r.Context(), p.User()
	bal, err := a.Wallet.Balance(ctx, u.ID)
	if err != nil {
		return err
	}
	wds, err := a.Wallet.Withdrawals(ctx, u.ID, 20)
	if err != nil {
		return err
	}
	has, err := a.Accounts.HasPIN(ctx, u.ID)
	if err != nil {
		return err
	}
	p.Nav, p.Title = "wallet", p.T("Withdraw")
	return a.render(w, r, p, status, "wallet_withdraw", withdrawPage{Balance: bal, Withdrawals: wds, HasPIN: has, Threshold: wallet.PINThreshold})
}

func (a *App) withdraw(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	amount, ok := amountField(p, f, "amount")
	ok = ok && withinMax(p, f, amount, wallet.MaxWithdrawal)
	if !ok {
		return a.renderWithdraw(w, r, p, http.StatusUnprocessableEntity)
	}
	err := a.checkPIN(r, p, amount)
	var dest string
	if err == nil {
		dest, _, err = a.once(r, p, func(ctx context.Context, tx *store.Tx) (string, error) {
			_, err := a.Wallet.Withdraw(ctx, tx, p.User(), wallet.WithdrawRequest{Amount: amount, Destination: f.Get("destination")})
			return "/wallet/withdraw", err
		})
	}
	if err == nil {
		return a.redirect(w, r, dest, p.T("%s is on its way to your bank account. It stays held in your wallet until the bank confirms.", money(amount)))
	}
	if err := p.formError(f, a.walletError(r.Context(), p, err, ""), "amount", "destination", "pin"); err != nil {
		return err
	}
	f.Values.Del(keyField)
	return a.renderWithdraw(w, r, p, http.StatusUnprocessableEntity)
}

// historyKind is one choice of the history's kind filter: the entry
// kinds it covers, and the direction it implies, if any.
type historyKind struct {
	kinds []string
	dir   string
}

var historyKinds = map[string]historyKind{
	"topup":       {kinds: []string{"topup"}},
	"sent":        {kinds: []string{"transfer", "payment"}, dir: "out"},
	"received":    {kinds: []string{"transfer", "payment"}, dir: "in"},
	"tips_given":  {kinds: []string{"tip"}, dir: "out"},
	"tips_got":    {kinds: []string{"tip", "tip_release"}, dir: "in"},
	"refunds":     {kinds: []string{"tip_refund"}},
	"withdrawals": {kinds: []string{"withdrawal_hold", "withdrawal_settle", "withdrawal_reverse"}},
}

func historyKindOptions(p *Page) []option {
	return []option{
		{"", p.T("All kinds")},
		{"topup", p.T("Top-ups")},
		{"sent", p.T("Money sent")},
		{"received", p.T("Money received")},
		{"tips_given", p.T("Tips given")},
		{"tips_got", p.T("Tips received")},
		{"refunds", p.T("Tip refunds")},
		{"withdrawals", p.T("Bank withdrawals")},
	}
}

type historyPage struct {
	Kinds      []option
	Rows       []txRow
	Older      string // the next page's address, "" on the last
	Filtered   bool
	Statement  string // the CSV statement's address for the range shown
	StatementF string // its range in words
}

func (a *App) historyPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	f := &Form{Values: q, Errors: map[string]string{}}
	p.Form = f
	p.Nav, p.Title = "wallet", p.T("Wallet history")
	var filter wallet.HistoryFilter
	from, to, ok := dayRange(p, f, "from", "to")
	filter.From, filter.To = from, to
	kind, known := historyKinds[q.Get("kind")]
	if !known && q.Get("kind") != "" {
		f.Errors["kind"] = p.T("Choose a kind from the list.")
		ok = false
	}
	dir := q.Get("direction")
	if dir != "" && dir != "in" && dir != "out" {
		f.Errors["direction"] = p.T("Choose a direction from the list.")
		ok = false
	}
	data := historyPage{Kinds: historyKindOptions(p), Filtered: q.Get("kind") != "" || dir != "" || !from.IsZero() || !to.IsZero()}
	data.Statement, data.StatementF = statementLink(p, a.DB.Now(), from, to)
	if !ok {
		return a.render(w, r, p, http.StatusUnprocessableEntity, "wallet_history", data)
	}
	filter.Kinds, filter.Direction = kind.kinds, kind.dir
	if dir != "" {
		if filter.Direction != "" && filter.Direction != dir {
			// "Money sent" that came in: nothing is both.
			return a.render(w, r, p, http.StatusOK, "wallet_history", data)
		}
		filter.Direction = dir
	}
	pg, err := store.ParsePage(q.Get("cursor"), "")
	if err != nil {
		return err
	}
	txs, next, err := a.Wallet.FilteredHistory(r.Context(), p.User().ID, filter, pg)
	if err != nil {
		return err
	}
	data.Rows = txRows(p, txs)
	if next != "" {
		older := url.Values{}
		for _, k := range []string{"kind", "direction", "from", "to"} {
			if v := q.Get(k); v != "" {
				older.Set(k, v)
			}
		}
		older.Set("cursor", next)
		data.Older = "/wallet/history?" + older.Encode()
	}
	return a.render(w, r, p, http.StatusOK, "wallet_history", data)
}

// statementLink is the address of the CSV statement for the days from
// to to (exclusive), or for the last 30 days when the range is open, and
// that range in words.
func statementLink(p *Page, now time.Time, from, to time.Time) (string, string) {
	if to.IsZero() {
		to = now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	}
	if from.IsZero() || to.Sub(from) > wallet.MaxStatementDays*24*time.Hour {
		from = to.AddDate(0, 0, -30)
	}
	last := to.AddDate(0, 0, -1)
	v := url.Values{"from": {from.Format(time.DateOnly)}, "to": {last.Format(time.DateOnly)}}
	return "/wallet/statement.csv?" + v.Encode(), p.T("%s to %s", from.Format(time.DateOnly), last.Format(time.DateOnly))
}

// statement sends the CSV statement of the days from..to (both
// included): UTF-8 with a byte order mark, so that Excel reads Chinese
// right.
func (a *App) statement(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	f := &Form{Values: q, Errors: map[string]string{}}
	from, to, ok := dayRange(p, f, "from", "to")
	if ok && (from.IsZero() || to.IsZero()) {
		f.Errors["from"] = p.T("Say which days the statement covers: from and to, like 2026-01-01.")
		ok = false
	}
	if ok {
		if err := wallet.CheckStatementRange(from, to); err != nil {
			return err
		}
	}
	if !ok {
		for _, name := range []string{"from", "to"} {
			if msg := f.Errors[name]; msg != "" {
				return &errs.Error{Code: errs.Invalid, Field: name, Message: msg} // already in the reader's language
			}
		}
	}
	u := p.User()
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="quanzi-%s-%s-%s.csv"`, u.Handle, q.Get("from"), q.Get("to")))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	cw.Write([]string{p.T("Booked at (UTC)"), p.T("What happened"), p.T("Other party"), p.T("Note"), p.T("Amount (CNY)"), p.T("Held (CNY)"),
		p.T("Entry kind"), p.T("Ledger entry")})
	err := a.Wallet.Statement(r.Context(), u.ID, from, to, func(t wallet.Transaction) error {
		row := describeTx(p, t)
		who := ""
		if t.Counterparty != "" {
			who = "@" + t.Counterparty
		}
		return cw.Write([]string{t.CreatedAt.UTC().Format("2006-01-02 15:04:05"), csvCell(row.What), who, csvCell(row.Detail),
			plainYuan(t.Amount), plainYuan(t.Held), t.Kind, t.EntryID})
	})
	cw.Flush()
	if err != nil {
		a.Logger.ErrorContext(r.Context(), "writing a statement", "error", err) // the status is already sent
	}
	return nil
}

// plainYuan writes minor units as a plain decimal for a spreadsheet:
// -1250 → "-12.50".
func plainYuan(minor int64) string { return strings.Replace(money(minor), "¥", "", 1) }

// csvCell keeps text a spreadsheet would run as a formula from running.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
