package social

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Friend request states.
const (
	Pending   = "pending"
	Accepted  = "accepted"
	Declined  = "declined"
	Cancelled = "cancelled"
)

// FriendRequest asks to be friends.
type FriendRequest struct {
	ID        string     `json:"id"`
	From      Person     `json:"from"`
	To        Person     `json:"to"`
	Message   string     `json:"message,omitempty"`
	Status    string     `json:"status"` // pending, accepted, declined or cancelled
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	fromID    string
	toID      string
}

const requestColumns = `r.id, f.handle, f.display_name, t.handle, t.display_name, r.message, r.status, r.created_at, r.decided_at, r.from_user, r.to_user`

const requestFrom = ` FROM friend_requests r JOIN users f ON f.id = r.from_user JOIN users t ON t.id = r.to_user `

func scanRequest(row store.Scanner) (FriendRequest, error) {
	var r FriendRequest
	err := row.Scan(&r.ID, &r.From.Handle, &r.From.DisplayName, &r.To.Handle, &r.To.DisplayName, &r.Message, &r.Status,
		&r.CreatedAt, &r.DecidedAt, &r.fromID, &r.toID)
	return r, err
}

// reach finds the user named by handle for something new between me and
// them — a friend request, a follow, a message: someone else (see
// reachable). what is the verb phrase for refusals ("follow").
func reach(ctx context.Context, q store.Querier, me account.User, handle, field, what string) (account.User, error) {
	u, err := target(ctx, q, me, handle, field, what)
	if err != nil {
		return u, err
	}
	return u, reachable(ctx, q, me, u, field, what)
}

// reachable refuses something new between me and u unless u's account is
// active and there is no block between us.
func reachable(ctx context.Context, q store.Querier, me, u account.User, field, what string) error {
	if err := active(u, field); err != nil {
		return err
	}
	blocked, err := Blocked(ctx, q, me.ID, u.ID)
	if err != nil {
		return err
	}
	if blocked {
		return BlockedError(u.Handle, what+" each other")
	}
	return nil
}

// RequestFriend asks to handle to be friends, with an optional short
// note. If they have already asked me, it accepts their request instead
// (and returns it, accepted).
func (s *Service) RequestFriend(ctx context.Context, me account.User, handle, message string) (FriendRequest, error) {
	message = strings.TrimSpace(message)
	if n := utf8.RuneCountInString(message); n > MaxRequestMessage {
		return FriendRequest{}, errs.Field("message", "A friend request's note may be at most %d characters; this one has %d.", MaxRequestMessage, n)
	}
	var out FriendRequest
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := reach(ctx, tx, me, handle, "to", "send friend requests to")
		if err != nil {
			return err
		}
		friends, err := AreFriends(ctx, tx, me.ID, u.ID)
		if err != nil {
			return err
		}
		if friends {
			return errs.E(CodeAlreadyFriends, "You and @%s are already friends.", u.Handle)
		}
		lo, hi := pair(me.ID, u.ID)
		r, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+`WHERE r.user_lo = $1 AND r.user_hi = $2 AND r.status = 'pending'`, lo, hi))
		switch {
		case err == nil && r.fromID == me.ID:
			return errs.E(CodeRequestPending, "Your friend request to @%s is still waiting for their answer.", u.Handle)
		case err == nil:
			out, err = s.accept(ctx, tx, me, r)
			return err
		case err != store.ErrNoRows:
			return err
		}
		out = FriendRequest{ID: store.NewID(tx.Now), From: Person{Handle: me.Handle, DisplayName: me.DisplayName}, To: Person{Handle: u.Handle, DisplayName: u.DisplayName},
			Message: message, Status: Pending, CreatedAt: tx.Now, fromID: me.ID, toID: u.ID}
		_, err = tx.Exec(ctx, `INSERT INTO friend_requests (id, from_user, to_user, user_lo, user_hi, message, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)`, out.ID, me.ID, u.ID, lo, hi, message, tx.Now)
		if errs.Is(err, errs.Conflict) {
			// A request between us was made a moment ago, by one of us:
			// run again to answer as if it had come first.
			return store.Retry("crossing friend requests")
		}
		if err != nil {
			return err
		}
		return s.notify(ctx, tx, u.ID, KindFriendRequest, me.ID, out.ID)
	})
	return out, err
}

