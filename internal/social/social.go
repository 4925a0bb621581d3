// Package social is quanzi's social graph and direct messages: friends
// (by request and acceptance), one-way follows, blocks, and conversations
// between two people.
//
// A block works both ways: while either of two users blocks the other,
// neither can friend, follow or message the other, and every refusal says
// so in the same words whichever of them blocked (BlockedError), so that
// nobody learns who blocked whom. Other parts — posts, tips — ask Blocked
// before they let one user reach another.
//
// A message between friends goes straight to the recipient's inbox; from
// anyone else it waits in the recipient's requests until they accept it
// (or write back). A user may refuse strangers' messages altogether.
package social

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Error codes.
const (
	CodeBlocked         errs.Code = "blocked"
	CodeAlreadyFriends  errs.Code = "already_friends"
	CodeRequestPending  errs.Code = "friend_request_pending"
	CodeUserUnavailable errs.Code = "user_unavailable"
	CodeMessagesClosed  errs.Code = "messages_closed"
	CodeRequestDeclined errs.Code = "message_request_declined"
	CodeAlreadyDecided            = account.CodeAlreadyDecided // a friend or message request, like a claim
)

// Limits on what users write.
const (
	MaxMessage        = 2000 // characters in a direct message
	MaxRequestMessage = 200  // characters in a friend request's note
)

// Kinds of notification, passed to Service.Notify.
const (
	KindFriendRequest  = "friend_request"  // ref: the request's id
	KindFriendAccepted = "friend_accepted" // ref: the request's id
	KindMessage        = "message"         // ref: the conversation's id
)

// Service runs the social graph and direct messages.
type Service struct {
	db       *store.DB
	accounts *account.Service // sessions carry their users' blocks

	// Notify, when set, is called inside the transaction that makes the
	// news, so a notification commits (or rolls back) with it: userID is
	// told of kind (KindFriendRequest …), done by actorID, about ref. An
	// error from it fails the whole operation. A transaction may run more
	// than once (store.DB.Tx retries on contention), so Notify keeps its
	// effects inside tx or defers them with tx.AfterCommit. Nil does
	// nothing.
	Notify func(ctx context.Context, tx *store.Tx, userID, kind, actorID, ref string) error
}

// New returns the social service.
func New(db *store.DB, accounts *account.Service) *Service {
	return &Service{db: db, accounts: accounts}
}

func (s *Service) notify(ctx context.Context, tx *store.Tx, userID, kind, actorID, ref string) error {
	if s.Notify == nil {
		return nil
	}
	return s.Notify(ctx, tx, userID, kind, actorID, ref)
}

// Person is another user as the social lists show them.
type Person = account.Person

// Contact is one entry of a list of people — friends, followers, those
// followed, those blocked — with the moment the tie was made.
type Contact struct {
	Handle      string    `json:"handle"`
	DisplayName string    `json:"display_name"`
	Since       time.Time `json:"since"`
	id          string
}

// BlockedError is the refusal of anything between two users while one of
// them blocks the other. It names the other user but not which of the two
// blocked: what is the verb phrase refused ("send friend requests to",
// "tip"), as in "You and @ana cannot tip each other: one of you has blocked
// the other." Posts and tips return it so every refusal reads alike.
func BlockedError(handle, what string) error {
	return errs.E(CodeBlocked, "You and @%s cannot %s: one of you has blocked the other.", strings.TrimPrefix(handle, "@"), what)
}

// Blocked reports whether a and b (user ids) are blocked either way: a
// blocks b or b blocks a. One primary-key lookup for each direction.
func Blocked(ctx context.Context, q store.Querier, a, b string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM blocks
		WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)`, a, b).Scan(&n)
	return n > 0, err
}

// BlockedAmong returns which of pairs (user ids) are blocked either way,
// keyed by the pair as given, with a statement or so for all of them.
func BlockedAmong(ctx context.Context, q store.Querier, pairs [][2]string) (map[[2]string]bool, error) {
	out := map[[2]string]bool{}
	err := store.Chunks(len(pairs), func(lo, hi int) error {
		args := make([]any, 0, 2*(hi-lo))
		for _, p := range pairs[lo:hi] {
			args = append(args, p[0], p[1])
		}
		rows, err := q.Query(ctx, `SELECT blocker_id, blocked_id FROM blocks
			WHERE (blocker_id, blocked_id) IN (VALUES `+store.Values(hi-lo, 2, 1)+`)
			OR (blocked_id, blocker_id) IN (VALUES `+store.Values(hi-lo, 2, 1)+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				return err
			}
			out[[2]string{a, b}], out[[2]string{b, a}] = true, true
		}
		return rows.Err()
	})
	return out, err
}

// BlockedIDs returns the ids of everyone blocked by userID or blocking
// userID, in no particular order: what feeds and lists leave out.
func BlockedIDs(ctx context.Context, q store.Querier, userID string) ([]string, error) {
	return ids(ctx, q, `SELECT blocked_id FROM blocks WHERE blocker_id = $1
		UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1`, userID)
}

// AreFriends reports whether a and b (user ids) are friends.
func AreFriends(ctx context.Context, q store.Querier, a, b string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM friendships WHERE user_id = $1 AND friend_id = $2`, a, b).Scan(&n)
	return n > 0, err
}

