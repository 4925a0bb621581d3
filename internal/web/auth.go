package web

import (
	"net/http"
	"time"

	"github.com/quanzi/quanzi/internal/account"
)

func (a *App) authRoutes() {
	a.handle("GET /signup", options{}, a.signupPage)
	a.handle("POST /signup", options{}, a.signup)
	a.handle("GET /login", options{}, a.loginPage)
	a.handle("POST /login", options{}, a.login)
	a.handle("POST /logout", options{}, a.logout)
	a.handle("POST /language", options{}, a.setLanguage)
}

func (a *App) signupPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	if p.Session != nil {
		return a.redirect(w, r, "/", "")
	}
	p.Title = p.T("Create your account")
	return a.render(w, r, p, http.StatusOK, "signup", nil)
}

func (a *App) signup(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	p.Form = f
	_, err := a.Accounts.Register(r.Context(), account.NewUser{
		Handle: f.Get("handle"), Password: f.Get("password"), DisplayName: f.Get("display_name")})
	if err == nil {
		var token string
		token, _, err = a.Accounts.Login(r.Context(), a.loginRequest(r, f))
		if err == nil {
			a.signIn(w, r, token)
			return a.redirect(w, r, "/me", p.T("Welcome to quanzi! Verify your details to join more circles."))
		}
	}
	if err := p.formError(f, err, "handle", "password", "display_name"); err != nil {
		return err
	}
	p.Title = p.T("Create your account")
	return a.render(w, r, p, http.StatusUnprocessableEntity, "signup", nil)
}

func (a *App) loginPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	next := localNext(r.URL.Query().Get("next"))
	if p.Session != nil {
		return a.redirect(w, r, next, "")
	}
	p.Title = p.T("Sign in")
	p.Form = &Form{Values: map[string][]string{"next": {next}}}
	return a.render(w, r, p, http.StatusOK, "login", nil)
}

func (a *App) loginRequest(r *http.Request, f *Form) account.LoginRequest {
	client := r.RemoteAddr
	if a.ClientAddr != nil {
		client = a.ClientAddr(r)
	}
	return account.LoginRequest{Handle: f.Get("handle"), Password: f.Get("password"), Client: client, UserAgent: r.UserAgent()}
}

func (a *App) login(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	token, _, err := a.Accounts.Login(r.Context(), a.loginRequest(r, f))
	if err == nil {
		a.signIn(w, r, token)
		return a.redirect(w, r, localNext(f.Get("next")), "")
	}
	p.Form = f
	if err := p.formError(f, err, "handle", "password"); err != nil {
		return err
	}
	f.Values.Del("password") // never sent back
	p.Title = p.T("Sign in")
	return a.render(w, r, p, http.StatusUnauthorized, "login", nil)
}

func (a *App) logout(w http.ResponseWriter, r *http.Request, p *Page) error {
	if p.Session != nil {
		if err := a.Accounts.Logout(r.Context(), *p.Session); err != nil {
			return err
		}
	}
	clearCookie(w, r, sessionCookieName(r))
	return a.redirect(w, r, "/", p.Lang.T("You have signed out."))
}

// setLanguage is the language switch: a form, since it changes something
// (a cookie), and then back to the page it was on.
func (a *App) setLanguage(w http.ResponseWriter, r *http.Request, p *Page) error {
	l := parseLang(r.PostFormValue("lang"), p.Lang)
	setCookie(w, r, langCookie, l.code(), 365*24*time.Hour)
	return a.redirect(w, r, localNext(r.PostFormValue("next")), "")
}
