// Package web is quanzi's web app and admin console: pages rendered on the
// server with html/template, static assets embedded in the binary, English
// and Simplified Chinese, sessions in a cookie with a CSRF token on every
// form, and a strict Content-Security-Policy (no inline script or style).
//
// Every page reads without JavaScript; the few scripts (live
// notifications, picture previews, the tip dialog, review shortcuts) only
// add to what the HTML already does.
package web

import (
	"bytes"
	"compress/gzip"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/media"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/rollout"
	"github.com/quanzi/quanzi/internal/screen"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// Deps are the capabilities the pages call.
type Deps struct {
	DB          *store.DB
	Accounts    *account.Service
	Idempotency *idempotency.Store
	Wallet      *wallet.Service
	Circles     *circle.Service
	Posts       *post.Service
	Moderation  *moderation.Service
	Media       *media.Service
	Social      *social.Service
	Flags       *rollout.Service
	Notes       *notify.Service
	Screen      *screen.Service
	Logger      *slog.Logger
	// Status is the HTTP status for an error code (the API's table).
	Status func(errs.Code) int
	// ClientAddr is the address sign-in throttling counts for a request
	// (the API's, which knows the trusted proxies); nil: the peer.
	ClientAddr func(*http.Request) string
}

// App is the web app.
type App struct {
	Deps
	mux    *http.ServeMux
	pages  map[lang]map[string]*template.Template
	assets map[string]*asset // by name
}

// New builds the web app; it panics if its embedded templates do not
// parse, which the tests catch.
func New(d Deps) *App {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Status == nil {
		d.Status = func(errs.Code) int { return http.StatusBadRequest }
	}
	a := &App{Deps: d, mux: http.NewServeMux()}
	a.loadAssets()
	a.parseTemplates()
	a.routes()
	return a
}

// ServeHTTP serves a page. Unknown paths get the friendly 404 page.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mux.ServeHTTP(w, r)
}

// access says who may open a page.
type access int

const (
	anyone   access = iota
	signedIn        // others are sent to the sign-in page
	staff           // reviewers and admins
	adminOnly
)

// uploadTimeout is how long a form with pictures may take to arrive (the
// API's upload allows the same).
const uploadTimeout = 10 * time.Minute

// options tune one route.
type options struct {
	access access
	// released names the rollout flag the page is behind ("circles"):
	// a user outside the release sees the waiting page.
	released string
	// maxBody bounds a form's size; 0: 64 KiB.
	maxBody int64
}

// pageFunc handles one request for a page. A returned error becomes an
// error page with the error's status and its explanation.
type pageFunc func(w http.ResponseWriter, r *http.Request, p *Page) error

// handle registers a page. Requests that change something (every method
// but GET and HEAD) must carry the form's CSRF token.
func (a *App) handle(pattern string, o options, h pageFunc) {
	if o.maxBody == 0 {
		o.maxBody = 64 << 10
	}
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		p := a.newPage(w, r)
		if err := a.serve(w, r, p, o, h); err != nil {
			a.fail(w, r, p, err)
		}
	})
}

