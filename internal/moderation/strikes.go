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

// StrikeRequest is a moderator's strike against a member.
type StrikeRequest struct {
	Handle    string `json:"handle"`
	Reason    string `json:"reason"`     // spam, harassment …
	Note      string `json:"note"`       // optional words to the member
	MuteHours int    `json:"mute_hours"` // 0 (a warning) to 720: no posting or commenting in the circle meanwhile
}

// Strike is a recorded strike.
type Strike struct {
	ID         string     `json:"id"`
	User       Person     `json:"user"`
	Circle     circle.Ref `json:"circle"`
	Reason     string     `json:"reason"`
	Note       string     `json:"note,omitempty"`
	MutedUntil *time.Time `json:"muted_until,omitempty"`
	IssuedBy   Person     `json:"issued_by"`
	CreatedAt  time.Time  `json:"created_at"`
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
		out = Strike{ID: store.NewID(tx.Now), User: Person{Handle: h, DisplayName: name}, Circle: circle.Ref{ID: cp.ID, Slug: cp.Slug, Name: cp.Name},
			Reason: reason, Note: note, IssuedBy: Person{Handle: a.User.Handle, DisplayName: a.User.DisplayName}, CreatedAt: tx.Now}
		var until any
		if r.MuteHours > 0 {
			t := tx.Now.Add(time.Duration(r.MuteHours) * time.Hour)
			out.MutedUntil, until = &t, t
			if _, err := tx.Exec(ctx, `UPDATE circle_members SET muted_until = $1, mute_reason = $2 WHERE circle_id = $3 AND user_id = $4`,
				t, reason, cp.ID, userID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO strikes (id, user_id, circle_id, issued_by, reason, note, muted_until, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, out.ID, userID, cp.ID, a.User.ID, reason, note, until, tx.Now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a.User.ID, "strike.issue", "user", userID,
			map[string]any{"strike": out.ID, "circle": cp.ID, "reason": reason, "note": note, "mute_hours": r.MuteHours}); err != nil {
			return err
		}
		if s.Changed != nil {
			if err := s.Changed(ctx, tx, userID); err != nil {
				return err
			}
		}
		if s.Notifier == nil {
			return nil
		}
		text := fmt.Sprintf("A moderator of %s gave you a strike (%s).", cp.Name, reason)
		if out.MutedUntil != nil {
			text += fmt.Sprintf(" You cannot post or comment there until %s.", out.MutedUntil.UTC().Format("2006-01-02 15:04 UTC"))
		}
		if note != "" {
			text += " " + note
		}
		return s.Notifier.Add(ctx, tx, notify.Note{UserID: userID, Kind: KindStrike, ActorID: a.User.ID, CircleID: cp.ID, Text: text})
	})
	return out, err
}
