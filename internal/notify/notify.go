// Package notify is quanzi's notifications: a tip received, a comment, a
// like, a friend request, a decision on a join request or on a post under
// review. The part that causes one adds it (Add) in its own transaction;
// each user's notifications are numbered in the order they commit, listed,
// marked read, silenced per circle, and streamed live (Stream) with resume
// after the last number a client saw.
//
// Privacy: a notification about a closed circle's content is shown, in
// lists and streams alike, only while its recipient may still see the
// circle — a member, and not banned — and never while the platform has
// the circle shut.
package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/store"
)

// Kinds of notification. Producers may add their own (lower-case words
// joined by '_').
const (
	KindTip            = "tip"
	KindComment        = "comment"
	KindReply          = "reply"
	KindLike           = "like"
	KindFriendRequest  = "friend_request"
	KindFriendAccepted = "friend_accepted"
	KindMessage        = "message"
	KindJoinDecided    = "join_decided"
	KindReviewDecided  = "review_decided"
	// A reviewer decided one of the recipient's verification claims (see
	// ClaimDecided).
	KindClaimApproved = "verification_approved"
	KindClaimRejected = "verification_rejected"
	KindClaimRevoked  = "verification_revoked"
)

// Error codes.
const (
	CodeUnknownNotification errs.Code = "unknown_notification"
	CodeBadLastEventID      errs.Code = "invalid_last_event_id"
)

// MaxText bounds a notification's snippet; longer text is cut with "…".
const MaxText = 280

// Note is a notification to add.
type Note struct {
	UserID  string // recipient
	Kind    string // tip, comment, reply, like, friend_request, friend_accepted, message, join_decided, review_decided …
	ActorID string // who did it ("" for the system); Add does nothing when ActorID == UserID
	// Optional references. A note with a CircleID is about that circle's
	// content (but for join_decided): shown only while the recipient may
	// see the circle; and nothing is added if they muted it.
	CircleID, PostID, CommentID string
	Amount                      int64  // tips, minor units
	Text                        string // a short snippet / reason
}

// Notification is a notification as its recipient sees it.
type Notification struct {
	ID        string     `json:"id"`
	Seq       int64      `json:"seq"` // the user's own numbering, 1, 2, 3 … in commit order; the stream's event id
	Kind      string     `json:"kind"`
	Actor     *Person    `json:"actor"` // null for the system
	Circle    *CircleRef `json:"circle,omitempty"`
	PostID    string     `json:"post_id,omitempty"`
	CommentID string     `json:"comment_id,omitempty"`
	Amount    int64      `json:"amount,omitempty"` // minor units
	Text      string     `json:"text,omitempty"`
	Read      bool       `json:"read"`
	CreatedAt time.Time  `json:"created_at"`
}

// Person is who caused a notification.
type Person = account.Person

// CircleRef names the circle a notification is about.
type CircleRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Service runs notifications.
type Service struct {
	db  *store.DB
	ob  *event.Outbox
	hub *hub
}

// New returns the notification service. It hears of new notifications
// through ob — from every node, when ob relays through NATS — to feed the
// live streams held on this node.
func New(db *store.DB, ob *event.Outbox) *Service {
	s := &Service{db: db, ob: ob, hub: newHub()}
	ob.Subscribe(subjectPrefix, s.hub.deliver)
	return s
}

// subjectPrefix starts the subject of every new notification's event:
// "notify.<recipient id>".
const subjectPrefix = "notify."

// wire is a new notification's event.
type wire struct {
	UserID      string       `json:"user_id"`
	MembersOnly bool         `json:"members_only,omitempty"`
	Note        Notification `json:"note"`
}

// Add adds a notification in the caller's transaction: written, numbered
// and announced together with what caused it, or not at all. It does
// nothing when the actor is the recipient, or when the recipient muted
// the note's circle.
func (s *Service) Add(ctx context.Context, tx *store.Tx, n Note) error {
	if n.UserID == "" || !validKind(n.Kind) {
		return errs.Wrap(fmt.Errorf("notify: a note needs a recipient and a kind of lower-case words, not %q/%q", n.UserID, n.Kind), "adding a notification")
	}
	if n.ActorID == n.UserID {
		return nil
	}
	if n.CircleID != "" {
		var muted int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM notify_mutes WHERE user_id = $1 AND circle_id = $2`, n.UserID, n.CircleID).Scan(&muted); err != nil {
			return err
		}
		if muted > 0 {
			return nil
		}
	}
	// The state row stays locked until commit: the next number for this
	// user is taken only after this transaction ends, so numbers commit
	// in order.
	var seq int64
	if err := tx.QueryRow(ctx, `INSERT INTO notify_state (user_id, last_seq, unread, updated_at) VALUES ($1, 1, 1, $2)
		ON CONFLICT (user_id) DO UPDATE SET last_seq = notify_state.last_seq + 1, unread = notify_state.unread + 1, updated_at = $2
		RETURNING last_seq`, n.UserID, tx.Now).Scan(&seq); err != nil {
		return err
	}
	out := Notification{ID: store.NewID(tx.Now), Seq: seq, Kind: n.Kind, PostID: n.PostID, CommentID: n.CommentID,
		Amount: n.Amount, Text: errs.Clip(n.Text, MaxText), CreatedAt: tx.Now}
	membersOnly := n.CircleID != "" && n.Kind != KindJoinDecided
	if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, seq, id, kind, actor_id, circle_id, members_only, post_id, comment_id, amount, text, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		n.UserID, seq, out.ID, n.Kind, nullable(n.ActorID), nullable(n.CircleID), membersOnly, nullable(n.PostID), nullable(n.CommentID),
		n.Amount, out.Text, tx.Now); err != nil {
		return err
	}
	if n.ActorID != "" {
		var p Person
		if err := tx.QueryRow(ctx, `SELECT handle, display_name FROM users WHERE id = $1`, n.ActorID).Scan(&p.Handle, &p.DisplayName); err != nil {
			return err
		}
		out.Actor = &p
	}
	if n.CircleID != "" {
		var c CircleRef
		if err := tx.QueryRow(ctx, `SELECT id, slug, name FROM circles WHERE id = $1`, n.CircleID).Scan(&c.ID, &c.Slug, &c.Name); err != nil {
			return err
		}
		out.Circle = &c
	}
	return s.ob.Emit(ctx, tx, subjectPrefix+n.UserID, wire{UserID: n.UserID, MembersOnly: membersOnly, Note: out})
}

func validKind(k string) bool {
	if k == "" || len(k) > 40 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ParseLastEventID reads the number a stream resumes after, from the
// Last-Event-ID header (or the last_event_id query parameter): a whole
// number, or empty for "only what is new".
func ParseLastEventID(s string) (after int64, resume bool, err error) {
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false, &errs.Error{Code: CodeBadLastEventID, Field: "Last-Event-ID",
			Message: fmt.Sprintf("Last-Event-ID must be the id of a notification this stream sent (a whole number), not %q.", errs.Clip(s, 30))}
	}
	return n, true, nil
}

// Tell adds a notification that refers to no post or circle — a friend
// request, a message — in the shape of the social part's hook. ref (the
// request or conversation) is not kept: the client lists those itself.
func (s *Service) Tell(ctx context.Context, tx *store.Tx, userID, kind, actorID, ref string) error {
	return s.Add(ctx, tx, Note{UserID: userID, Kind: kind, ActorID: actorID})
}
