package social

import (
	"context"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Follow makes me follow handle, one way: they need not agree, nor
// follow back. Following someone already followed changes nothing.
func (s *Service) Follow(ctx context.Context, me account.User, handle string) (Contact, error) {
	var out Contact
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := reach(ctx, tx, me, handle, "", "follow")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			me.ID, u.ID, tx.Now); err != nil {
			return err
		}
		out = Contact{Handle: u.Handle, DisplayName: u.DisplayName, id: u.ID}
		return tx.QueryRow(ctx, `SELECT created_at FROM follows WHERE follower_id = $1 AND followee_id = $2`, me.ID, u.ID).Scan(&out.Since)
	})
	return out, err
}

// Unfollow stops me following handle.
func (s *Service) Unfollow(ctx context.Context, me account.User, handle string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := target(ctx, tx, me, handle, "", "unfollow")
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2`, me.ID, u.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "You do not follow @%s.", u.Handle)
		}
		return nil
	})
}

// Followers lists those who follow handle, the newest first.
func (s *Service) Followers(ctx context.Context, handle string, p store.Page) ([]Contact, string, error) {
	u, err := lookup(ctx, s.db, handle, "")
	if err != nil {
		return nil, "", err
	}
	return contacts(ctx, s.db, p, `SELECT u.id, u.handle, u.display_name, f.created_at
		FROM follows f JOIN users u ON u.id = f.follower_id WHERE f.followee_id = $1`, "f.created_at", "f.follower_id", u.ID)
}

// Following lists those handle follows, the newest first.
func (s *Service) Following(ctx context.Context, handle string, p store.Page) ([]Contact, string, error) {
	u, err := lookup(ctx, s.db, handle, "")
	if err != nil {
		return nil, "", err
	}
	return contacts(ctx, s.db, p, `SELECT u.id, u.handle, u.display_name, f.created_at
		FROM follows f JOIN users u ON u.id = f.followee_id WHERE f.follower_id = $1`, "f.created_at", "f.followee_id", u.ID)
}

// Follows reports whether follower follows followee (user ids).
func Follows(ctx context.Context, q store.Querier, follower, followee string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM follows WHERE follower_id = $1 AND followee_id = $2`, follower, followee).Scan(&n)
	return n > 0, err
}

// FollowingIDs returns the ids of those userID follows, in no particular
// order: for the home feed.
func FollowingIDs(ctx context.Context, q store.Querier, userID string) ([]string, error) {
	return ids(ctx, q, `SELECT followee_id FROM follows WHERE follower_id = $1`, userID)
}
