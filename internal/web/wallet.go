package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// The wallet: balances, top-up, transfer, collect (payment requests with
// a QR code), withdraw, the history with its filters and the CSV
// statement. Money-moving forms carry an idempotency key (once.go) and
// call the wallet exactly as the API does.

func (a *App) walletRoutes() {
	in := options{access: signedIn}
	a.handle("GET /wallet", in, a.walletPage)
	a.handle("GET /wallet/topup", in, a.topupPage)
	a.handle("POST /wallet/topup", in, a.topup)
	a.handle("GET /wallet/transfer", in, a.transferPage)
	a.handle("POST /wallet/transfer", in, a.transfer)
	a.handle("GET /wallet/collect", in, a.collectPage)
	a.handle("POST /wallet/collect", in, a.collect)
	a.handle("GET /wallet/requests/{id}", in, a.requestPage)
	a.handle("POST /wallet/requests/{id}/cancel", in, a.cancelRequest)
	a.handle("GET /pay/{ref}", in, a.payPage)
	a.handle("POST /pay/{ref}", in, a.pay)
	a.handle("GET /wallet/withdraw", in, a.withdrawPage)
	a.handle("POST /wallet/withdraw", in, a.withdraw)
	a.handle("GET /wallet/history", in, a.historyPage)
	a.handle("GET /wallet/statement.csv", in, a.statement)
}

type walletPage struct {
	Balance     wallet.Wallet
	Recent      []txRow
	More        bool
	Withdrawals []wallet.Withdrawal // pending ones
	HasPIN      bool
	Threshold   int64
}

// recentCount is how many movements the wallet page shows.
const recentCount = 10

func (a *App) walletPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	ctx, u := r.Context(), p.User()
	bal, err := a.Wallet.Balance(ctx, u.ID)
	if err != nil {
		return err
	}
	txs, next, err := a.Wallet.History(ctx, u.ID, store.Page{Limit: recentCount})
	if err != nil {
		return err
	}
	wds, err := a.Wallet.Withdrawals(ctx, u.ID, 20)
	if err != nil {
		return err
	}
	var pending []wallet.Withdrawal
	for _, wd := range wds {
		if wd.Status == "pending" {
			pending = append(pending, wd)
		}
	}
	has, err := a.Accounts.HasPIN(ctx, u.ID)
	if err != nil {
		return err
	}
	p.Nav, p.Title = "wallet", p.T("Wallet")
	return a.render(w, r, p, http.StatusOK, "wallet", walletPage{Balance: bal, Recent: txRows(p, txs), More: next != "",
		Withdrawals: pending, HasPIN: has, Threshold: wallet.PINThreshold})
}

// Top-up.

type topupPage struct {
	Balance wallet.Wallet
	Sources []option
}

func topupSources(p *Page) []option {
	return []option{
		{wallet.SourceSandbox, p.T("Test bank card (sandbox)")},
		{wallet.SourceSandboxDecline, p.T("Test card the bank declines")},
		{wallet.SourceSandboxNoAnswer, p.T("Test card whose bank answers late")},
	}
}

func (a *App) topupPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.renderTopup(w, r, p, http.StatusOK)
}

func (a *App) renderTopup(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	bal, err := a.Wallet.Balance(r.Context(), p.User().ID)
	if err != nil {
		return err
	}
	p.Nav, p.Title = "wallet", p.T("Top up")
	return a.render(w, r, p, status, "wallet_topup", topupPage{Balance: bal, Sources: topupSources(p)})
}

// topup charges the funding source and books the money, as the API does:
// the gateway is asked outside any transaction, with the form's key, so a
// second submission finds the same charge; the booking runs once.
func (a *App) topup(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	amount, ok := amountField(p, f, "amount")
	ok = ok && withinMax(p, f, amount, wallet.MaxTopup)
	source := f.Get("source")
	if source == "" {
		source = wallet.SourceSandbox
	}
	if !ok {
		return a.renderTopup(w, r, p, http.StatusUnprocessableEntity)
	}
	u := p.User()
	key := ""
	if k := r.PostFormValue(keyField); k != "" {
		key = "web:" + k
	}
	charged, receipt, err := a.Wallet.ChargeTopup(r.Context(), u, wallet.TopupRequest{Amount: amount, Source: source, Key: key})
	if err == nil {
		var to string
		to, _, err = a.once(r, p, func(ctx context.Context, tx *store.Tx) (string, error) {
			_, err := a.Wallet.CompleteTopup(ctx, tx, u.ID, charged, receipt)
			return "/wallet", err
		})
		if err == nil {
			return a.redirect(w, r, to, p.T("%s added to your wallet.", money(amount)))
		}
	}
	if errs.Is(err, wallet.CodeGatewayUnavailable) {
		// Nothing is lost; the same key finds the same charge, so the
		// form keeps it for the user to send again.
		f.Error = p.T("The bank has not confirmed the charge yet. Nothing is lost: send the form again in a moment (you will not be charged twice), or the top-up completes on its own shortly.")
		return a.renderTopup(w, r, p, http.StatusServiceUnavailable)
	}
	if err := p.formError(f, a.walletError(r.Context(), p, err, ""), "amount", "source"); err != nil {
		return err
	}
	f.Values.Del(keyField) // a refused top-up keeps its key: the next try needs a new one
	return a.renderTopup(w, r, p, http.StatusUnprocessableEntity)
}

