package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
)

// MaxMuteHours bounds a mute: 30 days.
const MaxMuteHours = 30 * 24

// KindStrike is the notification a user gets with a strike.
const KindStrike = "strike"

// What a strike is. Every sanction is a strike of some kind, recorded,
// told, appealable once (POST /api/v1/appeals, kind strike) and, but for
// shutting a circle, counted against its person's standing for a year.
const (
	StrikeWarning    = "warning"
	StrikeMute       = "mute"       // no posting or commenting in the circle until muted_until
	StrikeBan        = "ban"        // out of the circle until ends_at (null: for good)
	StrikeSuspension = "suspension" // no signing in, a receive-only wallet, until ends_at (null: until lifted)
	StrikeShut       = "shut"       // the platform closed the circle; against its owner
)

// StrikeRequest is a moderator's strike against a member.
type StrikeRequest struct {
	Handle    string `json:"handle"`
	Reason    string `json:"reason"`     // spam, harassment …
	Note      string `json:"note"`       // optional words to the member
	MuteHours int    `json:"mute_hours"` // 0 (a warning) to 720: no posting or commenting in the circle meanwhile
}

// Strike is a recorded strike.
type Strike struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind"` // warning, mute, ban, suspension, shut
	User       Person      `json:"user"`
	Circle     *circle.Ref `json:"circle,omitempty"` // none for a platform warning or a suspension
	Reason     string      `json:"reason"`
	Note       string      `json:"note,omitempty"`
	MutedUntil *time.Time  `json:"muted_until,omitempty"`
	EndsAt     *time.Time  `json:"ends_at,omitempty"` // a ban's or suspension's end; absent: for good, or until lifted
	CaseID     string      `json:"case_id,omitempty"` // the report case it was taken with
	IssuedBy   Person      `json:"issued_by"`
	CreatedAt  time.Time   `json:"created_at"`
	RevokedAt  *time.Time  `json:"revoked_at,omitempty"` // lifted early, or overturned on appeal
}

// IssueStrike gives a member of a circle a strike: it counts against
// their credit standing for a year, may mute them in the circle for a
// while, and they are told why. The circle's moderators and the
// platform's reviewers may; not against themselves, nor against a
// moderator (that is for the platform's reviewers).
func (s *Service) IssueStrike(ctx context.Context, a circle.Actor, circleRef string, r StrikeRequest) (Strike, error) {
	reason, note, err := checkReason(r.Reason, r.Note, true)
	if err != nil {
		return Strike{}, err
	}
	if r.MuteHours < 0 || r.MuteHours > MaxMuteHours {
		return Strike{}, errs.Field("mute_hours", "A mute lasts 0 (a warning only) to %d hours (30 days), not %d.", MaxMuteHours, r.MuteHours)
	}
	h, err := account.NormalizeHandle(r.Handle)
	if err != nil {
		return Strike{}, errs.Field("handle", "%q is not a handle.", errs.Clip(r.Handle, 40))
	}
	var out Strike
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		cp, err := s.circles.Enter(ctx, tx, a, circleRef)
		if err != nil {
			return err
		}
		if err := moderates(a, cp, "give strikes here"); err != nil {
			return err
		}
		var userID, name, role string
		err = tx.QueryRow(ctx, `SELECT u.id, u.display_name, m.role FROM users u JOIN circle_members m ON m.user_id = u.id AND m.circle_id = $1
			WHERE u.handle = $2`, cp.ID, h).Scan(&userID, &name, &role)
		if err == store.ErrNoRows {
			return errs.E(errs.NotFound, "@%s is not a member of %s.", h, cp.Name)
		}
		if err != nil {
			return err
		}
		if userID == a.User.ID {
			return errs.E(CodeOwnContent, "You cannot give yourself a strike.")
		}
		if role != circle.RoleMember && !a.User.CanReview() {
			return errs.E(errs.Forbidden, "@%s is one of the circle's %ss; only the platform's reviewers may give them strikes.", h, role)
		}
		x := sanction{kind: StrikeWarning, userID: userID, user: Person{Handle: h, DisplayName: name},
			circle: &circle.Ref{ID: cp.ID, Slug: cp.Slug, Name: cp.Name}, reason: reason, note: note}
		if r.MuteHours > 0 {
			t := tx.Now.Add(time.Duration(r.MuteHours) * time.Hour)
			x.kind, x.mutedUntil = StrikeMute, &t
		}
		if out, err = s.impose(ctx, tx, a, x); err != nil {
			return err
		}
		if s.Notifier == nil {
			return nil
		}
		text := fmt.Sprintf("A moderator of %s gave you a strike (%s).", cp.Name, reason)
		if out.MutedUntil != nil {
			text += fmt.Sprintf(" You cannot post or comment there until %s.", stamp(*out.MutedUntil))
		}
		if note != "" {
			text += " " + note
		}
		return s.Notifier.Add(ctx, tx, notify.Note{UserID: userID, Kind: KindStrike, ActorID: a.User.ID, CircleID: cp.ID, Text: text})
	})
	return out, err
}

// sanction is a strike to impose.
type sanction struct {
	kind         string
	userID       string // whom it is against (for a shut circle, its owner)
	user         Person
	circle       *circle.Ref // where; nil for a platform warning or a suspension
	reason, note string
	mutedUntil   *time.Time
	endsAt       *time.Time
	caseID       string
}

