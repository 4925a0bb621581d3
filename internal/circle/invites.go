package circle

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Invite is a code that lets its holders into a closed circle (or, with
// RequiresApproval, lets them ask to join).
type Invite struct {
	ID               string     `json:"id"`
	CircleID         string     `json:"circle_id"`
	Code             string     `json:"code"`
	CreatedBy        string     `json:"created_by"` // handle
	MaxUses          *int       `json:"max_uses,omitempty"`
	Uses             int        `json:"uses"`
	RequiresApproval bool       `json:"requires_approval"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"`
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	UsedBy           []string   `json:"used_by,omitempty"` // handles, for the circle's staff
}

// InviteSettings shape a new invite code.
type InviteSettings struct {
	MaxUses          *int       `json:"max_uses,omitempty"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"`
	RequiresApproval bool       `json:"requires_approval,omitempty"`
}

// Invite limits.
const (
	MaxInviteUses = 10_000
	MaxInviteDays = 365
)

const inviteColumns = `i.id, i.circle_id, i.code, u.handle, i.max_uses, i.uses, i.requires_approval, i.expires_at, i.revoked_at, i.created_at`

func scanInvite(row interface{ Scan(...any) error }) (*Invite, error) {
	var i Invite
	err := row.Scan(&i.ID, &i.CircleID, &i.Code, &i.CreatedBy, &i.MaxUses, &i.Uses, &i.RequiresApproval, &i.ExpiresAt, &i.RevokedAt, &i.CreatedAt)
	return &i, err
}

func inviteByCode(ctx context.Context, q store.Querier, code string) (*Invite, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) > 64 {
		return nil, errs.E(errs.NotFound, "There is no such invite code.")
	}
	i, err := scanInvite(q.QueryRow(ctx, `SELECT `+inviteColumns+` FROM circle_invites i JOIN users u ON u.id = i.created_by WHERE i.code = $1`, code))
	if err == store.ErrNoRows {
		return nil, errs.E(errs.NotFound, "There is no such invite code.")
	}
	return i, err
}

// usable says whether the invite can still be used at now, and why not.
func (i *Invite) usable(now time.Time) error {
	switch {
	case i.RevokedAt != nil:
		return &errs.Error{Code: CodeInviteRevoked, Field: "invite_code", Message: "This invite code was withdrawn by the circle; ask a member for a new one."}
	case i.ExpiresAt != nil && !now.Before(*i.ExpiresAt):
		at := i.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
		return (&errs.Error{Code: CodeInviteExpired, Field: "invite_code", Message: "This invite code expired on " + at + "; ask a member for a new one."}).
			Say("zh", "这个邀请码已于 %s 过期；请向成员要一个新的。", at)
	case i.MaxUses != nil && i.Uses >= *i.MaxUses:
		return &errs.Error{Code: CodeInviteUsedUp, Field: "invite_code", Message: "This invite code has been used as many times as it allows; ask a member for a new one."}
	}
	return nil
}

