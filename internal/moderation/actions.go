package moderation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
)

// What upholding a report case may do besides removing the post or
// comment (Decision.Action).
const (
	ActionWarn    = "warn"    // a warning to the author or the user reported
	ActionMute    = "mute"    // the author muted in the circle for Hours
	ActionBan     = "ban"     // the author banned from the circle for Days (0: for good)
	ActionSuspend = "suspend" // the user reported suspended for Days (0: until lifted); admins
	ActionClose   = "close"   // the circle reported shut; admins
)

// CodeAlreadySuspended refuses suspending an account under suspension.
const CodeAlreadySuspended errs.Code = "already_suspended"

// MaxDays bounds a ban's or a suspension's term; 0 is for good (a ban) or
// until lifted (a suspension).
const MaxDays = 365

// Kinds of notification for the platform's sanctions.
const (
	KindSuspended        = "account_suspended"
	KindSuspensionLifted = "suspension_lifted"
	KindCircleShut       = "circle_shut"
	KindCircleReopened   = "circle_reopened"
)

// checkAction checks a decision's action and term on their own, before
// anything is read: it returns the action, "" for none.
func checkAction(d Decision, uphold bool) (string, error) {
	act := strings.TrimSpace(d.Action)
	if act == "" {
		switch {
		case d.Hours != 0:
			return "", errs.Field("hours", "hours is how long a mute lasts; it goes with action mute.")
		case d.Days != 0:
			return "", errs.Field("days", "days is how long a ban or a suspension lasts; it goes with action ban or suspend.")
		}
		return "", nil
	}
	if !uphold {
		return "", errs.Field("action", "An action goes with upholding a report; dismissing one acts on nobody.")
	}
	switch act {
	case ActionWarn, ActionClose:
		if d.Hours != 0 || d.Days != 0 {
			return "", errs.Field("action", "A %s has no term: leave hours and days out.", act)
		}
	case ActionMute:
		if d.Hours < 1 || d.Hours > MaxMuteHours {
			return "", errs.Field("hours", "A mute lasts 1 to %d hours (30 days), not %d.", MaxMuteHours, d.Hours)
		}
		if d.Days != 0 {
			return "", errs.Field("days", "A mute's term is in hours; leave days out.")
		}
	case ActionBan, ActionSuspend:
		if d.Days < 0 || d.Days > MaxDays {
			return "", errs.Field("days", "A %s lasts 1 to %d days, or 0 for %s; not %d.", act, MaxDays,
				map[string]string{ActionBan: "good", ActionSuspend: "until it is lifted"}[act], d.Days)
		}
		if d.Hours != 0 {
			return "", errs.Field("hours", "A %s's term is in days; leave hours out.", act)
		}
	default:
		return "", errs.Field("action", "An action is warn, mute, ban, suspend or close, not %q.", errs.Clip(act, 20))
	}
	return act, nil
}

// caseSanction is the sanction upholding case k with action act takes, or
// nil for none, after checking it fits the case and the actor may take it.
func (s *Service) caseSanction(ctx context.Context, tx *store.Tx, a circle.Actor, k Case, act string, d Decision, reason, note string) (*sanction, error) {
	x := &sanction{kind: StrikeWarning, userID: k.subjectID, reason: reason, note: note, caseID: k.ID}
	if k.Subject != nil {
		x.user = *k.Subject
	}
	if k.Circle != nil {
		ref := *k.Circle
		x.circle = &ref
	}
	switch k.Kind {
	case KindUser:
		x.circle = nil
		switch act {
		case "":
			return nil, errs.Field("action", "Say what upholding this report does to @%s: action warn or suspend.", x.user.Handle)
		case ActionWarn:
			return x, nil
		case ActionSuspend:
			return x, s.suspendable(ctx, tx, a, x, d.Days)
		}
		return nil, errs.Field("action", "A reported user can be warned or suspended, not given a %s.", act)
	case KindCircle:
		switch act {
		case "":
			return nil, errs.Field("action", "Say what upholding this report does to the circle: action close.")
		case ActionClose:
			return x, s.closable(ctx, tx, a, x)
		}
		return nil, errs.Field("action", "A reported circle can be closed (action close), not given a %s.", act)
	}
	// A post or a comment: removed, and its author perhaps sanctioned too.
	switch act {
	case "":
		return nil, nil
	case ActionSuspend, ActionClose:
		return nil, errs.Field("action", "A post's or comment's author can be warned, muted or banned from the circle; suspending accounts and closing circles follow reports on users and circles.")
	case ActionWarn:
		return x, nil
	}
	if x.circle == nil {
		return nil, errs.Field("action", "This %s is not in a circle: warn its author instead.", k.Kind)
	}
	var role string
	err := tx.QueryRow(ctx, `SELECT role FROM circle_members WHERE circle_id = $1 AND user_id = $2`, x.circle.ID, x.userID).Scan(&role)
	if err != nil && err != store.ErrNoRows {
		return nil, err
	}
	switch {
	case role == circle.RoleOwner && act == ActionBan:
		return nil, errs.E(errs.Forbidden, "@%s owns %s and cannot be banned from it; report the circle to the platform instead.", x.user.Handle, x.circle.Name)
	case role != "" && role != circle.RoleMember && !a.User.CanReview():
		return nil, errs.E(errs.Forbidden, "@%s is one of the circle's %ss; only the platform's reviewers may %s them.", x.user.Handle, role, act)
	case role == "" && act == ActionMute:
		return nil, errs.Field("action", "@%s is no longer a member of %s and cannot be muted there; ban them instead.", x.user.Handle, x.circle.Name)
	}
	if act == ActionMute {
		t := tx.Now.Add(time.Duration(d.Hours) * time.Hour)
		x.kind, x.mutedUntil = StrikeMute, &t
	} else {
		x.kind, x.endsAt = StrikeBan, term(tx.Now, d.Days)
	}
	return x, nil
}

