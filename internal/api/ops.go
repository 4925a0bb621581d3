package api

import (
	"context"
	"net/http"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

// addRoutes lists every route the API serves. Each resource file adds its
// own; the OpenAPI document is built from the same list.
func (s *Server) addRoutes() {
	s.opsRoutes()
	s.accountRoutes()
	s.verificationRoutes()
	s.adminUserRoutes()
	s.auditRoutes()
	s.walletRoutes()
	s.withdrawalRoutes()
	s.collectRoutes()
	s.statementRoutes()
	s.circleRoutes()
	s.postRoutes()
	s.mediaRoutes()
	s.flagRoutes()
	s.socialRoutes()
	s.notificationRoutes()
	s.moderationRoutes()
	s.screeningRoutes()
}

func (s *Server) opsRoutes() {
	s.add(route{Method: "GET", Path: "/healthz", Tag: "operations", Summary: "The process is up.", Response: healthResponse{}, handle: s.healthz})
	s.add(route{Method: "GET", Path: "/readyz", Tag: "operations", Summary: "The process can serve: the database answers (503 otherwise).", Response: healthResponse{}, handle: s.readyz})
	s.add(route{Method: "GET", Path: "/metrics", Tag: "operations", Raw: true,
		Summary: "Prometheus metrics in the text exposition format: requests and latency by route and status, database pools, Go runtime.",
		handle:  func(w http.ResponseWriter, r *http.Request) error { s.metrics.handler().ServeHTTP(w, r); return nil }})
	s.add(route{Method: "GET", Path: "/api/openapi.json", Tag: "operations", Raw: true,
		Summary: "This API's OpenAPI 3.1 document.", handle: s.openapi})
	s.add(route{Method: "GET", Path: "/api/problems", Tag: "operations",
		Summary: "Every error code with its HTTP status and title.", Response: map[string][]problemInfo{}, handle: s.problemList})
	s.add(route{Method: "GET", Path: "/api/problems/{code}", Tag: "operations",
		Summary: "What an error code means: the problem type URI that every error's \"type\" points to.", Response: problemInfo{}, handle: s.problemDoc})
}

type healthResponse struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, healthResponse{Status: "ok", Version: s.Version})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		return &errs.Error{Code: errs.Unavailable, Message: "The database does not answer.", RetryAfter: 5 * time.Second, Err: err}
	}
	writeJSON(w, http.StatusOK, healthResponse{Status: "ready", Version: s.Version})
	return nil
}

type problemInfo struct {
	Code   string `json:"code"`
	Status int    `json:"status"`
	Title  string `json:"title"`
}

func (s *Server) problemDoc(w http.ResponseWriter, r *http.Request) error {
	code := errs.Code(r.PathValue("code"))
	info, ok := codes[code]
	if !ok {
		return errs.E(errs.NotFound, "There is no error code %q.", truncatePath(string(code)))
	}
	writeJSON(w, http.StatusOK, problemInfo{Code: string(code), Status: info.Status, Title: info.Title})
	return nil
}

func (s *Server) problemList(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"items": problemCodes()})
	return nil
}