// Transfer.

type transferPage struct {
	Balance   wallet.Wallet
	HasPIN    bool
	Threshold int64
}

func (a *App) transferPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	p.Form = &Form{Values: map[string][]string{"to": {q.Get("to")}, "amount": {q.Get("amount")}, "memo": {q.Get("memo")}}, Errors: map[string]string{}}
	return a.renderTransfer(w, r, p, http.StatusOK)
}

func (a *App) renderTransfer(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	ctx, u := r.Context(), p.User()
	bal, err := a.Wallet.Balance(ctx, u.ID)
	if err != nil {
		return err
	}
	has, err := a.Accounts.HasPIN(ctx, u.ID)
	if err != nil {
		return err
	}
	p.Nav, p.Title = "wallet", p.T("Send money")
	return a.render(w, r, p, status, "wallet_transfer", transferPage{Balance: bal, HasPIN: has, Threshold: wallet.PINThreshold})
}

func (a *App) transfer(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	to := strings.TrimPrefix(strings.TrimSpace(f.Get("to")), "@")
	amount, ok := amountField(p, f, "amount")
	ok = ok && withinMax(p, f, amount, wallet.MaxTransfer)
	if to == "" {
		f.Errors["to"] = p.T("Say whom to pay: the recipient's handle is required.")
		ok = false
	}
	if !ok {
		return a.renderTransfer(w, r, p, http.StatusUnprocessableEntity)
	}
	err := a.checkPIN(r, p, amount)
	var dest string
	if err == nil {
		dest, _, err = a.once(r, p, func(ctx context.Context, tx *store.Tx) (string, error) {
			_, err := a.Wallet.Send(ctx, tx, p.User(), wallet.TransferRequest{To: to, Amount: amount, Memo: f.Get("memo")})
			return "/wallet", err
		})
	}
	if err == nil {
		return a.redirect(w, r, dest, p.T("%s sent to @%s.", money(amount), strings.ToLower(to)))
	}
	if err := p.formError(f, a.walletError(r.Context(), p, err, to), "to", "amount", "memo", "pin"); err != nil {
		return err
	}
	f.Values.Del(keyField)
	return a.renderTransfer(w, r, p, http.StatusUnprocessableEntity)
}

// withinMax refuses an amount over the most one movement may be, next
// to the amount field.
func withinMax(p *Page, f *Form, amount, max int64) bool {
	if amount > max {
		f.Errors["amount"] = p.T("That is more than the %s one payment may be.", money(max))
		return false
	}
	return true
}

// checkPIN asks for the payment PIN above the threshold, as the API's
// requirePIN does (the amount is already checked). It runs before the
// payment's transaction, so a wrong PIN counts though the payment is
// refused. The PIN then leaves the form: the form's idempotency record
// keeps a hash of the values, and a 6-digit PIN would fall to brute force.
func (a *App) checkPIN(r *http.Request, p *Page, amount int64) error {
	pin := r.PostFormValue("pin")
	r.PostForm.Del("pin")
	if amount <= wallet.PINThreshold {
		return nil
	}
	ctx, id := r.Context(), p.User().ID
	has, err := a.Accounts.HasPIN(ctx, id)
	if err != nil {
		return err
	}
	if !has {
		return &errs.Error{Code: account.CodePINRequired, Field: "pin",
			Message: p.T("Payments over %s need a payment PIN, and you have not set one yet. Set it on the Payment PIN page, then send this again.", money(wallet.PINThreshold))}
	}
	return a.Accounts.CheckPIN(ctx, id, pin)
}
