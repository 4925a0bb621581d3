package social

import (
	"context"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Block blocks handle. It works both ways at once: any friendship between
// us ends, friend requests waiting between us are withdrawn, follows in
// either direction stop, and from now on neither of us can friend, follow
// or message the other. Blocking someone already blocked changes nothing.
// Nobody is told.
func (s *Service) Block(ctx context.Context, me account.User, handle string) (Contact, error) {
	var out Contact
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := target(ctx, tx, me, handle, "", "block")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			me.ID, u.ID, tx.Now); err != nil {
			return err
		}
		if _, err := unfriend(ctx, tx, me.ID, u.ID); err != nil {
			return err
		}
		lo, hi := pair(me.ID, u.ID)
		if _, err := tx.Exec(ctx, `DELETE FROM friend_requests WHERE user_lo = $1 AND user_hi = $2 AND status = 'pending'`, lo, hi); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE (follower_id = $1 AND followee_id = $2) OR (follower_id = $2 AND followee_id = $1)`,
			me.ID, u.ID); err != nil {
			return err
		}
		if err := s.accounts.UsersChanged(ctx, tx, me.ID, u.ID); err != nil {
			return err
		}
		out = Contact{Handle: u.Handle, DisplayName: u.DisplayName, id: u.ID}
		return tx.QueryRow(ctx, `SELECT created_at FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`, me.ID, u.ID).Scan(&out.Since)
	})
	return out, err
}

// Unblock lifts my block on handle. What the block ended stays ended; if
// they blocked me too, that block remains.
func (s *Service) Unblock(ctx context.Context, me account.User, handle string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := target(ctx, tx, me, handle, "", "unblock")
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`, me.ID, u.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "You have not blocked @%s.", u.Handle)
		}
		return s.accounts.UsersChanged(ctx, tx, me.ID, u.ID)
	})
}

// Blocks lists those I block, the newest first — never those who block me.
func (s *Service) Blocks(ctx context.Context, me account.User, p store.Page) ([]Contact, string, error) {
	return contacts(ctx, s.db, p, `SELECT u.id, u.handle, u.display_name, b.created_at
		FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1`, "b.created_at", "b.blocked_id", me.ID)
}
