package api

import (
	"net/http"

	"github.com/quanzi/quanzi/internal/screen"
)

func (s *Server) screeningRoutes() {
	if s.Screen == nil {
		return
	}
	add := func(method, path, summary string, acc access, body, resp any, status int, h handlerFunc, query ...param) {
		s.add(route{Method: method, Path: path, Tag: "screening", Access: acc, Summary: summary, Body: body, Response: resp, Status: status, Query: query, handle: h})
	}
	circles := func(h handlerFunc) handlerFunc { return s.released("circles", h) }
	add("GET", "/api/v1/admin/screening/words", "The platform's word list, in phrase order: phrases that block, hold or flag a post or comment anywhere (reviewers and admins).",
		reviewer, nil, list[screen.Word]{}, 0, s.listWords, pageParams...)
	add("POST", "/api/v1/admin/screening/words", "List a phrase on the platform's word list with its action: block (refused with blocked_words), hold (held for review) or flag (published, and a case opened). Matching folds case, width and spacing, sees through s.p.a.m, matches Latin phrases as whole words and CJK ones anywhere. Admins; audited.",
		admin, screen.NewWord{}, screen.Word{}, http.StatusCreated, s.addWord)
	add("DELETE", "/api/v1/admin/screening/words/{id}", "Take a phrase (by its id, or the phrase itself) off the platform's word list, with an optional body {\"reason\": …}. Admins; audited.",
		admin, nil, nil, http.StatusNoContent, s.deleteWord("id", ""))
	add("GET", "/api/v1/circles/{id}/screening/words", "A circle's own word list, which applies there on top of the platform's (its moderators and the platform's reviewers).",
		signedIn, nil, list[screen.Word]{}, 0, circles(s.listWords), pageParams...)
	add("POST", "/api/v1/circles/{id}/screening/words", "List a phrase on a circle's word list with its action: block, hold or flag (its moderators and platform admins; audited; optional body {\"reason\": …}).",
		signedIn, screen.NewWord{}, screen.Word{}, http.StatusCreated, circles(s.addWord))
	add("DELETE", "/api/v1/circles/{id}/screening/words/{word}", "Take a phrase (by its id, or the phrase itself) off a circle's word list (its moderators and platform admins; audited; optional body {\"reason\": …}).",
		signedIn, nil, nil, http.StatusNoContent, circles(s.deleteWord("word", "id")))
	add("GET", "/api/v1/admin/screening/hashes", "The picture block list, newest first: perceptual hashes; a picture within 10 bits of one is refused with blocked_image (reviewers and admins).",
		reviewer, nil, list[screen.BlockedHash]{}, 0, s.listHashes, pageParams...)
	add("POST", "/api/v1/admin/screening/hashes", "Put a picture on the block list, by media_id (any uploaded picture, also one from a removed post) or by hash (16 hex digits), with a label saying what it is. Admins; audited.",
		admin, screen.NewHash{}, screen.BlockedHash{}, http.StatusCreated, s.addHash)
	add("DELETE", "/api/v1/admin/screening/hashes/{id}", "Take a picture off the block list, with an optional body {\"reason\": …}. Admins; audited.",
		admin, nil, nil, http.StatusNoContent, s.deleteHash)
}

func (s *Server) listWords(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Screen.Words(r.Context(), s.signedInActor(r), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) addWord(w http.ResponseWriter, r *http.Request) error {
	var req screen.NewWord
	if err := decode(w, r, &req); err != nil {
		return err
	}
	word, err := s.Screen.AddWord(r.Context(), s.signedInActor(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, word)
	return nil
}

// deleteWord takes a phrase off a list: the word is the path's
// wordParam, the circle its circleParam ("" for the platform's list).
func (s *Server) deleteWord(wordParam, circleParam string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req reasonRequest
		if err := decodeOptional(w, r, &req); err != nil {
			return err
		}
		circleRef := ""
		if circleParam != "" {
			circleRef = r.PathValue(circleParam)
		}
		if err := s.Screen.DeleteWord(r.Context(), s.signedInActor(r), circleRef, r.PathValue(wordParam), req.Reason); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) listHashes(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Screen.Hashes(r.Context(), s.signedInActor(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) addHash(w http.ResponseWriter, r *http.Request) error {
	var req screen.NewHash
	if err := decode(w, r, &req); err != nil {
		return err
	}
	h, err := s.Screen.AddHash(r.Context(), s.signedInActor(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h)
	return nil
}

func (s *Server) deleteHash(w http.ResponseWriter, r *http.Request) error {
	var req reasonRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	if err := s.Screen.DeleteHash(r.Context(), s.signedInActor(r), r.PathValue("id"), req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
