package social

import (
	"context"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// ConversationWith returns my conversation with handle, found by the
// person rather than its id (the web app's addresses name people); not
// found when we have none yet, or when handle names nobody.
func (s *Service) ConversationWith(ctx context.Context, me account.User, handle string) (Conversation, error) {
	u, err := lookup(ctx, s.db, handle, "")
	if err != nil {
		return Conversation{}, err
	}
	lo, hi := pair(me.ID, u.ID)
	var id string
	err = s.db.QueryRow(ctx, `SELECT id FROM conversations WHERE user_lo = $1 AND user_hi = $2`, lo, hi).Scan(&id)
	if err == store.ErrNoRows {
		return Conversation{}, errs.E(errs.NotFound, "You have no conversation with @%s yet.", u.Handle)
	}
	if err != nil {
		return Conversation{}, err
	}
	return conversation(ctx, s.db, me, id)
}

// Relation is how I stand with another user, for their profile page.
type Relation struct {
	Friends bool
	// Request is a friend request waiting between us, nil when none; its
	// From says who asked.
	Request   *FriendRequest
	Following bool // I follow them
	FollowsMe bool
	Blocking  bool // I block them (whether they block me is not told)
	Blocked   bool // either of us blocks the other
}

// RelationTo reads how me stands with the user u.
func (s *Service) RelationTo(ctx context.Context, me, u account.User) (Relation, error) {
	var r Relation
	if me.ID == u.ID {
		return r, nil
	}
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		var err error
		if r.Friends, err = AreFriends(ctx, q, me.ID, u.ID); err != nil {
			return err
		}
		if r.Following, err = Follows(ctx, q, me.ID, u.ID); err != nil {
			return err
		}
		if r.FollowsMe, err = Follows(ctx, q, u.ID, me.ID); err != nil {
			return err
		}
		if r.Blocked, err = Blocked(ctx, q, me.ID, u.ID); err != nil {
			return err
		}
		var n int
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`, me.ID, u.ID).Scan(&n); err != nil {
			return err
		}
		r.Blocking = n > 0
		lo, hi := pair(me.ID, u.ID)
		req, err := scanRequest(q.QueryRow(ctx, `SELECT `+requestColumns+requestFrom+`WHERE r.user_lo = $1 AND r.user_hi = $2 AND r.status = 'pending'`, lo, hi))
		switch {
		case err == nil:
			r.Request = &req
		case err != store.ErrNoRows:
			return err
		}
		return nil
	})
	return r, err
}