// term is the end of a term of days from now; nil for 0 (no end).
func term(now time.Time, days int) *time.Time {
	if days == 0 {
		return nil
	}
	t := now.AddDate(0, 0, days)
	return &t
}

// needAdmin refuses all but the platform's admins.
func needAdmin(a circle.Actor, what string) error {
	if a.Anonymous {
		return errs.E(errs.Unauthenticated, "Sign in to %s.", what)
	}
	if a.User.Role != account.RoleAdmin {
		return errs.E(errs.Forbidden, "Only the platform's admins may %s.", what)
	}
	return nil
}

// suspendable makes x a suspension for days, after checking that the
// actor may suspend and the user's account can be: not their own, not
// disabled, not suspended already. It locks the user's row, so two
// suspensions of one account do not both go through.
func (s *Service) suspendable(ctx context.Context, tx *store.Tx, a circle.Actor, x *sanction, days int) error {
	if err := needAdmin(a, "suspend accounts"); err != nil {
		return err
	}
	if x.userID == a.User.ID {
		return errs.E(CodeOwnContent, "You cannot suspend your own account.")
	}
	var status string
	if err := tx.QueryRow(ctx, `UPDATE users SET updated_at = $1 WHERE id = $2 RETURNING status`, tx.Now, x.userID).Scan(&status); err != nil {
		return err
	}
	if status != string(account.StatusActive) {
		return errs.E(errs.Conflict, "@%s's account is disabled: it cannot sign in or receive money already.", x.user.Handle)
	}
	sp, err := account.SuspensionOf(ctx, tx, x.userID, tx.Now)
	if err != nil {
		return err
	}
	if sp != nil {
		return errs.E(CodeAlreadySuspended, "@%s is already suspended %s; lift that suspension first to set another.", x.user.Handle, sp.Ends())
	}
	x.kind, x.circle, x.endsAt = StrikeSuspension, nil, term(tx.Now, days)
	return nil
}

// closable makes x the shutting of its circle, against the circle's
// owner, after checking that the actor may and the circle is open to shut.
func (s *Service) closable(ctx context.Context, tx *store.Tx, a circle.Actor, x *sanction) error {
	if err := needAdmin(a, "close circles"); err != nil {
		return err
	}
	var shut *time.Time
	if err := tx.QueryRow(ctx, `SELECT c.owner_id, u.handle, u.display_name, c.shut_at FROM circles c JOIN users u ON u.id = c.owner_id WHERE c.id = $1`,
		x.circle.ID).Scan(&x.userID, &x.user.Handle, &x.user.DisplayName, &shut); err != nil {
		return err
	}
	if x.userID == a.User.ID {
		return errs.E(CodeOwnContent, "You own this circle: another admin decides whether to close it.")
	}
	if shut != nil {
		return errs.E(errs.Conflict, "%s is already closed by the platform.", x.circle.Name)
	}
	x.kind = StrikeShut
	return nil
}

// told is what a strike does, in a sentence to the person it is against.
func told(st Strike) string {
	switch st.Kind {
	case StrikeMute:
		return fmt.Sprintf("You cannot post or comment in %s until %s.", st.Circle.Name, stamp(*st.MutedUntil))
	case StrikeBan:
		if st.EndsAt == nil {
			return fmt.Sprintf("You are banned from %s for good.", st.Circle.Name)
		}
		return fmt.Sprintf("You are banned from %s until %s.", st.Circle.Name, stamp(*st.EndsAt))
	case StrikeSuspension:
		end := "until it is lifted"
		if st.EndsAt != nil {
			end = "until " + stamp(*st.EndsAt)
		}
		return "Your account is suspended " + end + ": you cannot sign in, and your wallet can receive money but not send it."
	case StrikeShut:
		return fmt.Sprintf("The platform closed %s: only its staff can see it until it is reopened.", st.Circle.Name)
	}
	return "This is a formal warning; it counts against your standing for a year."
}

// appealHint tells how to appeal a decision, once, within AppealWindow.
func appealHint(kind, id string) string {
	return fmt.Sprintf("You may appeal once within 30 days (kind %s, id %s).", kind, id)
}

// tellStaff tells a circle's owner and moderators of the platform closing
// or reopening it; the owner, who may appeal a closing, hears how.
// Notes name the circle in words: a note about a shut circle's content is
// hidden.
func (s *Service) tellStaff(ctx context.Context, tx *store.Tx, a circle.Actor, circleID, ownerID, kind, text, ownerText string) error {
	if s.Notifier == nil {
		return nil
	}
	staff, err := store.Strings(ctx, tx, `SELECT user_id FROM circle_members WHERE circle_id = $1 AND role IN ('moderator', 'admin', 'owner')`, circleID)
	if err != nil {
		return err
	}
	if !slices.Contains(staff, ownerID) {
		staff = append(staff, ownerID)
	}
	for _, id := range staff {
		t := text
		if id == ownerID {
			t += ownerText
		}
		if err := s.Notifier.Add(ctx, tx, notify.Note{UserID: id, Kind: kind, ActorID: a.User.ID, Text: t}); err != nil {
			return err
		}
	}
	return nil
}
