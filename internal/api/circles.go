package api

import (
	"net/http"
	"strings"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
)

func (s *Server) circleRoutes() {
	if s.Circles == nil {
		return
	}
	add := func(method, path, summary string, acc access, body, resp any, status int, h handlerFunc, query ...param) {
		s.add(route{Method: method, Path: path, Tag: "circles", Access: acc, Summary: summary, Body: body, Response: resp, Status: status, Query: query,
			handle: s.released("circles", h)})
	}
	add("GET", "/api/v1/circle-categories", "The category catalogue, in order, with the number of open circles in each.",
		public, nil, list[circle.Category]{}, 0, s.circleCategories)
	add("PUT", "/api/v1/admin/circle-categories/{key}", "Add or change a category (admins).",
		admin, categoryRequest{}, circle.Category{}, 0, s.putCategory)
	add("GET", "/api/v1/policy-presets", "Ready-made rules (verified women only, credit at least N …) with their CEL text.",
		public, nil, list[presetInfo]{}, 0, s.policyPresets)
	add("POST", "/api/v1/policies/preview", "Check a rule and see how many people it would shut out, with examples, before creating a circle with it.",
		signedIn, previewRequest{}, circle.Preview{}, 0, s.previewRule)
	add("POST", "/api/v1/circles/{id}/policies/preview", "See how many of the circle's members, and of everyone, a rule would shut out before saving it (owner and admins).",
		signedIn, previewRequest{}, circle.Preview{}, 0, s.previewRule)
	add("GET", "/api/v1/circles", "Search the directory of open circles (closed circles are never listed or counted).",
		public, nil, list[circle.Listing]{}, 0, s.searchCircles,
		append([]param{{"q", "Words to find, Chinese or English."}, {"category", "A category key."},
			{"sort", "relevance (the default with q), members (the default without), new or trending."}}, pageParams...)...)
	add("POST", "/api/v1/circles", "Create a circle; the caller becomes its owner. Rules are CEL expressions, checked when saved.",
		signedIn, circle.Settings{}, circle.Circle{}, http.StatusCreated, s.createCircle)
	add("GET", "/api/v1/circles/{id}", "One circle (by id or slug) with the caller's role and rights in it. A closed circle is not found by non-members.",
		public, nil, circle.Circle{}, 0, s.getCircle)
	add("PATCH", "/api/v1/circles/{id}", "Change a circle's settings (owner and admins); only the fields sent change.",
		signedIn, circle.Settings{}, circle.Circle{}, 0, s.updateCircle)
	add("POST", "/api/v1/circles/{id}/archive", "Archive the circle (owner): out of the directory, read-only for members.",
		signedIn, nil, circle.Circle{}, 0, s.archiveCircle(true))
	add("POST", "/api/v1/circles/{id}/unarchive", "Bring an archived circle back (owner).",
		signedIn, nil, circle.Circle{}, 0, s.archiveCircle(false))
	add("POST", "/api/v1/circles/{id}/owner", "Hand the circle to another member (owner); the old owner stays on as an admin.",
		signedIn, handleRequest{}, circle.Circle{}, 0, s.transferCircle)
	add("POST", "/api/v1/circles/{id}/members", "Join: at once where the join rule holds, or as a request where the circle (or the invite) needs approval. Closed circles need invite_code.",
		signedIn, circle.JoinRequest{}, circle.Joined{}, http.StatusCreated, s.joinCircle)
	add("GET", "/api/v1/circles/{id}/members", "The members, in the order they joined.",
		public, nil, list[circle.Member]{}, 0, s.circleMembers, pageParams...)
	add("PUT", "/api/v1/circles/{id}/members/{handle}", "Change a member's role: member, moderator or admin (admins and the owner, below their own role).",
		signedIn, roleRequest{}, circle.Member{}, 0, s.setMemberRole)
	add("DELETE", "/api/v1/circles/{id}/members/{handle}", "Leave the circle (your own handle), or remove a member below your role (moderators and up).",
		signedIn, nil, nil, http.StatusNoContent, s.removeMember)
	add("POST", "/api/v1/circles/{id}/invites", "Make an invite code (with optional max_uses, expires_at, requires_approval).",
		signedIn, circle.InviteSettings{}, circle.Invite{}, http.StatusCreated, s.createInvite)
	add("GET", "/api/v1/circles/{id}/invites", "Invite codes with who made and used them: all for moderators, one's own for members.",
		signedIn, nil, list[circle.Invite]{}, 0, s.listInvites)
	add("POST", "/api/v1/circles/{id}/invites/{invite}/revoke", "Withdraw an invite code (its maker or a moderator).",
		signedIn, nil, circle.Invite{}, 0, s.revokeInvite)
	add("GET", "/api/v1/circles/{id}/join-requests", "Join requests, oldest first (moderators).",
		signedIn, nil, list[circle.Request]{}, 0, s.joinRequests, append([]param{{"status", "pending (default), approved, denied or withdrawn"}}, pageParams...)...)
	add("POST", "/api/v1/circles/{id}/join-requests/{rid}/approve", "Approve a join request (moderators).",
		signedIn, reasonRequest{}, circle.Request{}, 0, s.decideOne(true))
	add("POST", "/api/v1/circles/{id}/join-requests/{rid}/deny", "Deny a join request with a reason the applicant sees (moderators).",
		signedIn, denyRequest{}, circle.Request{}, 0, s.decideOne(false))
	add("POST", "/api/v1/circles/{id}/join-requests/decide", "Decide many join requests at once — approve, deny, or deny and ban — all or none.",
		signedIn, circle.Decision{}, list[circle.Request]{}, 0, s.decideMany)
	add("POST", "/api/v1/circles/{id}/bans", "Ban a user: out at once, on every path, and unable to rejoin (even by invite) until the ban ends.",
		signedIn, circle.BanRequest{}, circle.Ban{}, http.StatusCreated, s.banMember)
	add("GET", "/api/v1/circles/{id}/bans", "Bans in force, newest first (moderators).",
		signedIn, nil, list[circle.Ban]{}, 0, s.listBans)
	add("DELETE", "/api/v1/circles/{id}/bans/{handle}", "Lift a ban (moderators).",
		signedIn, nil, nil, http.StatusNoContent, s.unban)
}

