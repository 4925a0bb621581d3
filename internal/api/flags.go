package api

import (
	"net/http"

	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/rollout"
)

func (s *Server) flagRoutes() {
	if s.Flags == nil {
		return
	}
	s.add(route{Method: "GET", Path: "/api/v1/admin/flags", Tag: "rollout", Access: admin,
		Summary: "Every feature flag.", Response: list[rollout.Flag]{}, handle: s.listFlags})
	s.add(route{Method: "GET", Path: "/api/v1/admin/flags/{key}", Tag: "rollout", Access: admin,
		Summary: "One feature flag.", Response: rollout.Flag{}, handle: s.getFlag})
	s.add(route{Method: "PUT", Path: "/api/v1/admin/flags/{key}", Tag: "rollout", Access: admin,
		Summary: "Create or replace a flag: enabled (the kill switch), percentage (0–100, sticky per user), allow and deny lists of handles, and a segment rule over user.*. Audited.",
		Body:    rollout.Settings{}, Response: rollout.Flag{}, handle: s.putFlag})
	for _, paused := range []bool{true, false} {
		verb, summary := "pause", "Pause a flag's staged release where it stands (audited)."
		if !paused {
			verb, summary = "resume", "Let a paused flag's stages go on (audited)."
		}
		s.add(route{Method: "POST", Path: "/api/v1/admin/flags/{key}/" + verb, Tag: "rollout", Access: admin,
			Summary: summary, Response: rollout.Flag{}, handle: s.pauseFlag(paused)})
	}
	s.add(route{Method: "GET", Path: "/api/v1/me/credit", Tag: "credit", Access: signedIn,
		Summary:  "The caller's credit score, recomputed now: each factor with its points, and what would raise it (an imported score, if any, is the score).",
		Response: credit.Report{}, handle: s.myCredit})
	s.add(route{Method: "GET", Path: "/api/v1/me/features", Tag: "rollout", Access: signedIn,
		Summary: "Every flag as it applies to the caller.", Response: featuresResponse{}, handle: s.myFeatures})
}

type featuresResponse struct {
	Features map[string]bool `json:"features"`
}

func (s *Server) listFlags(w http.ResponseWriter, r *http.Request) error {
	flags, err := s.Flags.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(flags, ""))
	return nil
}

func (s *Server) getFlag(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Flags.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) putFlag(w http.ResponseWriter, r *http.Request) error {
	var set rollout.Settings
	if err := decode(w, r, &set); err != nil {
		return err
	}
	f, err := s.Flags.Put(r.Context(), s.user(r).ID, r.PathValue("key"), set)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) pauseFlag(paused bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := s.Flags.SetPaused(r.Context(), s.user(r).ID, r.PathValue("key"), paused)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, f)
		return nil
	}
}

func (s *Server) myCredit(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.Accounts.CreditReport(r.Context(), s.user(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) myFeatures(w http.ResponseWriter, r *http.Request) error {
	features, err := s.Flags.Features(r.Context(), s.signedInActor(r).PolicyUser())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, featuresResponse{Features: features})
	return nil
}
