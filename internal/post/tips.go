package post

import (
	"context"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// TipRequest is a tip a reader sends. Anonymous hides the tipper from
// other readers; the author still sees who it was.
type TipRequest struct {
	Amount    int64  `json:"amount"`
	Anonymous bool   `json:"anonymous,omitempty"`
	PIN       string `json:"pin,omitempty"` // the payment PIN, needed above ¥200
}

// Tip is a tip as its tipper sees it.
type Tip struct {
	ID        string `json:"id"`
	PostID    string `json:"post_id"`
	To        string `json:"to"` // the author's handle
	Amount    int64  `json:"amount"`
	Fee       int64  `json:"fee"` // what the platform keeps; the author gets amount − fee
	Currency  string `json:"currency"`
	Anonymous bool   `json:"anonymous"`
	// Status is held (the author's, not yet to spend: refunded if the
	// post is removed before ReleaseAt) or released.
	Status     string     `json:"status"`
	ReleaseAt  *time.Time `json:"release_at,omitempty"`
	EntryID    string     `json:"entry_id"`
	TransferID string     `json:"transfer_id"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Tip statuses.
const (
	TipHeld     = "held"
	TipReleased = "released"
	TipRefunded = "refunded"
)

// tipsOf returns the tipping settings that apply to a post: its circle's,
// or the defaults for a moment.
func tipsOf(pl *place) circle.Tips {
	if pl.circle != nil {
		return pl.circle.Tips
	}
	return circle.DefaultTips
}

// holdOf is how long tips on a post stay held for its author.
func holdOf(pl *place) time.Duration {
	h := int64(circle.DefaultTipHoldHours)
	if pl.circle != nil {
		h = pl.circle.TipHoldHours
	}
	return time.Duration(h) * time.Hour
}

// mayTip refuses a tip on a post the reader can see: the circle's tip
// rule, their own post, a block, a post still in review.
func (s *Service) mayTip(ctx context.Context, q store.Querier, pl *place) error {
	if err := s.mayInteract(ctx, q, pl, policy.Tip, "tip this post"); err != nil {
		return err
	}
	if pl.isAuthor() {
		return errs.E(CodeOwnPost, "You cannot tip your own post.")
	}
	reported, err := reportedAmong(ctx, q, []string{pl.ID})
	if err != nil {
		return err
	}
	if reported[pl.ID] {
		return errReported()
	}
	return nil
}

// Tipper is one tipper's total on a post.
type Tipper struct {
	Handle      string `json:"handle,omitempty"` // empty when anonymous to the reader
	DisplayName string `json:"display_name,omitempty"`
	Anonymous   bool   `json:"anonymous"`
	Total       int64  `json:"total"`
	Tips        int    `json:"tips"`
}

// TipBoard is a post's tips: how many, how much, and the top tippers.
type TipBoard struct {
	Count    int      `json:"count"`
	Total    int64    `json:"total"`
	Currency string   `json:"currency"`
	Top      []Tipper `json:"top"`
}

// topTippers is how many tippers the board names.
const topTippers = 10

// Tips returns a post's tip totals and top tippers to anyone who may read
// the post. An anonymous tipper is named only to the post's author and to
// themselves; people the reader blocked (or who blocked them) show as
// anonymous.
func (s *Service) Tips(ctx context.Context, a circle.Actor, postID string) (TipBoard, error) {
	b := TipBoard{Currency: ledger.Currency, Top: []Tipper{}}
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		pl, err := s.open(ctx, q, a, postID)
		if err != nil {
			return err
		}
		b.Count, b.Total = pl.Tips.Count, pl.Tips.Total
		hide, err := s.blockedSet(ctx, q, a)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT t.tipper_id, u.handle, u.display_name, t.anonymous, t.total, t.tips FROM post_tippers t
			JOIN users u ON u.id = t.tipper_id WHERE t.post_id = $1 ORDER BY t.total DESC, t.last_at LIMIT `+itoa(topTippers), pl.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var t Tipper
			if err := rows.Scan(&id, &t.Handle, &t.DisplayName, &t.Anonymous, &t.Total, &t.Tips); err != nil {
				return err
			}
			mine := !a.Anonymous && (a.User.ID == id || pl.isAuthor())
			if (t.Anonymous && !mine) || hide[id] {
				t.Handle, t.DisplayName, t.Anonymous = "", "", true
			}
			b.Top = append(b.Top, t)
		}
		return rows.Err()
	})
	return b, err
}