// useInvite counts a use, refusing it if a concurrent use took the last.
func useInvite(ctx context.Context, tx *store.Tx, i *Invite, userID string) error {
	res, err := tx.Exec(ctx, `UPDATE circle_invites SET uses = uses + 1
		WHERE id = $1 AND revoked_at IS NULL AND (max_uses IS NULL OR uses < max_uses)`, i.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.Error{Code: CodeInviteUsedUp, Field: "invite_code", Message: "This invite code has been used as many times as it allows; ask a member for a new one."}
	}
	_, err = tx.Exec(ctx, `INSERT INTO circle_invite_uses (invite_id, user_id, used_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, i.ID, userID, tx.Now)
	return err
}

// newCode makes an invite code: 10 characters from an alphabet without
// look-alikes (no 0/O, 1/I/L), about 49 bits.
func newCode() string {
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("circle: the system random source failed: " + err.Error())
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// CreateInvite makes an invite code for the circle, if the actor may
// invite (moderators always; members as the circle's invite rule says).
func (s *Service) CreateInvite(ctx context.Context, a Actor, ref string, set InviteSettings) (Invite, error) {
	var out Invite
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if err := s.may(a, v, policy.Invite); err != nil {
			return err
		}
		if set.MaxUses != nil && (*set.MaxUses < 1 || *set.MaxUses > MaxInviteUses) {
			return errs.Field("max_uses", "An invite may be used 1 to %d times; leave max_uses out for no limit.", MaxInviteUses)
		}
		if set.ExpiresAt != nil && (!set.ExpiresAt.After(tx.Now) || set.ExpiresAt.After(tx.Now.AddDate(0, 0, MaxInviteDays))) {
			return errs.Field("expires_at", "An invite expires in the future and within %d days.", MaxInviteDays)
		}
		i := Invite{ID: store.NewID(tx.Now), CircleID: v.ID, Code: newCode(), CreatedBy: a.User.Handle, MaxUses: set.MaxUses,
			RequiresApproval: set.RequiresApproval, ExpiresAt: set.ExpiresAt, CreatedAt: tx.Now}
		if _, err := tx.Exec(ctx, `INSERT INTO circle_invites (id, circle_id, code, created_by, max_uses, requires_approval, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, i.ID, i.CircleID, i.Code, a.User.ID, i.MaxUses, i.RequiresApproval, i.ExpiresAt, tx.Now); err != nil {
			return err
		}
		out = i
		return audit.Record(ctx, tx, a.User.ID, "circle.invite", "circle", v.ID, map[string]any{"invite": i.ID, "max_uses": i.MaxUses, "expires_at": i.ExpiresAt})
	})
	return out, err
}

// Invites lists a circle's invite codes with who made and used each:
// all of them for moderators, their own for members.
func (s *Service) Invites(ctx context.Context, a Actor, ref string) ([]Invite, error) {
	v, err := s.load(ctx, s.db, a, ref)
	if err != nil {
		return nil, err
	}
	if !v.member() {
		return nil, errs.E(errs.Forbidden, "Only members of %s see its invite codes.", v.Name)
	}
	mine := ""
	args := []any{v.ID}
	if rank[v.role] < rank[RoleModerator] {
		mine = ` AND i.created_by = $2`
		args = append(args, a.User.ID)
	}
	rows, err := s.db.Query(ctx, `SELECT `+inviteColumns+` FROM circle_invites i JOIN users u ON u.id = i.created_by
		WHERE i.circle_id = $1`+mine+` ORDER BY i.created_at DESC LIMIT 200`, args...)
	if err != nil {
		return nil, err
	}
	out := []Invite{}
	for rows.Next() {
		i, err := scanInvite(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for k := range out {
		uses, err := s.db.Query(ctx, `SELECT u.handle FROM circle_invite_uses x JOIN users u ON u.id = x.user_id
			WHERE x.invite_id = $1 ORDER BY x.used_at LIMIT 100`, out[k].ID)
		if err != nil {
			return nil, err
		}
		for uses.Next() {
			var h string
			if err := uses.Scan(&h); err != nil {
				uses.Close()
				return nil, err
			}
			out[k].UsedBy = append(out[k].UsedBy, h)
		}
		uses.Close()
	}
	return out, nil
}

// RevokeInvite withdraws an invite code; its maker or a moderator may.
func (s *Service) RevokeInvite(ctx context.Context, a Actor, ref, inviteID string) (Invite, error) {
	var out Invite
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		i, err := scanInvite(tx.QueryRow(ctx, `SELECT `+inviteColumns+` FROM circle_invites i JOIN users u ON u.id = i.created_by
			WHERE i.id = $1 AND i.circle_id = $2`, inviteID, v.ID))
		if err == store.ErrNoRows || (err == nil && !v.member()) {
			return errs.E(errs.NotFound, "There is no such invite in %s.", v.Name)
		}
		if err != nil {
			return err
		}
		if i.CreatedBy != a.User.Handle {
			if err := needRole(v, RoleModerator, "withdraw others' invite codes"); err != nil {
				return err
			}
		}
		if i.RevokedAt == nil {
			if _, err := tx.Exec(ctx, `UPDATE circle_invites SET revoked_at = $1, revoked_by = $2 WHERE id = $3`, tx.Now, a.User.ID, i.ID); err != nil {
				return err
			}
			t := tx.Now
			i.RevokedAt = &t
			if err := audit.Record(ctx, tx, a.User.ID, "circle.invite.revoke", "circle", v.ID, map[string]any{"invite": i.ID}); err != nil {
				return err
			}
		}
		out = *i
		return nil
	})
	return out, err
}

