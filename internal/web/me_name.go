package web

import "net/http"

func (a *App) profileRoutes() {
	a.handle("POST /me/name", options{access: signedIn}, a.setDisplayName)
}

// setDisplayName changes the name the reader is shown by. A refused name
// comes back next to its field, as typed.
func (a *App) setDisplayName(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	u, err := a.Accounts.SetDisplayName(r.Context(), p.User().ID, f.Get("display_name"))
	if err == nil {
		return a.redirect(w, r, "/me", p.T("People now see you as %s.", u.DisplayName))
	}
	if err := p.formError(f, explain(p, err), "display_name"); err != nil {
		return err
	}
	return a.renderMe(w, r, p, http.StatusUnprocessableEntity, "name")
}
