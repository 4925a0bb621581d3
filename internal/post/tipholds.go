package post

import (
	"context"
	"fmt"

	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
)

// KindTipRefunded is the notification a tipper gets when a tip comes back.
const KindTipRefunded = "tip_refunded"

// releaseBatch is how many due tips one transaction releases.
const releaseBatch = 200

// ReleaseDueTips makes the held tips whose hold has passed their authors'
// to spend: one entry each from the held part of the author's wallet to
// its available part, written with the tip's new status. Several nodes
// may run it at once: a tip is released by whichever claims it first. It
// returns how many it released.
func (s *Service) ReleaseDueTips(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			type due struct {
				id, authorID, postID string
				net                  int64
			}
			tips, err := store.Collect(ctx, tx, func(r store.Scanner) (due, error) {
				var d due
				return d, r.Scan(&d.id, &d.authorID, &d.postID, &d.net)
			}, `SELECT id, author_id, post_id, amount - fee FROM tips WHERE status = 'held' AND release_at <= $1
				ORDER BY release_at, id LIMIT `+fmt.Sprint(releaseBatch), tx.Now)
			if err != nil {
				return err
			}
			for _, t := range tips {
				res, err := tx.Exec(ctx, `UPDATE tips SET status = 'released' WHERE id = $1 AND status = 'held'`, t.id)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k != 1 {
					continue
				}
				e, err := s.wallet.ReleaseHeld(ctx, tx, t.authorID, t.net, "tip_release", "tip on post "+t.postID+" released")
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE tips SET settled_entry_id = $1 WHERE id = $2`, e.ID, t.id); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// refundHeldTips gives back, in the transaction that removes a post,
// every tip on it still held: one reversing entry each (tipper, author's
// held money and the platform's fee all as before the tip), and tells
// each tipper. Tips already released stay with the author.
func (s *Service) refundHeldTips(ctx context.Context, tx *store.Tx, postID string) error {
	type held struct {
		id, tipperID, entryID string
		amount                int64
	}
	tips, err := store.Collect(ctx, tx, func(r store.Scanner) (held, error) {
		var h held
		return h, r.Scan(&h.id, &h.tipperID, &h.entryID, &h.amount)
	}, `SELECT id, tipper_id, entry_id, amount FROM tips WHERE post_id = $1 AND status = 'held' ORDER BY id`, postID)
	if err != nil {
		return err
	}
	for _, t := range tips {
		res, err := tx.Exec(ctx, `UPDATE tips SET status = 'refunded' WHERE id = $1 AND status = 'held'`, t.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue
		}
		e, err := s.wallet.Refund(ctx, tx, t.entryID, "tip_refund", "tip on post "+postID+" refunded: the post was removed")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tips SET settled_entry_id = $1 WHERE id = $2`, e.ID, t.id); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, notify.Note{UserID: t.tipperID, Kind: KindTipRefunded, PostID: postID, Amount: t.amount,
			Text: "Your tip of " + ledger.Format(t.amount) + " came back to your wallet: the post was removed."}); err != nil {
			return err
		}
	}
	return nil
}
