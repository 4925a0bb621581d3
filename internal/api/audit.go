package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
)

func (s *Server) auditRoutes() {
	s.add(route{Method: "GET", Path: "/api/v1/admin/audit", Tag: "admin", Access: admin,
		Summary:  "Search the audit log of moderation, verification, credit, flag and money decisions, newest first: by actor (a handle, or system), action (review.reject, or a family such as review.), target and time.",
		Response: list[audit.Entry]{}, handle: s.searchAudit, Query: append([]param{
			{"actor", "a handle, or system for the system's own acts"},
			{"action", "an action, or a family ending in a dot: report."},
			{"target_type", "user, post, comment, circle, flag …"},
			{"target_id", "the target's id (flags: their key)"},
			{"from", "RFC 3339 time: at or after"},
			{"to", "RFC 3339 time: before"},
		}, pageParams...)})
}

func (s *Server) searchAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := page(r)
	if err != nil {
		return err
	}
	f := audit.Filter{Action: strings.TrimSpace(q.Get("action")), TargetType: strings.TrimSpace(q.Get("target_type")),
		TargetID: strings.TrimSpace(q.Get("target_id"))}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.name); v != "" {
			if *t.to, err = time.Parse(time.RFC3339, v); err != nil {
				return errs.Field(t.name, "%s is a time such as 2026-11-22T08:00:00Z.", t.name)
			}
		}
	}
	switch actor := strings.TrimSpace(q.Get("actor")); actor {
	case "", "system":
		f.ActorID = actor
	default:
		h, err := account.NormalizeHandle(actor)
		if err != nil {
			return errs.Field("actor", "%q is not a handle (or system).", errs.Clip(actor, 40))
		}
		u, err := s.Accounts.UserByHandle(r.Context(), s.DB, h)
		if errs.Is(err, errs.NotFound) {
			writeJSON(w, http.StatusOK, newList([]audit.Entry{}, "")) // nobody by that name acted
			return nil
		}
		if err != nil {
			return err
		}
		f.ActorID = u.ID
	}
	entries, next, err := audit.Search(r.Context(), s.DB, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(entries, next))
	return nil
}
