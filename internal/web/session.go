package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
)

// Page is what a request's page knows: the reader's language, session and
// CSRF token, and what the handler hands the template.
type Page struct {
	Lang    lang
	Session *account.Session // nil: not signed in
	// CSRF is the token every form of this page carries (field "csrf").
	CSRF  string
	Title string
	// Nav names the navigation entry the page belongs to ("wallet" …).
	Nav   string
	Flash string
	// Unread is the signed-in user's count of unread notifications.
	Unread int64
	// Path is the request's path and query, for "come back here" links.
	Path string
	Data any
	// Form is the submitted form being shown again with its errors.
	Form *Form
	app  *App
}

// User is the signed-in user (the zero User when nobody is).
func (p *Page) User() account.User {
	if p.Session == nil {
		return account.User{}
	}
	return p.Session.User
}

// Actor is the reader as the capabilities see them.
func (p *Page) Actor() circle.Actor {
	if p.Session == nil {
		return circle.Actor{Anonymous: true}
	}
	return circle.ActorOf(*p.Session)
}

// LangTag is the page's language as an HTML lang attribute.
func (p *Page) LangTag() string { return p.Lang.tag() }

// LangCode is the page's language as the switch names it ("en", "zh").
func (p *Page) LangCode() string { return p.Lang.code() }

// T translates a sentence into the page's language (see i18n.go).
func (p *Page) T(s string, args ...any) string { return p.Lang.T(s, args...) }

// newPage reads what every page needs from the request: the session (a
// cookie that no longer signs in is cleared), the language, the one-time
// message and the CSRF token.
func (a *App) newPage(w http.ResponseWriter, r *http.Request) *Page {
	p := &Page{app: a, Path: r.URL.RequestURI()}
	p.Lang = a.language(r)
	if tok := sessionToken(r); tok != "" {
		sess, err := a.Accounts.Authenticate(r.Context(), tok)
		if err == nil {
			p.Session = &sess
		} else {
			clearCookie(w, r, sessionCookieName(r))
		}
	}
	if p.Session != nil {
		p.CSRF = csrfToken(sessionToken(r))
		if a.Notes != nil {
			p.Unread, _ = a.Notes.Unread(r.Context(), p.Session.User.ID)
		}
	} else {
		p.CSRF = csrfToken(a.anonymousSeed(w, r))
	}
	p.Flash = takeFlash(w, r)
	return p
}

// secureRequest says whether the browser reached us over HTTPS (directly
// or through a proxy that says so). Over plain HTTP only a loopback
// address is served cookies without the Secure attribute: anywhere else a
// session over plain HTTP would be readable on the wire.
func secureRequest(r *http.Request) bool {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return true
	}
	return !loopbackHost(r.Host)
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// sessionCookieName is __Host-qz where cookies are Secure, qz on plain
// loopback HTTP (a __Host- cookie must be Secure).
func sessionCookieName(r *http.Request) string {
	if secureRequest(r) {
		return account.CookieName
	}
	return account.CookieNameLoopback
}

func sessionToken(r *http.Request) string {
	if c, err := r.Cookie(sessionCookieName(r)); err == nil {
		return c.Value
	}
	return ""
}

// setCookie sets a cookie for the whole site: HttpOnly, SameSite=Lax,
// Secure but on plain loopback HTTP. maxAge 0 makes a cookie that ends
// with the browser session.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteLaxMode})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteLaxMode})
}

// signIn starts the browser's session with a token from Login.
func (a *App) signIn(w http.ResponseWriter, r *http.Request, token string) {
	setCookie(w, r, sessionCookieName(r), token, account.DefaultConfig.SessionMaxAge)
}

// CSRF: a signed-in form's token is derived from the session token (a
// one-way function of it, so the page does not reveal the session); a
// signed-out form's (sign-in, sign-up, language) from a random value in a
// cookie of its own. A cross-site page can read neither cookie, so it
// cannot produce the token.
func csrfToken(seed string) string {
	m := hmac.New(sha256.New, []byte(seed))
	m.Write([]byte("quanzi csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func csrfCookieName(r *http.Request) string {
	if secureRequest(r) {
		return "__Host-qz-csrf"
	}
	return "qz-csrf"
}

// anonymousSeed returns the signed-out CSRF seed, setting it when missing.
func (a *App) anonymousSeed(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookieName(r)); err == nil && len(c.Value) >= 20 {
		return c.Value
	}
	b := make([]byte, 24)
	rand.Read(b)
	seed := base64.RawURLEncoding.EncodeToString(b)
	setCookie(w, r, csrfCookieName(r), seed, 0)
	// The form on this very response must match what the next request
	// sends: remember the seed for the rest of this request.
	r.AddCookie(&http.Cookie{Name: csrfCookieName(r), Value: seed})
	return seed
}

// checkCSRF refuses a request that changes something unless its form
// carries this page's token and the browser does not call it cross-site.
func (a *App) checkCSRF(r *http.Request, p *Page) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return errs.E(errs.Forbidden, "This form was sent from another site, so it was not accepted.")
	}
	var got string
	if isMultipart(r) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return formReadError(p, err)
		}
	} else if err := r.ParseForm(); err != nil {
		return formReadError(p, err)
	}
	got = r.PostFormValue("csrf")
	if got == "" || !hmac.Equal([]byte(got), []byte(p.CSRF)) {
		return errs.E(errs.Forbidden, "This form has expired. Go back, reload the page and send it again.")
	}
	return nil
}

func formReadError(p *Page, err error) error {
	var mbe *http.MaxBytesError
	if asMaxBytes(err, &mbe) {
		return errs.E(errs.TooLarge, "What you sent is too large.")
	}
	return errs.E(errs.BadRequest, "The form could not be read; please send it again.")
}

// Flash messages: one sentence shown on the next page, then gone.
const flashCookie = "qz-flash"

func setFlash(w http.ResponseWriter, r *http.Request, msg string) {
	if len(msg) > 600 {
		msg = msg[:600]
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)), Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	clearCookie(w, r, flashCookie)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return ""
	}
	return string(b)
}

// localNext is where to go after signing in: a path on this site only
// (never //host or a scheme), else home.
func localNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || next[0] != '/' || len(next) > 1 && (next[1] == '/' || next[1] == '\\') || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