// released serves h only to callers for whom the feature flag key is on
// (404 feature_unavailable otherwise); without a flag service, always.
func (s *Server) released(key string, h handlerFunc) handlerFunc {
	if s.Flags == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		if err := s.Flags.Require(r.Context(), key, a.PolicyUser()); err != nil {
			return err
		}
		return h(w, r)
	}
}

// actor is the caller of a route that anyone may call: signed in if the
// request carries a token (a bad one is refused), anonymous if not.
func (s *Server) actor(r *http.Request) (circle.Actor, error) {
	if r.Header.Get("Authorization") == "" && webToken(r) == "" {
		return circle.Actor{Anonymous: true}, nil
	}
	sess, err := s.session(r)
	if err != nil {
		return circle.Actor{}, err
	}
	return circle.ActorOf(sess), nil
}

// signedInActor is the caller of a route that needs one (authorize has
// checked the session).
func (s *Server) signedInActor(r *http.Request) circle.Actor {
	sess, _ := s.session(r)
	return circle.ActorOf(sess)
}

type categoryRequest struct {
	Name     string `json:"name"`
	NameZH   string `json:"name_zh"`
	Position int    `json:"position"`
	Archived bool   `json:"archived,omitempty"`
}

type presetInfo struct {
	Key     string      `json:"key"`
	Title   string      `json:"title"`
	TitleZH string      `json:"title_zh"`
	Params  []paramInfo `json:"params"`
	Example string      `json:"example"` // the rule text, with each parameter at its minimum
}

type paramInfo struct {
	Name string `json:"name"`
	Min  int64  `json:"min"`
	Max  int64  `json:"max"`
}

type previewRequest struct {
	Action string `json:"action"`
	Rule   string `json:"rule"`
}

func (s *Server) policyPresets(w http.ResponseWriter, r *http.Request) error {
	var out []presetInfo
	for _, p := range policy.Presets() {
		args := make([]int64, len(p.Params))
		params := []paramInfo{}
		for i, prm := range p.Params {
			args[i] = prm.Min
			params = append(params, paramInfo{prm.Name, prm.Min, prm.Max})
		}
		ex, err := p.Expr(args...)
		if err != nil {
			return err
		}
		out = append(out, presetInfo{Key: p.Key, Title: p.Title, TitleZH: p.TitleZH, Params: params, Example: ex})
	}
	writeJSON(w, http.StatusOK, newList(out, ""))
	return nil
}

