// Package moderation keeps circles safe: held posts wait in review queues
// for a moderator's decision, users report what breaks the rules, reports
// on one thing collapse into one case that a moderator upholds or
// dismisses, and every decision is audited and told to the person it
// concerns.
//
// Who decides: a circle's moderators (its moderators, admins and owner)
// for what is in their circle, and the platform's reviewers and admins for
// everything, users and circles included. Nobody decides on their own
// content. Suspending an account and shutting a circle are the platform
// admins' alone.
//
// Every sanction — a warning, a mute, a ban, a suspension, a shut circle —
// is a strike of that kind (strikes.go): one record, one way to tell, to
// appeal and to undo.
package moderation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// Reasons a reviewer rejects, or a user reports, something.
var Reasons = []string{"spam", "nudity", "violence", "harassment", "hate", "scam", "illegal", "misinformation", "off_topic", "other"}

// MaxNote bounds a note on a report or a decision, in characters.
const MaxNote = 500

// Error codes.
const (
	CodeUnknownReason   errs.Code = "unknown_reason"
	CodeAlreadyDecided            = account.CodeAlreadyDecided // a review item or report, like a claim
	CodeAlreadyReported errs.Code = "already_reported"
	CodeOwnContent      errs.Code = "own_content"
)

// Kinds of notification this part sends.
const (
	KindReviewDecided = "review_decided"
	KindRemoved       = "content_removed"
)

// Service runs review and reports.
type Service struct {
	db      *store.DB
	circles *circle.Service
	posts   *post.Service
	// Notifier, if set, tells authors of decisions on their content.
	Notifier circle.Notifier
	// Changed, if set, hears (in the deciding transaction) whose standing
	// a decision changed: the authors of upheld reports.
	Changed func(ctx context.Context, tx *store.Tx, userIDs ...string) error
	// Accounts, if set, ends a suspended user's sessions; without it
	// accounts cannot be suspended.
	Accounts *account.Service
}

// New returns the moderation service; it queues the posts that posts holds.
func New(db *store.DB, circles *circle.Service, posts *post.Service) *Service {
	s := &Service{db: db, circles: circles, posts: posts}
	posts.Reviewer = s
	return s
}

// Person is someone as moderators see them.
type Person = account.Person

// checkReason checks a reason code, and a note's length.
func checkReason(reason, note string, required bool) (string, string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" && !required {
		return "", strings.TrimSpace(note), checkNote(note)
	}
	if !slices.Contains(Reasons, reason) {
		return "", "", &errs.Error{Code: CodeUnknownReason, Field: "reason",
			Message: fmt.Sprintf("Give one of these reasons: %s.", strings.Join(Reasons, ", "))}
	}
	return reason, strings.TrimSpace(note), checkNote(note)
}

func checkNote(note string) error {
	note = strings.TrimSpace(note)
	if !utf8.ValidString(note) {
		return errs.Field("note", "The note is not valid UTF-8.")
	}
	if n := utf8.RuneCountInString(note); n > MaxNote {
		return errs.Field("note", "The note is %d characters long; at most %d are allowed.", n, MaxNote)
	}
	return nil
}

// mayDecide refuses the actor unless they may decide on something in the
// circle (circleID "" for users, circles and moments: platform reviewers
// only). what names the decision, for the refusal.
func (s *Service) mayDecide(ctx context.Context, q store.Querier, a circle.Actor, circleID, what string) error {
	if a.Anonymous {
		return errs.E(errs.Unauthenticated, "Sign in to %s.", what)
	}
	if a.User.CanReview() {
		return nil
	}
	if circleID == "" {
		return errs.E(errs.Forbidden, "Only the platform's reviewers may %s.", what)
	}
	cp, err := s.circles.Enter(ctx, q, a, circleID)
	if err != nil {
		return err
	}
	return moderates(a, cp, what)
}

// moderates refuses the actor unless they are one of the platform's
// reviewers or moderate the circle they entered.
func moderates(a circle.Actor, cp *circle.Place, what string) error {
	if a.User.CanReview() {
		return nil
	}
	return cp.NeedModerator(what)
}

// spoken is a reason code as words: off_topic → "off topic".
func spoken(reason string) string { return strings.ReplaceAll(reason, "_", " ") }

// age is how long ago t was, in whole seconds.
func age(now, t time.Time) int64 { return int64(now.Sub(t) / time.Second) }

// circleRef makes a circle reference from nullable columns.
func circleRef(id, slug, name *string) *circle.Ref {
	if id == nil {
		return nil
	}
	return &circle.Ref{ID: *id, Slug: deref(slug), Name: deref(name)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// InQueue says whether a post or comment waits for a decision: held for
// review, or reported and not yet decided. The platform's reviewers see
// such things (pictures blurred) wherever they are.
func (s *Service) InQueue(ctx context.Context, q store.Querier, kind, id string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM review_items WHERE kind = $1 AND target_id = $2 AND status = 'pending')
		+ (SELECT COUNT(*) FROM report_cases WHERE kind = $1 AND target_id = $2 AND status = 'open')`, kind, id).Scan(&n)
	return n > 0, err
}
