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
	"slices"
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
	// Actor and Circle name the actor and the circle when the caller has
	// them at hand; otherwise Add reads them.
	Actor  *Person
	Circle *CircleRef
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

// batchSubject is the subject of one event announcing the notifications
// one transaction added for several people ({"notes": [wire, …]}).
const batchSubject = subjectPrefix + "batch"

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
	return s.AddAll(ctx, tx, []Note{n})
}

// AddAll adds notes as Add does, in order, with a statement or so of each
// kind for all of them.
func (s *Service) AddAll(ctx context.Context, tx *store.Tx, notes []Note) error {
	var keep []Note
	for _, n := range notes {
		if n.UserID == "" || !validKind(n.Kind) {
			return errs.Wrap(fmt.Errorf("notify: a note needs a recipient and a kind of lower-case words, not %q/%q", n.UserID, n.Kind), "adding a notification")
		}
		if n.ActorID != n.UserID {
			keep = append(keep, n)
		}
	}
	keep, err := unmuted(ctx, tx, keep)
	if err != nil || len(keep) == 0 {
		return err
	}
	if err := name(ctx, tx, keep); err != nil {
		return err
	}
	// Number each recipient's notes. The state rows stay locked until
	// commit: the next numbers for these users are taken only after this
	// transaction ends, so numbers commit in order.
	count := map[string]int64{}
	var users []string
	for _, n := range keep {
		if count[n.UserID] == 0 {
			users = append(users, n.UserID)
		}
		count[n.UserID]++
	}
	slices.Sort(users) // one lock order for every transaction
	next := map[string]int64{}
	err = store.Chunks(len(users), func(lo, hi int) error {
		args := make([]any, 0, 4*(hi-lo))
		for _, u := range users[lo:hi] {
			args = append(args, u, count[u], count[u], tx.Now)
		}
		rows, err := tx.Query(ctx, `INSERT INTO notify_state (user_id, last_seq, unread, updated_at) VALUES `+store.Values(hi-lo, 4, 1)+`
			ON CONFLICT (user_id) DO UPDATE SET last_seq = notify_state.last_seq + excluded.last_seq,
				unread = notify_state.unread + excluded.unread, updated_at = excluded.updated_at
			RETURNING user_id, last_seq`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			var last int64
			if err := rows.Scan(&u, &last); err != nil {
				return err
			}
			next[u] = last - count[u] + 1
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	wires := make([]wire, len(keep))
	for i, n := range keep {
		wires[i] = wire{UserID: n.UserID, MembersOnly: membersOnly(n), Note: Notification{ID: store.NewID(tx.Now), Seq: next[n.UserID],
			Kind: n.Kind, Actor: n.Actor, Circle: n.Circle, PostID: n.PostID, CommentID: n.CommentID, Amount: n.Amount,
			Text: errs.Clip(n.Text, MaxText), CreatedAt: tx.Now}}
		next[n.UserID]++
	}
	err = store.Chunks(len(keep), func(lo, hi int) error {
		args := make([]any, 0, 12*(hi-lo))
		for i := lo; i < hi; i++ {
			n, w := keep[i], wires[i]
			args = append(args, n.UserID, w.Note.Seq, w.Note.ID, n.Kind, nullable(n.ActorID), nullable(n.CircleID), w.MembersOnly,
				nullable(n.PostID), nullable(n.CommentID), n.Amount, w.Note.Text, tx.Now)
		}
		_, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, seq, id, kind, actor_id, circle_id, members_only, post_id, comment_id, amount, text, created_at)
			VALUES `+store.Values(hi-lo, 12, 1), args...)
		return err
	})
	if err != nil {
		return err
	}
	// One event for all of them: one row for the outbox to write, relay
	// and delete, however many people a batch of tips told.
	if len(wires) == 1 {
		return s.ob.Emit(ctx, tx, subjectPrefix+wires[0].UserID, wires[0])
	}
	return s.ob.Emit(ctx, tx, batchSubject, struct {
		Notes []wire `json:"notes"`
	}{wires})
}

// membersOnly says a note shows its circle's content (all but a join
// decision), so only the circle's members see it.
func membersOnly(n Note) bool { return n.CircleID != "" && n.Kind != KindJoinDecided }

// unmuted returns the notes whose recipients did not mute their circle.
func unmuted(ctx context.Context, tx *store.Tx, notes []Note) ([]Note, error) {
	var pairs []any
	for _, n := range notes {
		if n.CircleID != "" {
			pairs = append(pairs, n.UserID, n.CircleID)
		}
	}
	if len(pairs) == 0 {
		return notes, nil
	}
	muted := map[[2]string]bool{}
	err := store.Chunks(len(pairs)/2, func(lo, hi int) error {
		rows, err := tx.Query(ctx, `SELECT user_id, circle_id FROM notify_mutes WHERE (user_id, circle_id) IN (VALUES `+store.Values(hi-lo, 2, 1)+`)`,
			pairs[2*lo:2*hi]...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k [2]string
			if err := rows.Scan(&k[0], &k[1]); err != nil {
				return err
			}
			muted[k] = true
		}
		return rows.Err()
	})
	if err != nil || len(muted) == 0 {
		return notes, err
	}
	var out []Note
	for _, n := range notes {
		if !muted[[2]string{n.UserID, n.CircleID}] {
			out = append(out, n)
		}
	}
	return out, nil
}

// name fills in the actors and circles the notes' callers did not give.
func name(ctx context.Context, tx *store.Tx, notes []Note) error {
	people, circles := map[string]*Person{}, map[string]*CircleRef{}
	for _, n := range notes {
		if n.ActorID != "" && n.Actor == nil {
			people[n.ActorID] = nil
		}
		if n.CircleID != "" && n.Circle == nil {
			circles[n.CircleID] = nil
		}
	}
	for id := range people {
		var p Person
		if err := tx.QueryRow(ctx, `SELECT handle, display_name FROM users WHERE id = $1`, id).Scan(&p.Handle, &p.DisplayName); err != nil {
			return err
		}
		people[id] = &p
	}
	for id := range circles {
		c := CircleRef{}
		if err := tx.QueryRow(ctx, `SELECT id, slug, name FROM circles WHERE id = $1`, id).Scan(&c.ID, &c.Slug, &c.Name); err != nil {
			return err
		}
		circles[id] = &c
	}
	for i := range notes {
		n := &notes[i]
		if n.ActorID != "" && n.Actor == nil {
			n.Actor = people[n.ActorID]
		}
		if n.CircleID != "" && n.Circle == nil {
			n.Circle = circles[n.CircleID]
		}
	}
	return nil
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