// Request is a request to join, waiting for (or decided by) a moderator.
type Request struct {
	ID          string     `json:"id"`
	Handle      string     `json:"handle"`
	DisplayName string     `json:"display_name"`
	Answer      string     `json:"answer,omitempty"`
	Status      string     `json:"status"` // pending, approved, denied, withdrawn
	Reason      string     `json:"reason,omitempty"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	userID      string
	inviteID    *string
}

const requestColumns = `r.id, u.handle, u.display_name, r.answer, r.status, r.reason, COALESCE(d.handle, ''), r.decided_at, r.created_at, r.user_id, r.invite_id`

const requestFrom = ` FROM circle_join_requests r JOIN users u ON u.id = r.user_id LEFT JOIN users d ON d.id = r.decided_by `

func scanRequest(row store.Scanner) (Request, error) {
	var r Request
	err := row.Scan(&r.ID, &r.Handle, &r.DisplayName, &r.Answer, &r.Status, &r.Reason, &r.DecidedBy, &r.DecidedAt, &r.CreatedAt, &r.userID, &r.inviteID)
	return r, err
}

func (s *Service) fileRequest(ctx context.Context, tx *store.Tx, a Actor, v *view, inv *Invite, answer string) (Request, error) {
	r := Request{ID: store.NewID(tx.Now), Handle: a.User.Handle, DisplayName: a.User.DisplayName, Answer: answer, Status: RolePending, CreatedAt: tx.Now}
	var invite any
	if inv != nil {
		invite = inv.ID
	}
	_, err := tx.Exec(ctx, `INSERT INTO circle_join_requests (id, circle_id, user_id, answer, invite_id, status, created_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', $6)`, r.ID, v.ID, a.User.ID, answer, invite, tx.Now)
	if errs.Is(err, errs.Conflict) {
		return Request{}, errs.E(CodeRequestPending, "Your request to join %s is already waiting for a moderator.", v.Name).
			Say("zh", "你加入 %s 的申请已在等待版主处理。", v.Name)
	}
	if err != nil {
		return Request{}, err
	}
	return r, s.StandingChanged(ctx, tx, a.User.ID)
}

// Requests lists a circle's join requests with a status (pending by
// default), oldest first; for moderators.
func (s *Service) Requests(ctx context.Context, a Actor, ref, status string, p store.Page) ([]Request, string, error) {
	v, err := s.load(ctx, s.db, a, ref)
	if err != nil {
		return nil, "", err
	}
	if err := needRole(v, RoleModerator, "see join requests"); err != nil {
		return nil, "", err
	}
	if status == "" {
		status = RolePending
	}
	switch status {
	case "pending", "approved", "denied", "withdrawn":
	default:
		return nil, "", errs.Field("status", "The status is pending, approved, denied or withdrawn, not %q.", errs.Clip(status, 20))
	}
	args := []any{v.ID, status, p.Limit + 1}
	where := ""
	at, key, ok, err := p.AfterTime()
	if err != nil {
		return nil, "", err
	}
	if ok {
		where = ` AND (r.created_at > $4 OR (r.created_at = $4 AND r.id > $5))`
		args = append(args, at, key)
	}
	out, err := store.Collect(ctx, s.db, scanRequest, `SELECT `+requestColumns+requestFrom+`WHERE r.circle_id = $1 AND r.status = $2`+where+`
		ORDER BY r.created_at, r.id LIMIT $3`, args...)
	if err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(r Request) []string { return []string{store.Micros(r.CreatedAt), r.ID} })
	return out, next, nil
}

