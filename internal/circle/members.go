package circle

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Member is one member of a circle.
type Member struct {
	Handle      string    `json:"handle"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	JoinedAt    time.Time `json:"joined_at"`
}

// JoinRequest asks to join: an invite code for a closed circle, and an
// answer to the circle's question where joining needs approval.
type JoinRequest struct {
	InviteCode string `json:"invite_code,omitempty"`
	Answer     string `json:"answer,omitempty"`
}

// Joined is the outcome of joining: a membership, or a request waiting
// for a moderator.
type Joined struct {
	Status  string   `json:"status"` // member or pending
	Circle  Circle   `json:"circle"`
	Request *Request `json:"request,omitempty"`
}

// Join makes the actor a member of circle ref, or files their request to
// join, as the circle's settings and rules say:
//
//   - a banned user is refused, invite or not;
//   - a closed circle needs a valid invite code (to anyone without one it
//     does not exist);
//   - the join rule must hold;
//   - where joining needs approval (the circle's setting, or the invite's),
//     a request is filed for moderators.
func (s *Service) Join(ctx context.Context, a Actor, ref string, jr JoinRequest) (Joined, error) {
	if a.Anonymous {
		return Joined{}, errs.E(errs.Unauthenticated, "Sign in to join a circle.")
	}
	answer := strings.TrimSpace(jr.Answer)
	if len([]rune(answer)) > MaxAnswer {
		return Joined{}, errs.Field("answer", "The answer may be at most %d characters.", MaxAnswer).Say("zh", "回答最多 %d 个字符。", MaxAnswer)
	}
	var out Joined
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, inv, err := s.loadForJoin(ctx, tx, a, ref, jr.InviteCode)
		if err != nil {
			return err
		}
		if err := s.mayJoin(a, v, inv != nil); err != nil {
			return err
		}
		if inv != nil {
			if err := inv.usable(tx.Now); err != nil {
				return err
			}
		}
		approval := v.JoinApproval || (inv != nil && inv.RequiresApproval)
		if approval {
			if v.JoinQuestion != "" && answer == "" {
				return errs.Field("answer", "%s asks: %s", v.Name, v.JoinQuestion).Say("zh", "%s 想知道：%s", v.Name, v.JoinQuestion)
			}
			if inv != nil {
				if err := useInvite(ctx, tx, inv, a.User.ID); err != nil {
					return err
				}
			}
			req, err := s.fileRequest(ctx, tx, a, v, inv, answer)
			if err != nil {
				return err
			}
			out = Joined{Status: RolePending, Request: &req}
		} else {
			via := "open"
			if inv != nil {
				via = "invite:" + inv.ID
			}
			if inv != nil {
				if err := useInvite(ctx, tx, inv, a.User.ID); err != nil {
					return err
				}
			}
			if err := s.addMember(ctx, tx, v.ID, a.User.ID, via); err != nil {
				return err
			}
			out.Status = RoleMember
		}
		v, err = s.loadAs(ctx, tx, a, v.ID, inv)
		if err != nil {
			return err
		}
		out.Circle = s.present(a, v)
		return nil
	})
	return out, err
}

// loadForJoin loads the circle to join. A closed circle is found only with
// one of its own invite codes; with a wrong code it does not exist.
func (s *Service) loadForJoin(ctx context.Context, tx *store.Tx, a Actor, ref, code string) (*view, *Invite, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		v, err := s.load(ctx, tx, a, ref)
		return v, nil, err
	}
	inv, err := inviteByCode(ctx, tx, code)
	if errs.Is(err, errs.NotFound) {
		// A wrong code to an open circle says so; to a closed one the circle
		// stays unknown.
		if v, lerr := s.load(ctx, tx, a, ref); lerr == nil {
			return nil, nil, notYourCode(v.Name)
		}
		return nil, nil, notFound(ref)
	}
	if err != nil {
		return nil, nil, err
	}
	v, err := s.loadAs(ctx, tx, a, ref, inv)
	if err != nil {
		return nil, nil, err
	}
	if inv.CircleID != v.ID {
		if v.Visibility == Closed && !v.member() {
			return nil, nil, notFound(ref)
		}
		return nil, nil, notYourCode(v.Name)
	}
	return v, inv, nil
}

// loadAs loads a circle for a holder of one of its invite codes, who may
// see a closed circle they are about to join.
func (s *Service) loadAs(ctx context.Context, tx *store.Tx, a Actor, ref string, inv *Invite) (*view, error) {
	v, err := s.load(ctx, tx, a, ref)
	if err == nil || inv == nil || !errs.Is(err, errs.NotFound) {
		return v, err
	}
	// load hid a closed circle; the code's holder may know of it.
	c, err := scanCircle(tx.QueryRow(ctx, `SELECT `+circleColumns+circleFrom+`WHERE c.id = $1 AND c.archived_at IS NULL AND c.shut_at IS NULL`, inv.CircleID))
	if err == store.ErrNoRows || (err == nil && c.ID != ref && c.Slug != strings.ToLower(strings.TrimSpace(ref))) {
		return nil, notFound(ref)
	}
	if err != nil {
		return nil, err
	}
	v = &view{Circle: c, role: RoleNone}
	return v, s.standing(ctx, tx, v, a.User.ID)
}

func (s *Service) addMember(ctx context.Context, tx *store.Tx, circleID, userID, via string) error {
	_, err := tx.Exec(ctx, `INSERT INTO circle_members (circle_id, user_id, role, joined_at, via) VALUES ($1, $2, 'member', $3, $4)`,
		circleID, userID, tx.Now, via)
	if errs.Is(err, errs.Conflict) {
		return errs.E(CodeAlreadyMember, "You are already a member of this circle.")
	}
	if err != nil {
		return err
	}
	if err := s.StandingChanged(ctx, tx, userID); err != nil {
		return err
	}
	if _, err = tx.Exec(ctx, `UPDATE circles SET member_count = member_count + 1 WHERE id = $1`, circleID); err != nil {
		return err
	}
	if err := s.rowChanged(ctx, tx, circleID); err != nil {
		return err
	}
	if err := bumpTrend(ctx, tx, circleID); err != nil {
		return err
	}
	return index(ctx, tx, circleID, false)
}

func (s *Service) dropMember(ctx context.Context, tx *store.Tx, circleID, userID string) (bool, error) {
	res, err := tx.Exec(ctx, `DELETE FROM circle_members WHERE circle_id = $1 AND user_id = $2`, circleID, userID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := s.StandingChanged(ctx, tx, userID); err != nil {
		return false, err
	}
	if _, err = tx.Exec(ctx, `UPDATE circles SET member_count = member_count - 1 WHERE id = $1`, circleID); err != nil {
		return false, err
	}
	if err := s.rowChanged(ctx, tx, circleID); err != nil {
		return false, err
	}
	return true, index(ctx, tx, circleID, false)
}

// target finds the member named by handle in a loaded circle.
func target(ctx context.Context, tx *store.Tx, v *view, handle string) (account.User, string, error) {
	h, err := account.NormalizeHandle(handle)
	if err != nil {
		return account.User{}, "", errs.E(errs.NotFound, "@%s is not a member of %s.", errs.Clip(handle, 40), v.Name)
	}
	var u account.User
	var role string
	err = tx.QueryRow(ctx, `SELECT u.id, u.handle, u.display_name, m.role FROM circle_members m JOIN users u ON u.id = m.user_id
		WHERE m.circle_id = $1 AND u.handle = $2`, v.ID, h).Scan(&u.ID, &u.Handle, &u.DisplayName, &role)
	if err == store.ErrNoRows {
		return account.User{}, "", errs.E(errs.NotFound, "@%s is not a member of %s.", h, v.Name)
	}
	return u, role, err
}

// Remove takes handle out of the circle: a member leaving (handle is
// themselves), or a moderator removing someone below them. The owner
// leaves only after handing the circle over.
func (s *Service) Remove(ctx context.Context, a Actor, ref, handle, reason string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if !v.member() {
			return errs.E(errs.Forbidden, "Only members of %s may remove members.", v.Name)
		}
		u, role, err := target(ctx, tx, v, handle)
		if err != nil {
			return err
		}
		self := u.ID == a.User.ID
		switch {
		case self && role == RoleOwner:
			return errs.E(errs.Forbidden, "The owner cannot leave %s; hand it to another member first (POST …/owner).", v.Name)
		case !self:
			if err := needRole(v, RoleModerator, "remove members"); err != nil {
				return err
			}
			if rank[role] >= rank[v.role] {
				return errs.E(errs.Forbidden, "You can remove only members below your own role; @%s is a %s.", u.Handle, role)
			}
		}
		if _, err := s.dropMember(ctx, tx, v.ID, u.ID); err != nil {
			return err
		}
		action := "circle.leave"
		if !self {
			action = "circle.remove"
		}
		return audit.Record(ctx, tx, a.User.ID, action, "circle", v.ID, map[string]any{"user": u.Handle, "reason": strings.TrimSpace(reason)})
	})
}

// SetRole changes a member's role. The owner names admins; admins name
// moderators and members; nobody changes their own role, and ownership
// moves only by TransferOwnership.
func (s *Service) SetRole(ctx context.Context, a Actor, ref, handle, role string) (Member, error) {
	var out Member
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if err := needRole(v, RoleAdmin, "change members' roles"); err != nil {
			return err
		}
		switch role {
		case RoleMember, RoleModerator, RoleAdmin:
		case RoleOwner:
			return errs.Field("role", "Ownership is handed over with POST /api/v1/circles/{id}/owner, not by a role change.")
		default:
			return errs.Field("role", "A role is member, moderator or admin, not %q.", errs.Clip(role, 20))
		}
		u, current, err := target(ctx, tx, v, handle)
		if err != nil {
			return err
		}
		switch {
		case u.ID == a.User.ID:
			return errs.E(errs.Forbidden, "You cannot change your own role; another admin or the owner can.")
		case rank[current] >= rank[v.role] || rank[role] >= rank[v.role]:
			return errs.E(errs.Forbidden, "As %s of %s you can set roles only below your own.", article(v.role), v.Name)
		}
		if _, err := tx.Exec(ctx, `UPDATE circle_members SET role = $1 WHERE circle_id = $2 AND user_id = $3`, role, v.ID, u.ID); err != nil {
			return err
		}
		if err := s.StandingChanged(ctx, tx, u.ID); err != nil {
			return err
		}
		out = Member{Handle: u.Handle, DisplayName: u.DisplayName, Role: role}
		tx.QueryRow(ctx, `SELECT joined_at FROM circle_members WHERE circle_id = $1 AND user_id = $2`, v.ID, u.ID).Scan(&out.JoinedAt)
		return audit.Record(ctx, tx, a.User.ID, "circle.role", "circle", v.ID, map[string]any{"user": u.Handle, "from": current, "to": role})
	})
	return out, err
}

func article(role string) string {
	if role == RoleAdmin || role == RoleOwner {
		return "an " + role
	}
	return "a " + role
}

// TransferOwnership hands the circle to another member; the old owner
// stays on as an admin.
func (s *Service) TransferOwnership(ctx context.Context, a Actor, ref, handle string) (Circle, error) {
	var out Circle
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if err := needRole(v, RoleOwner, "hand the circle over"); err != nil {
			return err
		}
		u, _, err := target(ctx, tx, v, handle)
		if err != nil {
			return err
		}
		if u.ID == a.User.ID {
			return errs.Field("handle", "You already own %s.", v.Name)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE circle_members SET role = 'admin' WHERE circle_id = $1 AND user_id = $2`, []any{v.ID, a.User.ID}},
			{`UPDATE circle_members SET role = 'owner' WHERE circle_id = $1 AND user_id = $2`, []any{v.ID, u.ID}},
			{`UPDATE circles SET owner_id = $1, updated_at = $2 WHERE id = $3`, []any{u.ID, tx.Now, v.ID}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		if err := s.StandingChanged(ctx, tx, a.User.ID, u.ID); err != nil {
			return err
		}
		return s.changed(ctx, tx, a, v.ID, "circle.transfer", map[string]any{"to": u.Handle}, &out)
	})
	return out, err
}

