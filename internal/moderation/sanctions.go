package moderation

import (
	"context"
	"strings"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
)

// SuspendRequest is an admin's suspension of an account.
type SuspendRequest struct {
	Reason string `json:"reason"` // spam, scam, harassment …
	Note   string `json:"note"`   // optional words to the user, up to 500 characters
	Days   int    `json:"days"`   // 1 to 365; 0: until lifted
}

// CloseRequest is an admin's closing of a circle.
type CloseRequest struct {
	Reason string `json:"reason"`
	Note   string `json:"note"` // optional words to its owner and moderators
}

// Suspend suspends an account, for the platform's admins: its sessions end
// at once, signing in is refused with the reason and the end (and an
// appeal token), and its wallet can receive but not send. Its posts and
// comments stay: taking content down is a decision on each, through
// reports. The user is told (they read it once back) and may appeal once;
// audited.
func (s *Service) Suspend(ctx context.Context, a circle.Actor, handle string, r SuspendRequest) (Strike, error) {
	if err := needAdmin(a, "suspend accounts"); err != nil {
		return Strike{}, err
	}
	reason, note, err := checkReason(r.Reason, r.Note, true)
	if err != nil {
		return Strike{}, err
	}
	if r.Days < 0 || r.Days > MaxDays {
		return Strike{}, errs.Field("days", "A suspension lasts 1 to %d days, or 0 until it is lifted; not %d.", MaxDays, r.Days)
	}
	var out Strike
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.userByHandle(ctx, tx, handle)
		if err != nil {
			return err
		}
		x := &sanction{userID: u.ID, user: Person{Handle: u.Handle, DisplayName: u.DisplayName}, reason: reason, note: note}
		if err := s.suspendable(ctx, tx, a, x, r.Days); err != nil {
			return err
		}
		if out, err = s.impose(ctx, tx, a, *x); err != nil {
			return err
		}
		return s.tell(ctx, tx, a, u.ID, KindSuspended, "The platform suspended your account ("+spoken(reason)+"). "+told(out)+" "+appealHint(AppealStrike, out.ID), note)
	})
	return out, err
}

// Unsuspend lifts the suspension in force on an account, for the
// platform's admins; the user is told, and it is audited.
func (s *Service) Unsuspend(ctx context.Context, a circle.Actor, handle, note string) (Strike, error) {
	if err := needAdmin(a, "lift suspensions"); err != nil {
		return Strike{}, err
	}
	note = strings.TrimSpace(note)
	if err := checkNote(note); err != nil {
		return Strike{}, err
	}
	var out Strike
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.userByHandle(ctx, tx, handle)
		if err != nil {
			return err
		}
		sp, err := account.SuspensionOf(ctx, tx, u.ID, tx.Now)
		if err != nil {
			return err
		}
		if sp == nil {
			return errs.E(errs.Conflict, "@%s is not suspended; there is nothing to lift.", u.Handle)
		}
		st, err := s.revoke(ctx, tx, sp.ID)
		if err != nil || st == nil {
			return err
		}
		out = *st
		if err := audit.Record(ctx, tx, a.User.ID, "user.unsuspend", "user", u.ID, map[string]any{"strike": st.ID, "note": note}); err != nil {
			return err
		}
		return s.tell(ctx, tx, a, u.ID, KindSuspensionLifted, "The platform lifted your account's suspension; you can sign in and send money again.", note)
	})
	return out, err
}

// CloseCircle shuts a circle, for the platform's admins: from then on only
// the platform's staff find it, and nothing can happen in it — it leaves
// the directory and search, its posts leave every feed, its pages, posts,
// comments, pictures and notifications are not found, nobody joins,
// posts, comments or tips. Tips still held on its posts are released to
// their authors as usual: closing judges the circle, not each post. Its
// owner and moderators are told; the owner may appeal once. Audited.
func (s *Service) CloseCircle(ctx context.Context, a circle.Actor, ref string, r CloseRequest) (Strike, error) {
	if err := needAdmin(a, "close circles"); err != nil {
		return Strike{}, err
	}
	reason, note, err := checkReason(r.Reason, r.Note, true)
	if err != nil {
		return Strike{}, err
	}
	var out Strike
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := s.circles.Lookup(ctx, tx, ref)
		if err != nil {
			return err
		}
		x := &sanction{circle: &c, reason: reason, note: note}
		if err := s.closable(ctx, tx, a, x); err != nil {
			return err
		}
		if out, err = s.impose(ctx, tx, a, *x); err != nil {
			return err
		}
		return s.tellStaff(ctx, tx, a, c.ID, x.userID, KindCircleShut, "The platform closed "+c.Name+" ("+words(reason, note)+"): only the platform's staff can see it until it is reopened.",
			" "+appealHint(AppealStrike, out.ID))
	})
	return out, err
}

// ReopenCircle undoes closing a circle, for the platform's admins:
// everything comes back as it was. Its owner and moderators are told;
// audited.
func (s *Service) ReopenCircle(ctx context.Context, a circle.Actor, ref, note string) (Strike, error) {
	if err := needAdmin(a, "reopen circles"); err != nil {
		return Strike{}, err
	}
	note = strings.TrimSpace(note)
	if err := checkNote(note); err != nil {
		return Strike{}, err
	}
	var out Strike
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := s.circles.Lookup(ctx, tx, ref)
		if err != nil {
			return err
		}
		id, err := store.Strings(ctx, tx, `SELECT id FROM strikes WHERE kind = 'shut' AND circle_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC`, c.ID)
		if err != nil {
			return err
		}
		if len(id) == 0 {
			return errs.E(errs.Conflict, "%s is not closed by the platform; there is nothing to reopen.", c.Name)
		}
		st, err := s.revoke(ctx, tx, id[0])
		if err != nil || st == nil {
			return err
		}
		out = *st
		if err := audit.Record(ctx, tx, a.User.ID, "circle.reopen", "circle", c.ID, map[string]any{"strike": st.ID, "note": note}); err != nil {
			return err
		}
		var ownerID string
		if err := tx.QueryRow(ctx, `SELECT owner_id FROM circles WHERE id = $1`, c.ID).Scan(&ownerID); err != nil {
			return err
		}
		text := "The platform reopened " + c.Name + ": it is back as it was."
		if note != "" {
			text += " " + note
		}
		return s.tellStaff(ctx, tx, a, c.ID, ownerID, KindCircleReopened, text, "")
	})
	return out, err
}

// userByHandle finds a user for a platform action.
func (s *Service) userByHandle(ctx context.Context, q store.Querier, handle string) (account.User, error) {
	notFound := errs.E(errs.NotFound, "There is no user @%s.", errs.Clip(strings.TrimPrefix(strings.TrimSpace(handle), "@"), 40))
	h, err := account.NormalizeHandle(handle)
	if err != nil {
		return account.User{}, notFound
	}
	var u account.User
	err = q.QueryRow(ctx, `SELECT id, handle, display_name, role, status FROM users WHERE handle = $1`, h).Scan(&u.ID, &u.Handle, &u.DisplayName, &u.Role, &u.Status)
	if err == store.ErrNoRows {
		return u, notFound
	}
	return u, err
}

// tell adds a notification about the platform's action on an account,
// with the decider's note last.
func (s *Service) tell(ctx context.Context, tx *store.Tx, a circle.Actor, userID, kind, text, note string) error {
	if s.Notifier == nil {
		return nil
	}
	if note != "" {
		text += " " + note
	}
	return s.Notifier.Add(ctx, tx, notify.Note{UserID: userID, Kind: kind, ActorID: a.User.ID, Text: text})
}
