package api

import (
	"net/http"
	"strconv"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/moderation"
)

func (s *Server) moderationRoutes() {
	if s.Moderation == nil {
		return
	}
	s.sanctionRoutes()
	add := func(method, path, summary string, acc access, body, resp any, status int, h handlerFunc, query ...param) {
		s.add(route{Method: method, Path: path, Tag: "moderation", Access: acc, Summary: summary, Body: body, Response: resp, Status: status, Query: query,
			handle: s.released("circles", h)})
	}
	add("GET", "/api/v1/circles/{id}/review", "A circle's review queue: held posts waiting for a decision, oldest first, with how many wait and how long the oldest has (its moderators and platform reviewers).",
		signedIn, nil, moderation.Queue{}, 0, s.reviewQueue, pageParams...)
	add("GET", "/api/v1/review", "The whole platform's review queue, oldest first (reviewers and admins).",
		reviewer, nil, moderation.Queue{}, 0, s.reviewQueue, pageParams...)
	add("POST", "/api/v1/review/{item}/approve", "Approve a held item: the post is published and its author told (the circle's moderators or platform reviewers; not one's own).",
		signedIn, moderation.Decision{}, moderation.Item{}, 0, s.decideReview(true))
	add("POST", "/api/v1/review/{item}/reject", "Reject a held item with a reason code and an optional note to its author; the post stays hidden.",
		signedIn, moderation.Decision{}, moderation.Item{}, 0, s.decideReview(false))
	for _, t := range []struct{ kind, path, what string }{
		{moderation.KindPost, "/api/v1/posts/{id}/reports", "a post"},
		{moderation.KindComment, "/api/v1/comments/{id}/reports", "a comment"},
		{moderation.KindUser, "/api/v1/users/{handle}/reports", "a user (by handle)"},
		{moderation.KindCircle, "/api/v1/circles/{id}/reports", "a circle"},
	} {
		add("POST", t.path, "Report "+t.what+" you can see, with a reason code and an optional note. Reports on one thing collapse into one case for its moderators; you report a thing once.",
			signedIn, moderation.ReportRequest{}, moderation.Receipt{}, http.StatusCreated, s.report(t.kind))
	}
	add("GET", "/api/v1/circles/{id}/reports", "Open reports on a circle's posts and comments, one case per reported thing with counts by reason, oldest first (its moderators and platform reviewers).",
		signedIn, nil, moderation.Cases{}, 0, s.openCases, pageParams...)
	add("GET", "/api/v1/reports", "Every open report case, users and circles included (reviewers and admins).",
		reviewer, nil, moderation.Cases{}, 0, s.openCases, pageParams...)
	add("POST", "/api/v1/reports/{case}/uphold", "Uphold a report case: a post or comment is removed, its author told, and it counts against their standing (audited). action also warns, mutes (hours) or bans (days, 0 for good) the author; a reported user needs warn or suspend (days, 0 until lifted; admins), a reported circle close (admins). One decision: told, audited, appealed once.",
		signedIn, moderation.Decision{}, moderation.Case{}, 0, s.decideCase(true))
	add("POST", "/api/v1/circles/{id}/strikes", "Give a member a strike with a reason (the circle's moderators): it counts against their credit standing for a year, and mute_hours (up to 720) keeps them from posting and commenting here meanwhile. They are told why; audited.",
		signedIn, moderation.StrikeRequest{}, moderation.Strike{}, http.StatusCreated, s.strike)
	// Not behind the rollout, and open without a session: a suspended
	// account appeals with the appeal_token its refused sign-in gave.
	s.add(route{Method: "POST", Path: "/api/v1/appeals", Tag: "moderation", Access: public, Status: http.StatusCreated,
		Summary: "Appeal a decision about you, once, within 30 days: a rejected post (kind review, id the review item), an upheld report (report, the case; with any action taken with it) or a strike — a warning, mute, ban, suspension or closed circle (strike). Signed in, or with the appeal_token a suspended account's refused sign-in gave. Someone other than the first decider settles it.",
		Body:    moderation.AppealRequest{}, Response: moderation.Appeal{}, handle: s.fileAppeal})
	add("GET", "/api/v1/appeals", "Appeals waiting for a decision, oldest first (reviewers and admins).",
		reviewer, nil, list[moderation.Appeal]{}, 0, s.pendingAppeals, pageParams...)
	add("POST", "/api/v1/appeals/{id}/grant", "Grant an appeal: the decision is undone (the post published or restored, the report or strike no longer counts, a mute lifted). Not by the appellant or the first decider; audited.",
		reviewer, noteRequest{}, moderation.Appeal{}, 0, s.decideAppeal(true))
	add("POST", "/api/v1/appeals/{id}/deny", "Deny an appeal: the decision stands (audited).",
		reviewer, noteRequest{}, moderation.Appeal{}, 0, s.decideAppeal(false))
	add("GET", "/api/v1/circles/{id}/transparency", "What moderation did in a circle over the last days (default 30): reports received, cases upheld and dismissed, items removed, posts held, approved and rejected, and the median time to a decision — for anyone who may see the circle.",
		public, nil, moderation.Transparency{}, 0, s.transparency, param{"days", "1 to 365 (default 30)"})
	add("POST", "/api/v1/reports/{case}/dismiss", "Dismiss a report case: nothing is removed (audited).",
		signedIn, moderation.Decision{}, moderation.Case{}, 0, s.decideCase(false))
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q, err := s.Moderation.Queue(r.Context(), s.signedInActor(r), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) decideReview(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var d moderation.Decision
		if err := decodeOptional(w, r, &d); err != nil {
			return err
		}
		it, err := s.Moderation.Decide(r.Context(), s.signedInActor(r), r.PathValue("item"), approve, d)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, it)
		return nil
	}
}