// Members lists a circle's members, staff first, then by joining date.
func (s *Service) Members(ctx context.Context, a Actor, ref string, p store.Page) ([]Member, string, error) {
	v, err := s.load(ctx, s.db, a, ref)
	if err != nil {
		return nil, "", err
	}
	if err := s.may(a, v, policy.View); err != nil {
		return nil, "", err
	}
	args := []any{v.ID, p.Limit + 1}
	where := ""
	at, key, ok, err := p.AfterTime()
	if err != nil {
		return nil, "", err
	}
	if ok {
		where = ` AND (m.joined_at > $3 OR (m.joined_at = $3 AND u.handle > $4))`
		args = append(args, at, key)
	}
	rows, err := s.db.Query(ctx, `SELECT u.handle, u.display_name, m.role, m.joined_at FROM circle_members m JOIN users u ON u.id = m.user_id
		WHERE m.circle_id = $1`+where+` ORDER BY m.joined_at, u.handle LIMIT $2`, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.Handle, &m.DisplayName, &m.Role, &m.JoinedAt); err != nil {
			return nil, "", err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(m Member) []string { return []string{store.Micros(m.JoinedAt), m.Handle} })
	return out, next, nil
}

// Ban is a user shut out of a circle.
type Ban struct {
	Handle    string     `json:"handle"`
	Reason    string     `json:"reason"`
	Until     *time.Time `json:"until,omitempty"` // nil: for good
	BannedBy  string     `json:"banned_by"`
	CreatedAt time.Time  `json:"created_at"`
}