// FriendsAmong returns which of others (user ids) are userID's friends,
// in one read: a feed checks the authors of a page's moments together.
func FriendsAmong(ctx context.Context, q store.Querier, userID string, others []string) (map[string]bool, error) {
	out := make(map[string]bool, len(others))
	if len(others) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(others)+1)
	args = append(args, userID)
	for _, o := range others {
		args = append(args, o)
	}
	friends, err := ids(ctx, q, `SELECT friend_id FROM friendships WHERE user_id = $1 AND friend_id IN (`+store.List(len(others), 2)+`)`, args...)
	for _, f := range friends {
		out[f] = true
	}
	return out, err
}

// FriendIDs returns the ids of userID's friends, in no particular order:
// for the friends' feed ("moments") and its visibility checks.
func FriendIDs(ctx context.Context, q store.Querier, userID string) ([]string, error) {
	return ids(ctx, q, `SELECT friend_id FROM friendships WHERE user_id = $1`, userID)
}

func ids(ctx context.Context, q store.Querier, query string, args ...any) ([]string, error) {
	return store.Strings(ctx, q, query, args...)
}

// lookup finds the user named by handle; field names the request field
// the handle came from ("" for one in the path).
func lookup(ctx context.Context, q store.Querier, handle, field string) (account.User, error) {
	h, err := account.NormalizeHandle(handle)
	if err != nil {
		if strings.TrimSpace(handle) == "" {
			return account.User{}, &errs.Error{Code: errs.Invalid, Field: field, Message: "Say whom: a user's handle is required."}
		}
		return account.User{}, noUser(handle, field)
	}
	var u account.User
	err = q.QueryRow(ctx, `SELECT id, handle, display_name, role, status, created_at FROM users WHERE handle = $1`, h).
		Scan(&u.ID, &u.Handle, &u.DisplayName, &u.Role, &u.Status, &u.CreatedAt)
	if err == store.ErrNoRows {
		return account.User{}, noUser(h, field)
	}
	return u, err
}

// target finds the user named by handle for an action by me (what, as in
// "send friend requests to"): anyone but me.
func target(ctx context.Context, q store.Querier, me account.User, handle, field, what string) (account.User, error) {
	u, err := lookup(ctx, q, handle, field)
	if err != nil {
		return u, err
	}
	if u.ID == me.ID {
		return account.User{}, &errs.Error{Code: errs.Invalid, Field: field, Message: "You cannot " + what + " yourself."}
	}
	return u, nil
}

// active refuses a disabled account as the other end of something new.
func active(u account.User, field string) error {
	if u.Status != account.StatusActive {
		return &errs.Error{Code: CodeUserUnavailable, Field: field, Message: "@" + u.Handle + "'s account is disabled."}
	}
	return nil
}

func noUser(handle, field string) error {
	return &errs.Error{Code: errs.NotFound, Field: field, Message: "There is no user @" + errs.Clip(strings.TrimPrefix(strings.TrimSpace(handle), "@"), 40) + "."}
}

// pair orders two user ids as the tables' user_lo, user_hi.
func pair(a, b string) (string, string) {
	if a < b {
		return a, b
	}
	return b, a
}

// contacts reads one page of a list of people, newest first. query
// selects the user id, handle, display name and time of each, with $1 the
// owner of the list; at and id name the columns it is ordered by.
func contacts(ctx context.Context, q store.Querier, p store.Page, query, at, id, owner string) ([]Contact, string, error) {
	args := []any{owner}
	after, key, ok, err := p.AfterTime()
	if err != nil {
		return nil, "", err
	}
	if ok {
		query += ` AND (` + at + ` < $2 OR (` + at + ` = $2 AND ` + id + ` < $3))`
		args = append(args, after, key)
	}
	args = append(args, p.Limit+1)
	out, err := store.Collect(ctx, q, func(r store.Scanner) (Contact, error) {
		var c Contact
		return c, r.Scan(&c.id, &c.Handle, &c.DisplayName, &c.Since)
	}, query+` ORDER BY `+at+` DESC, `+id+` DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(c Contact) []string { return []string{store.Micros(c.Since), c.id} })
	return out, next, nil
}