func (s *Server) report(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req moderation.ReportRequest
		if err := decode(w, r, &req); err != nil {
			return err
		}
		ref := r.PathValue("id")
		if kind == moderation.KindUser {
			ref = r.PathValue("handle")
		}
		out, err := s.Moderation.Report(r.Context(), s.signedInActor(r), kind, ref, req)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, out)
		return nil
	}
}

func (s *Server) openCases(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.Moderation.OpenCases(r.Context(), s.signedInActor(r), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) decideCase(uphold bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var d moderation.Decision
		if err := decodeOptional(w, r, &d); err != nil {
			return err
		}
		k, err := s.Moderation.DecideCase(r.Context(), s.signedInActor(r), r.PathValue("case"), uphold, d)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, k)
		return nil
	}
}

func (s *Server) transparency(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	days := 30
	if v := r.URL.Query().Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil {
			return errs.Field("days", "days is a whole number from 1 to 365.")
		}
	}
	t, err := s.Moderation.Transparency(r.Context(), a, r.PathValue("id"), days)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) strike(w http.ResponseWriter, r *http.Request) error {
	var req moderation.StrikeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st, err := s.Moderation.IssueStrike(r.Context(), s.signedInActor(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

type noteRequest struct {
	Note string `json:"note"` // optional words to the appellant, up to 500 characters
}

func (s *Server) fileAppeal(w http.ResponseWriter, r *http.Request) error {
	var req moderation.AppealRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	a := circle.Actor{Anonymous: true}
	if req.AppealToken == "" {
		var err error
		if a, err = s.actor(r); err != nil {
			return err
		}
	}
	x, err := s.Moderation.FileAppeal(r.Context(), a, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, x)
	return nil
}

func (s *Server) pendingAppeals(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Moderation.PendingAppeals(r.Context(), s.signedInActor(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) decideAppeal(grant bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req noteRequest
		if err := decodeOptional(w, r, &req); err != nil {
			return err
		}
		x, err := s.Moderation.DecideAppeal(r.Context(), s.signedInActor(r), r.PathValue("id"), grant, req.Note)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, x)
		return nil
	}
}