func (b *Ban) refusal() error {
	until := "for good"
	if b.Until != nil {
		until = "until " + b.Until.UTC().Format("2006-01-02 15:04 UTC")
	}
	e := &errs.Error{Code: CodeBanned, Message: fmt.Sprintf("You are banned from this circle %s: %s", until, b.Reason),
		Extra: map[string]any{"until": b.Until}}
	if b.Until == nil {
		return e.Say("zh", "你已被这个圈子永久封禁：%s", b.Reason)
	}
	return e.Say("zh", "你已被这个圈子封禁至 %s：%s", b.Until.UTC().Format("2006-01-02 15:04 UTC"), b.Reason)
}

func (s *Service) activeBan(ctx context.Context, q store.Querier, circleID, userID string) (*Ban, error) {
	var b Ban
	err := q.QueryRow(ctx, `SELECT u.handle, b.reason, b.until, bu.handle, b.created_at FROM circle_bans b
		JOIN users u ON u.id = b.user_id JOIN users bu ON bu.id = b.banned_by
		WHERE b.circle_id = $1 AND b.user_id = $2 AND (b.until IS NULL OR b.until > $3)`, circleID, userID, s.db.Now()).
		Scan(&b.Handle, &b.Reason, &b.Until, &b.BannedBy, &b.CreatedAt)
	if err == store.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// BanRequest names whom to ban, why, and until when (nil: for good).
type BanRequest struct {
	Handle string     `json:"handle"`
	Reason string     `json:"reason"`
	Until  *time.Time `json:"until,omitempty"`
}

// Ban shuts a user out of the circle at once: their membership ends, a
// pending request of theirs is denied, and they cannot join again — not
// even with an invite — until the ban ends or is lifted. Moderators may ban
// anyone below their own role.
func (s *Service) Ban(ctx context.Context, a Actor, ref string, br BanRequest) (Ban, error) {
	reason := strings.TrimSpace(br.Reason)
	if reason == "" || len([]rune(reason)) > MaxReason {
		return Ban{}, errs.Field("reason", "Say why, in at most %d characters: the banned user is shown the reason.", MaxReason)
	}
	var out Ban
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if err := needRole(v, RoleModerator, "ban people"); err != nil {
			return err
		}
		if br.Until != nil && !br.Until.After(tx.Now) {
			return errs.Field("until", "A ban's end must be in the future; leave it out to ban for good.")
		}
		return s.ban(ctx, tx, a, v, br.Handle, reason, br.Until, &out)
	})
	return out, err
}