func (a *App) serve(w http.ResponseWriter, r *http.Request, p *Page, o options, h pageFunc) error {
	if unsafeMethod(r.Method) {
		if o.maxBody > 1<<20 {
			// A form with pictures may take minutes over a phone's link:
			// more than the server's read timeout for other requests.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
		}
		r.Body = http.MaxBytesReader(w, r.Body, o.maxBody)
		if err := a.checkCSRF(r, p); err != nil {
			return err
		}
	}
	switch {
	case o.access == anyone:
	case p.Session == nil:
		if !unsafeMethod(r.Method) {
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		return errs.E(errs.Unauthenticated, "Your session has ended; please sign in again.")
	case o.access == staff && !p.User().CanReview():
		return errs.E(errs.Forbidden, "This page is for reviewers and admins.")
	case o.access == adminOnly && p.User().Role != account.RoleAdmin:
		return errs.E(errs.Forbidden, "This page is for admins.")
	}
	if o.released != "" && a.Flags != nil {
		if err := a.Flags.Require(r.Context(), o.released, p.Actor().PolicyUser()); err != nil {
			var e *errs.Error
			if errors.As(err, &e) && e.Code == rollout.CodeUnavailable {
				p.Title = p.T("Coming soon")
				return a.render(w, r, p, http.StatusForbidden, "waiting", nil)
			}
			return err
		}
	}
	return h(w, r, p)
}

func unsafeMethod(m string) bool { return m != http.MethodGet && m != http.MethodHead }

// fail answers a request whose handler returned err with an error page:
// the error's status and explanation, or, for a fault of ours, an apology
// and the request id (the cause goes to the log).
func (a *App) fail(w http.ResponseWriter, r *http.Request, p *Page, err error) {
	e := errs.As(err)
	status := a.Status(e.Code)
	msg := p.Explain(e)
	if status >= 500 {
		a.Logger.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "code", e.Code, "error", e.Error())
		msg = p.T("Something went wrong on our side. Please try again in a moment.")
	}
	if e.Code == errs.NotFound {
		p.Title = p.T("Not found")
	} else {
		p.Title = p.T("Something is in the way")
	}
	if err := a.render(w, r, p, status, "error", errorPage{Status: status, Message: msg, Code: string(e.Code)}); err != nil {
		a.Logger.ErrorContext(r.Context(), "rendering the error page", "error", err)
		http.Error(w, p.T("Something went wrong on our side. Please try again in a moment."), http.StatusInternalServerError)
	}
}

type errorPage struct {
	Status  int
	Message string
	Code    string
}

// notFound is the friendly 404 for every path no page claims.
func (a *App) notFound(w http.ResponseWriter, r *http.Request, p *Page) error {
	return errs.E(errs.NotFound, "There is no page here. It may have moved, or the link may be mistyped.")
}

// bufPool holds the buffers pages render into before they are sent.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a page: the template name in the page's language, with
// data, after the page's headers. A template error becomes an error (the
// page is rendered in full before anything is written).
func (a *App) render(w http.ResponseWriter, r *http.Request, p *Page, status int, name string, data any) error {
	t := a.pages[p.Lang][name]
	if t == nil {
		return errs.Wrap(errors.New("no template "+name), "rendering")
	}
	p.Data = data
	if p.Title == "" {
		p.Title = "quanzi"
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		return errs.Wrap(err, "rendering %s", name)
	}
	h := w.Header()
	setPageHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	if p.Session != nil {
		h.Set("Cache-Control", "no-store") // a signed-in page is this user's alone
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Vary", "Cookie, Accept-Language, Accept-Encoding")
	h.Set("Content-Language", p.Lang.tag())
	writeMaybeGzip(w, r, status, buf.Bytes())
	return nil
}

// The pages' policy: only this origin's scripts, styles, pictures and
// connections; no inline script or style, no plug-ins, no framing.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}

// writeMaybeGzip writes body, compressed when the client takes gzip and
// it is worth it.
func writeMaybeGzip(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	if len(body) < 1024 || !acceptsGzip(r) || r.Method == http.MethodHead {
		w.WriteHeader(status)
		w.Write(body)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(status)
	zw := gzipPool.Get().(*gzip.Writer)
	zw.Reset(w)
	zw.Write(body)
	zw.Close()
	gzipPool.Put(zw)
}

// gzipPool holds writers at BestSpeed: on a feed page it takes a quarter
// of the CPU of the default level, and the page comes out about a tenth
// bigger (measured in docs/BENCHMARKS.md).
var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// redirect answers a form with 303 See Other to where the user goes next,
// with a one-time message shown there.
func (a *App) redirect(w http.ResponseWriter, r *http.Request, to, flash string) error {
	if flash != "" {
		setFlash(w, r, flash)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
