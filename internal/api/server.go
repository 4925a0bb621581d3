// Package api is quanzi's JSON HTTP API under /api/v1: one file per
// resource, problem+json errors from one code table, strict JSON decoding,
// idempotent money-moving requests, and an OpenAPI 3.1 document built from
// the same route table that registers the handlers.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

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

// Deps are the parts the API serves.
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
	Logger      *slog.Logger
	Version     string
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For header is believed.
	TrustedProxies []netip.Prefix
	// Screen keeps the word lists and the picture block list; nil: no
	// screening routes.
	Screen *screen.Service
	// Web serves every path outside /api/ and the operations endpoints
	// (the web app), inside the same middleware; nil: those paths are 404.
	Web http.Handler
}

// Server is the HTTP API.
type Server struct {
	Deps
	mux        *http.ServeMux
	routes     []route
	registered []string // every pattern given to mux, for the OpenAPI test
	metrics    *metrics
	// openapiJSON is the OpenAPI document, built once from routes.
	openapiJSON []byte
}

// access says who may call a route.
type access int

const (
	public access = iota
	signedIn
	reviewer // reviewers and admins
	admin
)

// handlerFunc handles a request; a returned error becomes problem+json.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one operation: how it is reached, who may call it, what it
// takes and returns (for the OpenAPI document), and its handler.
type route struct {
	Method, Path string
	Summary      string
	Tag          string
	Access       access
	Body         any // a value of the request body's type, nil for none
	Response     any // a value of the success response's type, nil for none
	Status       int // the success status
	Query        []param
	Idempotent   bool // accepts an Idempotency-Key header
	Raw          bool // not JSON: the response is described in Summary
	handle       handlerFunc
}

type param struct {
	Name, Description string
}

// New builds the API.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	s := &Server{Deps: d, mux: http.NewServeMux()}
	var transfers, tips batchStats
	if d.Wallet != nil {
		transfers = d.Wallet.BatchStats
	}
	if d.Posts != nil {
		tips = d.Posts.TipBatchStats
	}
	s.metrics = newMetrics(d.DB, transfers, tips)
	s.addRoutes()
	for _, rt := range s.routes {
		s.register(rt)
	}
	doc, err := json.MarshalIndent(s.openapiDoc(), "", "  ")
	if err != nil {
		panic("api: the OpenAPI document does not encode: " + err.Error())
	}
	s.openapiJSON = doc
	return s
}

func (s *Server) add(rt route) {
	if rt.Status == 0 {
		rt.Status = http.StatusOK
	}
	s.routes = append(s.routes, rt)
}

func (s *Server) register(rt route) {
	pattern := rt.Method + " " + rt.Path
	s.registered = append(s.registered, pattern)
	h := rt.handle
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := s.authorize(r, rt.Access); err != nil {
			writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// Handler returns the API with its middleware: request ids, logging,
// metrics, panic recovery and security headers.
func (s *Server) Handler() http.Handler {
	return s.middleware(http.HandlerFunc(s.dispatch))
}

// dispatch routes a request. Unknown paths and methods get problem+json
// rather than ServeMux's plain text: fallbackWriter turns the mux's own
// 404 and 405 answers into problems, so each request is routed once.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if s.Web != nil && !apiPath(r.URL.Path) {
		s.Web.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(&fallbackWriter{ResponseWriter: w, r: r}, r)
}

// apiPath says whether a path belongs to the API (and the operations
// endpoints) rather than to the web app.
func apiPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics"
}

type fallbackWriter struct {
	http.ResponseWriter
	r        *http.Request
	replaced bool
}

func (f *fallbackWriter) WriteHeader(status int) {
	if f.r.Pattern != "" || (status != http.StatusNotFound && status != http.StatusMethodNotAllowed) {
		f.ResponseWriter.WriteHeader(status)
		return
	}
	f.replaced = true
	if status == http.StatusMethodNotAllowed {
		allow := f.Header().Get("Allow")
		writeError(f.ResponseWriter, f.r, errs.E(errMethodNotAllowed, "%s is not allowed on %s; allowed: %s.", f.r.Method, truncatePath(f.r.URL.Path), allow))
		return
	}
	writeError(f.ResponseWriter, f.r, errs.E(errs.NotFound, "There is nothing at %s.", truncatePath(f.r.URL.Path)))
}

func (f *fallbackWriter) Write(b []byte) (int, error) {
	if f.replaced { // the mux's plain-text body: the problem was written instead
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}

func (f *fallbackWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }

type ctxKey int

// stateKey holds a request's *requestState.
const stateKey ctxKey = 0

// requestState is what the middleware learns about a request once and the
// handlers share: its id and its (lazily authenticated) session.
type requestState struct {
	id      string
	checked bool
	sess    account.Session
	err     error
}

// authorize checks the bearer token and the caller's role for a route.
func (s *Server) authorize(r *http.Request, a access) error {
	if a == public {
		return nil
	}
	sess, err := s.session(r)
	if err != nil {
		return err
	}
	switch {
	case a == reviewer && !sess.User.CanReview():
		return errs.E(errs.Forbidden, "This needs the reviewer or admin role; you are a %s.", sess.User.Role)
	case a == admin && sess.User.Role != account.RoleAdmin:
		return errs.E(errs.Forbidden, "This needs the admin role; you are a %s.", sess.User.Role)
	}
	return nil
}

// session authenticates the request once and remembers the answer.
func (s *Server) session(r *http.Request) (account.Session, error) {
	holder, _ := r.Context().Value(stateKey).(*requestState)
	if holder == nil {
		holder = &requestState{}
	}
	if holder.checked {
		return holder.sess, holder.err
	}
	holder.checked = true
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	cookie := ""
	if auth == "" {
		cookie = webToken(r)
	}
	switch {
	case cookie != "":
		holder.sess, holder.err = s.Accounts.Authenticate(r.Context(), cookie)
	case auth == "":
		holder.err = errs.E(errs.Unauthenticated, "Sign in first: send the header Authorization: Bearer <token> from POST /api/v1/sessions.")
	case !ok || !strings.EqualFold(scheme, "Bearer"):
		holder.err = errs.E(errs.Unauthenticated, "The Authorization header must be \"Bearer <token>\".")
	default:
		holder.sess, holder.err = s.Accounts.Authenticate(r.Context(), strings.TrimSpace(token))
	}
	return holder.sess, holder.err
}

// webToken is the web app's session cookie, which the API accepts on
// requests that change nothing — the pictures in a page and its stream of
// notifications — so a page needs no token of its own. A request that
// changes something must carry a bearer token: a cookie arrives with
// requests other sites make, a header does not (the web app's own forms
// carry CSRF tokens instead).
func webToken(r *http.Request) string {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return ""
	}
	for _, name := range []string{account.CookieName, account.CookieNameLoopback} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// user returns the signed-in caller of a route that requires one.
func (s *Server) user(r *http.Request) account.User {
	sess, _ := s.session(r)
	return sess.User
}

func requestID(ctx context.Context) string {
	if st, _ := ctx.Value(stateKey).(*requestState); st != nil {
		return st.id
	}
	return ""
}

func truncatePath(p string) string {
	if len(p) > 100 {
		return p[:100] + "…"
	}
	return p
}
