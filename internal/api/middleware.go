package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

// middleware wraps h with what every response needs.
func (s *Server) middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		ctx := context.WithValue(r.Context(), stateKey, &requestState{id: id})
		r = r.WithContext(ctx)

		hdr := w.Header()
		for k, v := range securityHeaders {
			hdr[k] = v // canonical keys and shared values: nothing to allocate
		}
		hdr["X-Request-Id"] = []string{id}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			hdr["Cache-Control"] = noStore
		}

		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				slog.ErrorContext(ctx, "panic", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !rec.wrote {
					writeError(rec, r, errs.E(errs.Internal, "panic"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.observe(route, methodLabel(r.Method), rec.status, elapsed)
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			// Never the query string's secrets or any header: only what
			// identifies the request and its outcome.
			s.Logger.LogAttrs(ctx, level, "request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", elapsed),
				slog.String("client", s.clientAddr(r)),
			)
		}()
		h.ServeHTTP(rec, r)
	})
}

// securityHeaders go on every response. The API serves no HTML, so its
// policy forbids everything; the web app sets its own, strict policy (and
// the document-only headers, such as Cross-Origin-Opener-Policy and
// Permissions-Policy) for its pages.
//
// No framing is said once, by frame-ancestors: X-Frame-Options, its older
// form, goes only on the web app's pages (for browsers that predate CSP
// 2), which are the only responses there is anything to frame. An API
// response's headers fit in the smallest map (eight entries with the
// request id, Cache-Control, Content-Type and Content-Length); a ninth
// made net/http grow and copy a larger one for every request.
var securityHeaders = map[string][]string{
	"X-Content-Type-Options":       {"nosniff"},
	"Referrer-Policy":              {"strict-origin-when-cross-origin"},
	"Cross-Origin-Resource-Policy": {"same-origin"},
	"Content-Security-Policy":      {"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
}

var noStore = []string{"no-store"}

// methodLabel keeps the metrics' method label to the standard methods, so
// a client inventing methods cannot grow the series without bound.
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// recorder notes the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status = status
		r.wrote = true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (for streaming).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ClientAddr is the address login throttling counts for r (see
// clientAddr), for the web app's sign-in form.
func (s *Server) ClientAddr(r *http.Request) string { return s.clientAddr(r) }

// clientAddr is the address that login throttling counts: the peer, or the
// first address in X-Forwarded-For that is not a trusted proxy. IPv6
// addresses are reduced to their /64, which one household or device holds.
func (s *Server) clientAddr(r *http.Request) string {
	peer := parseAddr(r.RemoteAddr)
	if peer.IsValid() && s.trusted(peer) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			peer = a.Unmap()
			if !s.trusted(peer) {
				break
			}
		}
	}
	if !peer.IsValid() {
		return ""
	}
	if peer.Is6() {
		p, _ := peer.Prefix(64)
		return p.String()
	}
	return peer.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func parseAddr(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