// accept makes the request's two users friends.
func (s *Service) accept(ctx context.Context, tx *store.Tx, me account.User, r FriendRequest) (FriendRequest, error) {
	var status account.Status
	if err := tx.QueryRow(ctx, `SELECT status FROM users WHERE id = $1`, r.fromID).Scan(&status); err != nil {
		return r, err
	}
	if status != account.StatusActive {
		return r, errs.E(CodeUserUnavailable, "@%s's account is disabled.", r.From.Handle)
	}
	blocked, err := Blocked(ctx, tx, r.fromID, r.toID)
	if err != nil {
		return r, err
	}
	if blocked {
		return r, BlockedError(r.From.Handle, "be friends")
	}
	if err := s.close(ctx, tx, &r, Accepted); err != nil {
		return r, err
	}
	for _, f := range [][2]string{{r.fromID, r.toID}, {r.toID, r.fromID}} {
		if _, err := tx.Exec(ctx, `INSERT INTO friendships (user_id, friend_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			f[0], f[1], tx.Now); err != nil {
			return r, err
		}
	}
	return r, s.notify(ctx, tx, r.fromID, KindFriendAccepted, me.ID, r.ID)
}

// close decides a pending request, unless someone decided it a moment ago.
func (s *Service) close(ctx context.Context, tx *store.Tx, r *FriendRequest, status string) error {
	res, err := tx.Exec(ctx, `UPDATE friend_requests SET status = $1, decided_at = $2 WHERE id = $3 AND status = 'pending'`, status, tx.Now, r.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.Retry("friend request decided concurrently")
	}
	t := tx.Now
	r.Status, r.DecidedAt = status, &t
	return nil
}

// AcceptFriend accepts a friend request made to me.
func (s *Service) AcceptFriend(ctx context.Context, me account.User, id string) (FriendRequest, error) {
	return s.decide(ctx, me, id, Accepted)
}

// DeclineFriend declines a friend request made to me. The sender is not
// told; their request simply stops waiting.
func (s *Service) DeclineFriend(ctx context.Context, me account.User, id string) (FriendRequest, error) {
	return s.decide(ctx, me, id, Declined)
}

// CancelFriend withdraws a friend request I made.
func (s *Service) CancelFriend(ctx context.Context, me account.User, id string) (FriendRequest, error) {
	return s.decide(ctx, me, id, Cancelled)
}

func (s *Service) decide(ctx context.Context, me account.User, id, status string) (FriendRequest, error) {
	var out FriendRequest
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := s.request(ctx, tx, me, id)
		if err != nil {
			return err
		}
		if r.Status != Pending {
			return errs.E(CodeAlreadyDecided, "This friend request was already %s; nothing was changed.", r.Status)
		}
		switch {
		case status == Cancelled && r.fromID != me.ID:
			return errs.E(errs.Forbidden, "Only @%s can cancel the friend request they sent you; decline it instead.", r.From.Handle)
		case status != Cancelled && r.toID != me.ID:
			return errs.E(errs.Forbidden, "Only @%s can %s the friend request you sent them; you can cancel it.", r.To.Handle, verb(status))
		case status == Accepted:
			out, err = s.accept(ctx, tx, me, r)
			return err
		}
		out = r
		return s.close(ctx, tx, &out, status)
	})
	return out, err
}

func verb(status string) string {
	if status == Accepted {
		return "accept"
	}
	return "decline"
}

// request loads a friend request me sent or received; any other is not
// found.
func (s *Service) request(ctx context.Context, q store.Querier, me account.User, id string) (FriendRequest, error) {
	r, err := scanRequest(q.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+`WHERE r.id = $1 AND (r.from_user = $2 OR r.to_user = $2)`,
		strings.TrimSpace(id), me.ID))
	if err == store.ErrNoRows {
		return r, errs.E(errs.NotFound, "There is no friend request %q among yours.", errs.Clip(id, 40))
	}
	return r, err
}

// Unfriend ends a friendship, for both.
func (s *Service) Unfriend(ctx context.Context, me account.User, handle string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := target(ctx, tx, me, handle, "", "unfriend")
		if err != nil {
			return err
		}
		n, err := unfriend(ctx, tx, me.ID, u.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return errs.E(errs.NotFound, "You and @%s are not friends.", u.Handle)
		}
		return nil
	})
}

func unfriend(ctx context.Context, tx *store.Tx, a, b string) (int64, error) {
	res, err := tx.Exec(ctx, `DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)`, a, b)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Friends lists my friends, the newest friendship first.
func (s *Service) Friends(ctx context.Context, me account.User, p store.Page) ([]Contact, string, error) {
	return contacts(ctx, s.db, p, `SELECT u.id, u.handle, u.display_name, f.created_at
		FROM friendships f JOIN users u ON u.id = f.friend_id WHERE f.user_id = $1`, "f.created_at", "f.friend_id", me.ID)
}

// Friend request boxes.
const (
	Incoming = "incoming"
	Outgoing = "outgoing"
)

// FriendRequests lists the friend requests waiting for an answer, newest
// first: those made to me (box incoming) or by me (outgoing).
func (s *Service) FriendRequests(ctx context.Context, me account.User, box string, p store.Page) ([]FriendRequest, string, error) {
	col := "r.to_user"
	switch box {
	case Incoming, "":
	case Outgoing:
		col = "r.from_user"
	default:
		return nil, "", errs.Field("box", "The box is incoming or outgoing, not %q.", errs.Clip(box, 20))
	}
	args := []any{me.ID}
	where := ""
	at, key, ok, err := p.AfterTime()
	if err != nil {
		return nil, "", err
	}
	if ok {
		where = ` AND (r.created_at < $2 OR (r.created_at = $2 AND r.id < $3))`
		args = append(args, at, key)
	}
	args = append(args, p.Limit+1)
	out, err := store.Collect(ctx, s.db, scanRequest, `SELECT `+requestColumns+requestFrom+`WHERE `+col+` = $1 AND r.status = 'pending'`+where+`
		ORDER BY r.created_at DESC, r.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(r FriendRequest) []string { return []string{store.Micros(r.CreatedAt), r.ID} })
	return out, next, nil
}