func (s *Server) previewRule(w http.ResponseWriter, r *http.Request) error {
	var req previewRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p, err := s.Circles.PreviewRule(r.Context(), s.Accounts, s.signedInActor(r), r.PathValue("id"), policy.Action(req.Action), req.Rule)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

type handleRequest struct {
	Handle string `json:"handle"`
}

type denyRequest struct {
	Reason string `json:"reason,omitempty"`
	Ban    bool   `json:"ban,omitempty"`
}

func (s *Server) circleCategories(w http.ResponseWriter, r *http.Request) error {
	cats, err := s.Circles.Categories(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(cats, ""))
	return nil
}

func (s *Server) putCategory(w http.ResponseWriter, r *http.Request) error {
	var req categoryRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.Circles.PutCategory(r.Context(), s.user(r).ID, circle.Category{Key: r.PathValue("key"), Name: req.Name, NameZH: req.NameZH}, req.Position, req.Archived)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) searchCircles(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if len(q.Get("q")) > 200 {
		return errs.Field("q", "A search is at most 200 characters.")
	}
	items, next, err := s.Circles.Search(r.Context(), circle.Query{Q: q.Get("q"), Category: q.Get("category"), Sort: q.Get("sort"), Page: p})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) createCircle(w http.ResponseWriter, r *http.Request) error {
	var set circle.Settings
	if err := decode(w, r, &set); err != nil {
		return err
	}
	c, err := s.Circles.Create(r.Context(), s.signedInActor(r), set)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) getCircle(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	c, err := s.Circles.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateCircle(w http.ResponseWriter, r *http.Request) error {
	var set circle.Settings
	if err := decode(w, r, &set); err != nil {
		return err
	}
	c, err := s.Circles.Update(r.Context(), s.signedInActor(r), r.PathValue("id"), set)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) archiveCircle(archived bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.Circles.SetArchived(r.Context(), s.signedInActor(r), r.PathValue("id"), archived)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func (s *Server) transferCircle(w http.ResponseWriter, r *http.Request) error {
	var req handleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.Circles.TransferOwnership(r.Context(), s.signedInActor(r), r.PathValue("id"), req.Handle)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) joinCircle(w http.ResponseWriter, r *http.Request) error {
	var req circle.JoinRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	j, err := s.Circles.Join(r.Context(), s.signedInActor(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if j.Status != circle.RoleMember {
		status = http.StatusAccepted // a request, waiting for a moderator
	}
	writeJSON(w, status, j)
	return nil
}

func (s *Server) circleMembers(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Circles.Members(r.Context(), a, r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) setMemberRole(w http.ResponseWriter, r *http.Request) error {
	var req roleRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := s.Circles.SetRole(r.Context(), s.signedInActor(r), r.PathValue("id"), r.PathValue("handle"), strings.TrimSpace(req.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.Circles.Remove(r.Context(), s.signedInActor(r), r.PathValue("id"), r.PathValue("handle"), r.URL.Query().Get("reason")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) error {
	var set circle.InviteSettings
	if err := decodeOptional(w, r, &set); err != nil {
		return err
	}
	inv, err := s.Circles.CreateInvite(r.Context(), s.signedInActor(r), r.PathValue("id"), set)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inv)
	return nil
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request) error {
	items, err := s.Circles.Invites(r.Context(), s.signedInActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
	return nil
}

func (s *Server) revokeInvite(w http.ResponseWriter, r *http.Request) error {
	inv, err := s.Circles.RevokeInvite(r.Context(), s.signedInActor(r), r.PathValue("id"), r.PathValue("invite"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inv)
	return nil
}

func (s *Server) joinRequests(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Circles.Requests(r.Context(), s.signedInActor(r), r.PathValue("id"), r.URL.Query().Get("status"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) decideOne(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req denyRequest
		var err error
		if approve {
			var ar reasonRequest
			err = decodeOptional(w, r, &ar)
			req.Reason = ar.Reason
		} else {
			err = decodeOptional(w, r, &req)
		}
		if err != nil {
			return err
		}
		out, err := s.Circles.Decide(r.Context(), s.signedInActor(r), r.PathValue("id"),
			circle.Decision{IDs: []string{r.PathValue("rid")}, Approve: approve, Reason: req.Reason, Ban: req.Ban})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out[0])
		return nil
	}
}

func (s *Server) decideMany(w http.ResponseWriter, r *http.Request) error {
	var d circle.Decision
	if err := decode(w, r, &d); err != nil {
		return err
	}
	out, err := s.Circles.Decide(r.Context(), s.signedInActor(r), r.PathValue("id"), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(out, ""))
	return nil
}

func (s *Server) banMember(w http.ResponseWriter, r *http.Request) error {
	var req circle.BanRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	b, err := s.Circles.Ban(r.Context(), s.signedInActor(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, b)
	return nil
}

func (s *Server) listBans(w http.ResponseWriter, r *http.Request) error {
	items, err := s.Circles.Bans(r.Context(), s.signedInActor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
	return nil
}

func (s *Server) unban(w http.ResponseWriter, r *http.Request) error {
	if err := s.Circles.Unban(r.Context(), s.signedInActor(r), r.PathValue("id"), r.PathValue("handle")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
