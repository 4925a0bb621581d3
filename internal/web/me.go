package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/errs"
)

func (a *App) meRoutes() {
	a.handle("GET /me", options{access: signedIn}, a.mePage)
	a.handle("POST /me/verifications", options{access: signedIn}, a.claim)
	a.handle("POST /me/verifications/{id}/withdraw", options{access: signedIn}, a.withdrawClaim)
	a.handle("POST /me/pin", options{access: signedIn}, a.setPIN)
	a.handle("POST /me/password", options{access: signedIn}, a.changePassword)
	a.handle("GET /me/credit", options{access: signedIn}, a.creditPage)
}

// claimView is a claim as the profile shows it.
type claimView struct {
	ID, Kind, Label, Value string
	// State is verified, pending, rejected, revoked or expired.
	State     string
	Reason    string
	CreatedAt time.Time
	ExpiresAt *time.Time
}

// kindOption is one choice of the claim form's kind.
type kindOption struct{ Value, Label, Hint string }

type mePage struct {
	User     account.User
	Claims   []claimView
	Verified []claimView
	Kinds    []kindOption
	HasPIN   bool
	Credit   *credit.Score
	// Section names the form being shown again ("claim", "pin", "password").
	Section string
}

// kindLabel names a kind of verified attribute in the page's language.
func kindLabel(p *Page, kind string) string {
	switch kind {
	case account.KindGender:
		return p.T("Gender")
	case account.KindStudent:
		return p.T("Student")
	case account.KindEmployment:
		return p.T("Employment")
	case account.KindIdentityLevel:
		return p.T("Identity level")
	case account.KindBirthYear:
		return p.T("Birth year")
	}
	return kind
}

func kindHint(p *Page, kind string) string {
	switch kind {
	case account.KindGender:
		return p.T("female, male or other")
	case account.KindStudent:
		return p.T("your school or university")
	case account.KindEmployment:
		return p.T("your employer or occupation")
	case account.KindIdentityLevel:
		return p.T("1 real name, 2 identity document checked, 3 document and face checked")
	case account.KindBirthYear:
		return p.T("the year, such as 2001")
	}
	return ""
}

// attrValue shows an attribute's value in words.
func attrValue(p *Page, kind string, v any) string {
	s := strings.TrimSpace(toString(v))
	switch kind {
	case account.KindGender:
		switch s {
		case "female":
			return p.T("female")
		case "male":
			return p.T("male")
		case "other":
			return p.T("other")
		}
	case account.KindIdentityLevel:
		switch s {
		case "1":
			return p.T("level 1 — real name")
		case "2":
			return p.T("level 2 — identity document checked")
		case "3":
			return p.T("level 3 — document and face checked")
		}
	}
	return s
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func claimViews(p *Page, claims []account.Verification) (all, verified []claimView) {
	for _, c := range claims {
		v := claimView{ID: c.ID, Kind: c.Kind, Label: kindLabel(p, c.Kind), Value: attrValue(p, c.Kind, c.Value),
			State: c.Status, Reason: c.Reason, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt}
		switch {
		case c.Verified:
			v.State = "verified"
			verified = append(verified, v)
		case c.Status == account.VerApproved:
			v.State = "expired"
		}
		all = append(all, v)
	}
	return all, verified
}

func (a *App) mePage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.renderMe(w, r, p, http.StatusOK, "")
}

func (a *App) renderMe(w http.ResponseWriter, r *http.Request, p *Page, status int, section string) error {
	ctx := r.Context()
	u := p.User()
	claims, err := a.Accounts.Claims(ctx, u.ID)
	if err != nil {
		return err
	}
	hasPIN, err := a.Accounts.HasPIN(ctx, u.ID)
	if err != nil {
		return err
	}
	d := mePage{User: u, HasPIN: hasPIN, Credit: p.Session.Credit, Section: section}
	d.Claims, d.Verified = claimViews(p, claims)
	for _, k := range account.Kinds {
		d.Kinds = append(d.Kinds, kindOption{Value: k, Label: kindLabel(p, k), Hint: kindHint(p, k)})
	}
	p.Nav, p.Title = "me", p.T("Me")
	return a.render(w, r, p, status, "me", d)
}

