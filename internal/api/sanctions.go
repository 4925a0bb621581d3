package api

import (
	"net/http"

	"github.com/quanzi/quanzi/internal/moderation"
)

// sanctionRoutes are the platform admins' sanctions on accounts and
// circles. They are not behind the circles rollout: an account is
// suspended, and a circle closed, whoever has circles.
func (s *Server) sanctionRoutes() {
	add := func(method, path, summary string, body any, h handlerFunc) {
		s.add(route{Method: method, Path: path, Tag: "admin", Access: admin, Summary: summary, Body: body, Response: moderation.Strike{}, handle: h})
	}
	add("POST", "/api/v1/admin/users/{handle}/suspend", "Suspend an account (admins) with a reason, a note and days (1–365; 0 until lifted): its sessions end at once, signing in is refused with the reason, the end and an appeal token, and its wallet can receive but not send. Its posts stay. Told, appealable once, audited; the answer is the suspension (a strike of kind suspension).",
		moderation.SuspendRequest{}, s.suspend)
	add("POST", "/api/v1/admin/users/{handle}/unsuspend", "Lift an account's suspension (admins); the user is told, and it is audited.",
		noteRequest{}, s.unsuspend)
	add("POST", "/api/v1/admin/circles/{id}/close", "Close a circle (admins) with a reason and a note: until reopened only the platform's staff find it, it leaves the directory, search, feeds and notifications, and nobody joins, posts, comments or tips there. Tips still held on its posts release as usual. Its owner and moderators are told; the owner may appeal once; audited.",
		moderation.CloseRequest{}, s.closeCircle)
	add("POST", "/api/v1/admin/circles/{id}/reopen", "Reopen a circle the platform closed (admins): everything comes back; its owner and moderators are told; audited.",
		noteRequest{}, s.reopenCircle)
}

func (s *Server) suspend(w http.ResponseWriter, r *http.Request) error {
	var req moderation.SuspendRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st, err := s.Moderation.Suspend(r.Context(), s.signedInActor(r), r.PathValue("handle"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) unsuspend(w http.ResponseWriter, r *http.Request) error {
	var req noteRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	st, err := s.Moderation.Unsuspend(r.Context(), s.signedInActor(r), r.PathValue("handle"), req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) closeCircle(w http.ResponseWriter, r *http.Request) error {
	var req moderation.CloseRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st, err := s.Moderation.CloseCircle(r.Context(), s.signedInActor(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) reopenCircle(w http.ResponseWriter, r *http.Request) error {
	var req noteRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	st, err := s.Moderation.ReopenCircle(r.Context(), s.signedInActor(r), r.PathValue("id"), req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
