package web

import (
	"context"
	"net/http"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// pinThreshold: a tip above it asks for the payment PIN, as every payment
// does.
const pinThreshold = wallet.PINThreshold

type tipPageData struct {
	postView
}

// tipPage is the tip form on a page of its own: where the tip button goes
// without JavaScript, and where a refused tip is shown again.
func (a *App) tipPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.showTip(w, r, p, http.StatusOK)
}

func (a *App) showTip(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	p.Nav = "circles"
	v, err := a.loadPost(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	p.Title = p.T("Tip %s", displayName(v.Post.Author.DisplayName, v.Post.Author.Handle))
	return a.render(w, r, p, status, "post_tip", tipPageData{v})
}

// tipPost sends a tip: the amount chosen (a preset or one typed in), the
// payment PIN above the threshold, and the form's idempotency key, so a
// form sent twice tips once.
func (a *App) tipPost(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	id := r.PathValue("id")
	field := "amount"
	if f.Get("amount") == "custom" {
		field = "custom"
	}
	amount, ok := amountField(p, f, field)
	if !ok && field == "amount" {
		f.Errors["amount"] = p.T("Choose an amount.")
	}
	pin := f.Get("pin")
	// The PIN is checked here and kept out of the form's idempotency hash,
	// which is stored.
	r.PostForm.Del("pin")
	f.Values.Del("pin")
	if ok && amount > pinThreshold {
		if err := a.Accounts.CheckPIN(r.Context(), p.User().ID, pin); err != nil {
			if err := p.formError(f, err, "pin"); err != nil {
				return err
			}
			ok = false
		}
	}
	if ok {
		req := post.TipRequest{Amount: amount, Anonymous: f.Get("anonymous") != ""}
		to, _, err := a.once(r, p, func(ctx context.Context, tx *store.Tx) (string, error) {
			_, err := a.Posts.SendTip(ctx, tx, p.Actor(), id, req)
			return postPath(id), err
		})
		if err == nil {
			return a.redirect(w, r, to, p.T("You tipped %s.", money(amount)))
		}
		if e := errs.As(err); e.Code == errs.NotFound && e.Field == "" {
			return err
		}
		if err := p.formError(f, err, "amount", "anonymous"); err != nil {
			return err
		}
		if msg := f.Errors["amount"]; msg != "" && field == "custom" {
			delete(f.Errors, "amount")
			f.Errors["custom"] = msg
		}
	}
	p.Form = f
	return a.showTip(w, r, p, http.StatusUnprocessableEntity)
}
