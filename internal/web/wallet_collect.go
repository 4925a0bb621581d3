package web

import (
	"context"
	"html/template"
	"net/http"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// Collect: a payment request, shown to the payee with a QR code of its
// pay page, and the pay page itself for whoever scans or opens it.

type collectPage struct {
	Requests []wallet.PaymentRequest
	Expiries []option
}

// requestExpiries are the lifetimes a request may be given.
var requestExpiries = map[string]time.Duration{"1h": time.Hour, "1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour}

func (a *App) collectPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Form = &Form{Values: map[string][]string{"single_use": {"1"}}, Errors: map[string]string{}}
	return a.renderCollect(w, r, p, http.StatusOK)
}

func (a *App) renderCollect(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	reqs, err := a.Wallet.PaymentRequestsOf(r.Context(), p.User().ID, 10)
	if err != nil {
		return err
	}
	p.Nav, p.Title = "wallet", p.T("Collect money")
	return a.render(w, r, p, status, "wallet_collect", collectPage{Requests: reqs, Expiries: []option{
		{"", p.T("Does not expire")}, {"1h", p.T("In an hour")}, {"1d", p.T("In a day")}, {"7d", p.T("In a week")}}})
}

func (a *App) collect(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	amount, ok := amountField(p, f, "amount")
	ok = ok && withinMax(p, f, amount, wallet.MaxTransfer)
	var expires *time.Time
	if v := f.Get("expires"); v != "" {
		d, known := requestExpiries[v]
		if !known {
			f.Errors["expires"] = p.T("Choose when the request expires from the list.")
			ok = false
		}
		at := a.DB.Now().Add(d)
		expires = &at
	}
	if !ok {
		return a.renderCollect(w, r, p, http.StatusUnprocessableEntity)
	}
	// The form's key makes a double submission show the request the
	// first one made, rather than make a second.
	req := wallet.NewPaymentRequest{Amount: amount, Memo: f.Get("memo"), SingleUse: f.Get("single_use") != "", ExpiresAt: expires}
	dest, _, err := a.once(r, p, func(ctx context.Context, tx *store.Tx) (string, error) {
		pr, err := a.Wallet.RequestPaymentIn(ctx, tx, p.User(), req)
		return "/wallet/requests/" + pr.ID, err
	})
	if err != nil {
		if err := p.formError(f, a.walletError(r.Context(), p, err, ""), "amount", "memo", "expires"); err != nil {
			return err
		}
		f.Values.Del(keyField)
		return a.renderCollect(w, r, p, http.StatusUnprocessableEntity)
	}
	return a.redirect(w, r, dest, p.T("Your payment request is ready: show the code or share the link."))
}

type requestPage struct {
	Request wallet.PaymentRequest
	Link    string
	QR      template.HTML
}

// ownRequest finds one of the user's requests; someone else's is not
// found, as if it did not exist.
func (a *App) ownRequest(r *http.Request, p *Page) (wallet.PaymentRequest, error) {
	pr, payee, err := a.Wallet.PaymentRequestByRef(r.Context(), a.DB, r.PathValue("id"))
	if err == nil && payee != p.User().ID {
		err = errs.E(errs.NotFound, "There is no payment request of yours here.")
	}
	return pr, err
}

func (a *App) requestPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	pr, err := a.ownRequest(r, p)
	if err != nil {
		return err
	}
	link := absoluteURL(r, "/pay/"+pr.Code)
	qr, err := qrSVG(link, p.T("QR code of the link to pay %s", money(pr.Amount)))
	if err != nil {
		return errs.Wrap(err, "drawing the QR code")
	}
	p.Nav, p.Title = "wallet", p.T("Payment request")
	return a.render(w, r, p, http.StatusOK, "wallet_request", requestPage{Request: pr, Link: link, QR: qr})
}

func (a *App) cancelRequest(w http.ResponseWriter, r *http.Request, p *Page) error {
	pr, err := a.ownRequest(r, p)
	if err != nil {
		return err
	}
	if _, err := a.Wallet.CancelRequest(r.Context(), p.User(), pr.ID); err != nil {
		if errs.Is(err, errs.Conflict) {
			return errs.E(errs.Conflict, "This payment request is no longer open, so there is nothing to cancel.")
		}
		return err
	}
	return a.redirect(w, r, "/wallet/requests/"+pr.ID, p.T("Payment request cancelled: nobody can pay it any more."))
}

// absoluteURL is the address of path on the site the request came to.
func absoluteURL(r *http.Request, path string) string {
	scheme := "http"
	if secureRequest(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

type payPage struct {
	Request   wallet.PaymentRequest
	Own       bool
	NeedsPIN  bool
	HasPIN    bool
	Balance   wallet.Wallet
	Threshold int64
}

// requestByRef finds the request a pay page is about, by code or id.
func (a *App) requestByRef(r *http.Request) (wallet.PaymentRequest, string, error) {
	pr, payee, err := a.Wallet.PaymentRequestByRef(r.Context(), a.DB, r.PathValue("ref"))
	if errs.Is(err, errs.NotFound) {
		err = errs.E(errs.NotFound, "There is no payment request at this link. Check that it was copied in full.")
	}
	return pr, payee, err
}

func (a *App) payPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.renderPay(w, r, p, http.StatusOK)
}

func (a *App) renderPay(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	ctx, u := r.Context(), p.User()
	pr, payee, err := a.requestByRef(r)
	if err != nil {
		return err
	}
	bal, err := a.Wallet.Balance(ctx, u.ID)
	if err != nil {
		return err
	}
	has, err := a.Accounts.HasPIN(ctx, u.ID)
	if err != nil {
		return err
	}
	p.Nav, p.Title = "wallet", p.T("Pay @%s", pr.Payee)
	return a.render(w, r, p, status, "wallet_pay", payPage{Request: pr, Own: payee == u.ID, NeedsPIN: pr.Amount > wallet.PINThreshold,
		HasPIN: has, Balance: bal, Threshold: wallet.PINThreshold})
}

func (a *App) pay(w http.ResponseWriter, r *http.Request, p *Page) error {
	ref := r.PathValue("ref")
	pr, _, err := a.requestByRef(r)
	if err != nil {
		return err
	}
	f := newForm(r)
	p.Form = f
	err = a.checkPIN(r, p, pr.Amount)
	var dest string
	if err == nil {
		dest, _, err = a.once(r, p, func(ctx context.Context, tx *store.Tx) (string, error) {
			_, err := a.Wallet.PayRequest(ctx, tx, p.User(), ref)
			return "/wallet", err
		})
	}
	if err == nil {
		return a.redirect(w, r, dest, p.T("You paid %s to @%s.", money(pr.Amount), pr.Payee))
	}
	if err := p.formError(f, a.walletError(r.Context(), p, err, pr.Payee), "pin"); err != nil {
		return err
	}
	f.Values.Del(keyField)
	return a.renderPay(w, r, p, http.StatusUnprocessableEntity)
}