// claimValue turns what the form says into the JSON value a kind takes:
// numbers for the identity level and the birth year, text otherwise (a
// gender may be written in Chinese too).
func claimValue(kind, v string) json.RawMessage {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	switch kind {
	case account.KindIdentityLevel, account.KindBirthYear:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return json.RawMessage(strconv.FormatInt(n, 10))
		}
	case account.KindGender:
		switch strings.ToLower(v) {
		case "女", "女性":
			v = "female"
		case "男", "男性":
			v = "male"
		case "其他":
			v = "other"
		default:
			v = strings.ToLower(v)
		}
	}
	b, _ := json.Marshal(v)
	return b
}

func (a *App) claim(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	kind := f.Get("kind")
	if !slices.Contains(account.Kinds, kind) {
		f.Errors["kind"] = p.T("Choose what you want verified.")
		return a.renderMe(w, r, p, http.StatusUnprocessableEntity, "claim")
	}
	_, err := a.Accounts.ClaimAttribute(r.Context(), p.User(), account.Claim{Kind: kind, Value: claimValue(kind, f.Get("value")), Evidence: f.Get("evidence")})
	if err == nil {
		return a.redirect(w, r, "/me#verified", p.T("Your claim is waiting for a reviewer. We will show the decision here."))
	}
	if err := p.formError(f, explain(p, err), "kind", "value", "evidence"); err != nil {
		return err
	}
	return a.renderMe(w, r, p, http.StatusUnprocessableEntity, "claim")
}

func (a *App) withdrawClaim(w http.ResponseWriter, r *http.Request, p *Page) error {
	if _, err := a.Accounts.Withdraw(r.Context(), p.User(), r.PathValue("id")); err != nil {
		return explain(p, err)
	}
	return a.redirect(w, r, "/me#verified", p.T("Your claim was withdrawn."))
}

func (a *App) setPIN(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	var err error
	if f.Get("pin") != f.Get("pin_again") {
		err = errs.Field("pin_again", "The two PINs differ; type the same six digits twice.")
	} else {
		err = a.Accounts.SetPIN(r.Context(), p.User(), f.Get("password"), f.Get("pin"))
	}
	if err == nil {
		return a.redirect(w, r, "/me#pin", p.T("Your payment PIN is set."))
	}
	if err := p.formError(f, explain(p, err), "pin", "pin_again", "password"); err != nil {
		return err
	}
	for _, k := range []string{"pin", "pin_again", "password"} {
		f.Values.Del(k) // secrets are never sent back
	}
	return a.renderMe(w, r, p, http.StatusUnprocessableEntity, "pin")
}

func (a *App) changePassword(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	var err error
	if f.Get("new_password") != f.Get("new_password_again") {
		err = errs.Field("new_password_again", "The two new passwords differ; type the same one twice.")
	} else {
		err = a.Accounts.ChangePassword(r.Context(), *p.Session, f.Get("current_password"), f.Get("new_password"))
	}
	if err == nil {
		return a.redirect(w, r, "/me", p.T("Your password is changed; you were signed out everywhere else."))
	}
	if e := errs.As(err); e.Field == "password" { // CheckPassword names the field it checks "password"
		c := *e
		c.Field = "new_password"
		err = &c
	}
	if err := p.formError(f, explain(p, err), "current_password", "new_password", "new_password_again"); err != nil {
		return err
	}
	for _, k := range []string{"current_password", "new_password", "new_password_again"} {
		f.Values.Del(k)
	}
	return a.renderMe(w, r, p, http.StatusUnprocessableEntity, "password")
}