// ban bans one user (by handle) from the loaded circle in tx.
func (s *Service) ban(ctx context.Context, tx *store.Tx, a Actor, v *view, handle, reason string, until *time.Time, out *Ban) error {
	h, err := account.NormalizeHandle(handle)
	if err != nil {
		return errs.Field("handle", "There is no user @%s.", errs.Clip(handle, 40))
	}
	var uid string
	if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE handle = $1`, h).Scan(&uid); err == store.ErrNoRows {
		return errs.Field("handle", "There is no user @%s.", h)
	} else if err != nil {
		return err
	}
	if uid == a.User.ID {
		return errs.Field("handle", "You cannot ban yourself.")
	}
	var role string
	err = tx.QueryRow(ctx, `SELECT role FROM circle_members WHERE circle_id = $1 AND user_id = $2`, v.ID, uid).Scan(&role)
	if err != nil && err != store.ErrNoRows {
		return err
	}
	if err == nil && rank[role] >= rank[v.role] {
		return errs.E(errs.Forbidden, "You can ban only people below your own role; @%s is a %s.", h, role)
	}
	return s.banUser(ctx, tx, a, v.ID, uid, h, reason, until, out)
}

// BanIn bans a user from a circle in tx for a moderation decision whose
// decider moderation has checked (a report upheld with a ban): out at
// once, as Ban does.
func (s *Service) BanIn(ctx context.Context, tx *store.Tx, a Actor, circleID, userID, handle, reason string, until *time.Time) (Ban, error) {
	var out Ban
	return out, s.banUser(ctx, tx, a, circleID, userID, handle, reason, until, &out)
}

// banUser ends the user's membership and any request of theirs, and
// records the ban.
func (s *Service) banUser(ctx context.Context, tx *store.Tx, a Actor, circleID, uid, h, reason string, until *time.Time, out *Ban) error {
	if _, err := s.dropMember(ctx, tx, circleID, uid); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE circle_join_requests SET status = 'denied', reason = $1, decided_by = $2, decided_at = $3
		WHERE circle_id = $4 AND user_id = $5 AND status = 'pending'`, "banned: "+reason, a.User.ID, tx.Now, circleID, uid); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM circle_bans WHERE circle_id = $1 AND user_id = $2`, circleID, uid); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO circle_bans (circle_id, user_id, reason, until, banned_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		circleID, uid, reason, until, a.User.ID, tx.Now); err != nil {
		return err
	}
	if err := s.StandingChanged(ctx, tx, uid); err != nil {
		return err
	}
	*out = Ban{Handle: h, Reason: reason, Until: until, BannedBy: a.User.Handle, CreatedAt: tx.Now}
	return audit.Record(ctx, tx, a.User.ID, "circle.ban", "circle", circleID, out)
}

// Unban lifts a ban.
func (s *Service) Unban(ctx context.Context, a Actor, ref, handle string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if err := needRole(v, RoleModerator, "lift bans"); err != nil {
			return err
		}
		h, _ := account.NormalizeHandle(handle)
		var uid string
		err = tx.QueryRow(ctx, `DELETE FROM circle_bans WHERE circle_id = $1 AND user_id = (SELECT id FROM users WHERE handle = $2) RETURNING user_id`, v.ID, h).Scan(&uid)
		if err == store.ErrNoRows {
			return errs.E(errs.NotFound, "@%s is not banned from %s.", errs.Clip(handle, 40), v.Name)
		}
		if err != nil {
			return err
		}
		if err := s.StandingChanged(ctx, tx, uid); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a.User.ID, "circle.unban", "circle", v.ID, map[string]any{"user": h})
	})
}

// Bans lists a circle's bans in force, newest first; for moderators.
func (s *Service) Bans(ctx context.Context, a Actor, ref string) ([]Ban, error) {
	v, err := s.load(ctx, s.db, a, ref)
	if err != nil {
		return nil, err
	}
	if err := needRole(v, RoleModerator, "see the bans"); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT u.handle, b.reason, b.until, bu.handle, b.created_at FROM circle_bans b
		JOIN users u ON u.id = b.user_id JOIN users bu ON bu.id = b.banned_by
		WHERE b.circle_id = $1 AND (b.until IS NULL OR b.until > $2) ORDER BY b.created_at DESC LIMIT 500`, v.ID, s.db.Now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Ban{}
	for rows.Next() {
		var b Ban
		if err := rows.Scan(&b.Handle, &b.Reason, &b.Until, &b.BannedBy, &b.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// notYourCode refuses an invite code of another circle.
func notYourCode(name string) error {
	return (&errs.Error{Code: errs.NotFound, Field: "invite_code", Message: "That invite code is not one of " + name + "'s."}).
		Say("zh", "这个邀请码不是 %s 的。", name)
}
