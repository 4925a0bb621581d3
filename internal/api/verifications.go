package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

func (s *Server) verificationRoutes() {
	s.add(route{Method: "POST", Path: "/api/v1/me/verifications", Tag: "verifications", Access: signedIn,
		Summary: "Claim an attribute (gender, student, employment, identity_level, birth_year); it stays pending until a reviewer decides.",
		Body:    claimRequest{}, Response: account.Verification{}, Status: http.StatusCreated, handle: s.claim})
	s.add(route{Method: "GET", Path: "/api/v1/me/verifications", Tag: "verifications", Access: signedIn,
		Summary: "The caller's claims and their review status, newest first.", Response: list[account.Verification]{}, handle: s.myClaims})
	s.add(route{Method: "DELETE", Path: "/api/v1/me/verifications/{id}", Tag: "verifications", Access: signedIn,
		Summary: "Withdraw one's own pending claim.", Response: account.Verification{}, handle: s.withdrawClaim})
	s.add(route{Method: "GET", Path: "/api/v1/admin/verifications", Tag: "verifications", Access: reviewer,
		Summary:  "The verification queue, oldest first (pending unless ?status= says otherwise).",
		Query:    append([]param{{"status", "pending (default), approved, rejected, revoked, superseded or withdrawn"}}, pageParams...),
		Response: list[account.Verification]{}, handle: s.verificationQueue})
	s.add(route{Method: "GET", Path: "/api/v1/admin/verifications/{id}", Tag: "verifications", Access: reviewer,
		Summary: "One verification with its full history.", Response: verificationDetail{}, handle: s.verificationDetail})
	for _, d := range []struct {
		verb, summary string
		fn            decider
	}{
		{"approve", "Approve a pending claim, optionally until expires_at. An earlier approval of the same kind is superseded.", s.Accounts.Approve},
		{"reject", "Reject a pending claim with a reason the user sees.", s.Accounts.Reject},
		{"revoke", "Revoke an approval with a reason.", s.Accounts.Revoke},
	} {
		s.add(route{Method: "POST", Path: "/api/v1/admin/verifications/{id}/" + d.verb, Tag: "verifications", Access: reviewer,
			Summary: d.summary, Body: decisionRequest{}, Response: account.Verification{}, handle: s.decide(d.fn, d.verb == "approve")})
	}
}

// pageParams document the cursor pagination of every list.
var pageParams = []param{
	{"cursor", "The next_cursor of the previous page; omit for the first page."},
	{"limit", "Items per page, 1 to 100 (default 20)."},
}

// list is one page of a list.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"` // empty on the last page
}

func newList[T any](items []T, next string) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, NextCursor: next}
}

func page(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	return store.ParsePage(q.Get("cursor"), q.Get("limit"))
}

type claimRequest struct {
	Kind     string          `json:"kind"`
	Value    json.RawMessage `json:"value"`
	Evidence string          `json:"evidence,omitempty"`
}

func (s *Server) claim(w http.ResponseWriter, r *http.Request) error {
	var req claimRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.Accounts.ClaimAttribute(r.Context(), s.user(r), account.Claim{Kind: req.Kind, Value: req.Value, Evidence: req.Evidence})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/me/verifications")
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) myClaims(w http.ResponseWriter, r *http.Request) error {
	claims, err := s.Accounts.Claims(r.Context(), s.user(r).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(claims, ""))
	return nil
}

func (s *Server) withdrawClaim(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Accounts.Withdraw(r.Context(), s.user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) verificationQueue(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Accounts.VerificationQueue(r.Context(), s.user(r), r.URL.Query().Get("status"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

type verificationDetail struct {
	account.Verification
	History []account.VerificationEvent `json:"history"`
}

func (s *Server) verificationDetail(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Accounts.Verification(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		return err
	}
	h, err := s.Accounts.VerificationHistory(r.Context(), v.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, verificationDetail{Verification: v, History: h})
	return nil
}

type decisionRequest struct {
	Reason    string     `json:"reason,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// decider is the signature shared by Approve, Reject and Revoke.
type decider func(ctx context.Context, reviewer account.User, id string, d account.Decision) (account.Verification, error)

func (s *Server) decide(fn decider, approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req decisionRequest
		if err := decodeOptional(w, r, &req); err != nil {
			return err
		}
		if req.ExpiresAt != nil && !approve {
			return errs.Field("expires_at", "Only an approval can have an expiry.")
		}
		v, err := fn(r.Context(), s.user(r), r.PathValue("id"), account.Decision{Reason: req.Reason, ExpiresAt: req.ExpiresAt})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}