// impose records a strike in tx and puts it into effect — a mute set, a
// ban made, an account's sessions ended, a circle shut — and audits it.
// The caller has checked that the actor may, and tells the person.
func (s *Service) impose(ctx context.Context, tx *store.Tx, a circle.Actor, x sanction) (Strike, error) {
	out := Strike{ID: store.NewID(tx.Now), Kind: x.kind, User: x.user, Circle: x.circle, Reason: x.reason, Note: x.note,
		MutedUntil: x.mutedUntil, EndsAt: x.endsAt, CaseID: x.caseID,
		IssuedBy: Person{Handle: a.User.Handle, DisplayName: a.User.DisplayName}, CreatedAt: tx.Now}
	var circleID, caseID any
	if x.circle != nil {
		circleID = x.circle.ID
	}
	if x.caseID != "" {
		caseID = x.caseID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO strikes (id, kind, user_id, circle_id, issued_by, reason, note, muted_until, ends_at, case_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		out.ID, x.kind, x.userID, circleID, a.User.ID, x.reason, x.note, x.mutedUntil, x.endsAt, caseID, tx.Now); err != nil {
		return out, err
	}
	action, target, targetID := "strike.issue", "user", x.userID
	switch x.kind {
	case StrikeMute:
		if _, err := tx.Exec(ctx, `UPDATE circle_members SET muted_until = $1, mute_reason = $2 WHERE circle_id = $3 AND user_id = $4`,
			*x.mutedUntil, x.reason, x.circle.ID, x.userID); err != nil {
			return out, err
		}
		if err := s.circles.StandingChanged(ctx, tx, x.userID); err != nil {
			return out, err
		}
	case StrikeBan:
		if _, err := s.circles.BanIn(ctx, tx, a, x.circle.ID, x.userID, x.user.Handle, words(x.reason, x.note), x.endsAt); err != nil {
			return out, err
		}
		action = "strike.ban"
	case StrikeSuspension:
		if s.Accounts == nil {
			return out, errs.E(errs.Unavailable, "Suspending accounts is not available on this server.")
		}
		if err := s.Accounts.EndSessions(ctx, tx, x.userID); err != nil {
			return out, err
		}
		action = "user.suspend"
	case StrikeShut:
		if _, err := s.circles.Shut(ctx, tx, x.circle.ID, true, x.reason); err != nil {
			return out, err
		}
		action, target, targetID = "circle.shut", "circle", x.circle.ID
	}
	if err := audit.Record(ctx, tx, a.User.ID, action, target, targetID, map[string]any{"strike": out.ID, "kind": x.kind, "user": x.user.Handle,
		"circle": circleID, "reason": x.reason, "note": x.note, "muted_until": x.mutedUntil, "ends_at": x.endsAt, "case": caseID}); err != nil {
		return out, err
	}
	if s.Changed != nil && x.kind != StrikeShut {
		return out, s.Changed(ctx, tx, x.userID)
	}
	return out, nil
}

// revoke lifts a strike in force in tx, undoing its effect: a mute or ban
// that is still this strike's is lifted (a later one stays), a suspension
// ends, a circle shut by it reopens. It returns the strike, and nothing
// (nil) for one already revoked.
func (s *Service) revoke(ctx context.Context, tx *store.Tx, id string) (*Strike, error) {
	var x Strike
	var circleID *string
	var userID string
	err := tx.QueryRow(ctx, `UPDATE strikes SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL
		RETURNING id, kind, user_id, circle_id, reason, note, muted_until, ends_at, created_at`, tx.Now, id).
		Scan(&x.ID, &x.Kind, &userID, &circleID, &x.Reason, &x.Note, &x.MutedUntil, &x.EndsAt, &x.CreatedAt)
	if err == store.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	x.RevokedAt = &tx.Now
	if err := tx.QueryRow(ctx, `SELECT handle, display_name FROM users WHERE id = $1`, userID).Scan(&x.User.Handle, &x.User.DisplayName); err != nil {
		return nil, err
	}
	if circleID != nil {
		x.Circle = &circle.Ref{ID: *circleID}
		if err := tx.QueryRow(ctx, `SELECT slug, name FROM circles WHERE id = $1`, *circleID).Scan(&x.Circle.Slug, &x.Circle.Name); err != nil {
			return nil, err
		}
	}
	switch x.Kind {
	case StrikeMute:
		_, err = tx.Exec(ctx, `UPDATE circle_members SET muted_until = NULL, mute_reason = '' WHERE circle_id = $1 AND user_id = $2 AND muted_until = $3`,
			*circleID, userID, *x.MutedUntil)
	case StrikeBan:
		// The ban row is this strike's if it was made with it.
		_, err = tx.Exec(ctx, `DELETE FROM circle_bans WHERE circle_id = $1 AND user_id = $2 AND created_at = $3`, *circleID, userID, x.CreatedAt)
	case StrikeShut:
		var shutAt *time.Time
		if err = tx.QueryRow(ctx, `SELECT shut_at FROM circles WHERE id = $1`, *circleID).Scan(&shutAt); err == nil && shutAt != nil && shutAt.Equal(x.CreatedAt) {
			_, err = s.circles.Shut(ctx, tx, *circleID, false, "")
		}
	}
	if err == nil && (x.Kind == StrikeMute || x.Kind == StrikeBan) {
		err = s.circles.StandingChanged(ctx, tx, userID)
	}
	if err != nil {
		return nil, err
	}
	if s.Changed != nil && x.Kind != StrikeShut {
		return &x, s.Changed(ctx, tx, userID)
	}
	return &x, nil
}

// stamp is a time as notifications say it.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// words is a reason code and a note as one sentence for people.
func words(reason, note string) string {
	if note == "" {
		return spoken(reason)
	}
	return spoken(reason) + ": " + note
}