// Decision decides join requests: approve or deny, with a reason (which
// the applicant sees), and for floods of bots, deny and ban at once.
type Decision struct {
	IDs     []string `json:"ids"`
	Approve bool     `json:"approve"`
	Reason  string   `json:"reason,omitempty"`
	Ban     bool     `json:"ban,omitempty"` // with a denial: ban the applicants too
}

// MaxDecisions bounds one bulk decision.
const MaxDecisions = 500

// Decide decides join requests, all or none: a request already decided
// (by someone else, a moment ago) fails the whole decision with
// already_decided and changes nothing.
func (s *Service) Decide(ctx context.Context, a Actor, ref string, d Decision) ([]Request, error) {
	reason := strings.TrimSpace(d.Reason)
	switch {
	case len(d.IDs) == 0 || len(d.IDs) > MaxDecisions:
		return nil, errs.Field("ids", "Name 1 to %d join requests.", MaxDecisions)
	case len([]rune(reason)) > MaxReason:
		return nil, errs.Field("reason", "The reason may be at most %d characters.", MaxReason)
	case d.Approve && d.Ban:
		return nil, errs.Field("ban", "Banning goes with a denial, not an approval.")
	case d.Ban && reason == "":
		return nil, errs.Field("reason", "Say why you ban them: the reason is shown to them.")
	}
	var out []Request
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if err := needRole(v, RoleModerator, "decide join requests"); err != nil {
			return err
		}
		status := "denied"
		if d.Approve {
			status = "approved"
		}
		seen := map[string]bool{}
		for _, id := range d.IDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			r, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+`WHERE r.id = $1 AND r.circle_id = $2`, id, v.ID))
			if err == store.ErrNoRows {
				return errs.E(errs.NotFound, "There is no join request %q in %s.", errs.Clip(id, 40), v.Name)
			}
			if err != nil {
				return err
			}
			if r.Status != RolePending {
				return errs.E(CodeAlreadyDecided, "The request from @%s was already %s%s; nothing was changed.", r.Handle, r.Status, by(r.DecidedBy))
			}
			if _, err := tx.Exec(ctx, `UPDATE circle_join_requests SET status = $1, reason = $2, decided_by = $3, decided_at = $4
				WHERE id = $5 AND status = 'pending'`, status, reason, a.User.ID, tx.Now, r.ID); err != nil {
				return err
			}
			if err := s.StandingChanged(ctx, tx, r.userID); err != nil {
				return err
			}
			if d.Approve {
				if err := s.addMember(ctx, tx, v.ID, r.userID, "request:"+r.ID); err != nil {
					return err
				}
			} else if d.Ban {
				var b Ban
				if err := s.ban(ctx, tx, a, v, r.Handle, reason, nil, &b); err != nil {
					return err
				}
			}
			if err := s.tellApplicant(ctx, tx, a, v, r, status, reason); err != nil {
				return err
			}
			t := tx.Now
			r.Status, r.Reason, r.DecidedBy, r.DecidedAt = status, reason, a.User.Handle, &t
			out = append(out, r)
		}
		return audit.Record(ctx, tx, a.User.ID, "circle.requests."+status, "circle", v.ID, map[string]any{"requests": d.IDs, "reason": reason, "ban": d.Ban})
	})
	return out, err
}

// tellApplicant notifies the applicant of the decision on their request,
// with the reason given.
func (s *Service) tellApplicant(ctx context.Context, tx *store.Tx, a Actor, v *view, r Request, status, reason string) error {
	if s.Notifier == nil {
		return nil
	}
	text := status
	if reason != "" {
		text += ": " + reason
	}
	return s.Notifier.Add(ctx, tx, notify.Note{UserID: r.userID, Kind: notify.KindJoinDecided, ActorID: a.User.ID, CircleID: v.ID, Text: text})
}

func by(handle string) string {
	if handle == "" {
		return ""
	}
	return " by @" + handle
}
