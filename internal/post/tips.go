package post

import (
	"context"
	"fmt"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
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
	var reported int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM report_cases WHERE kind = 'post' AND target_id = $1 AND status = 'open'`, pl.ID).Scan(&reported); err != nil {
		return err
	}
	if reported > 0 {
		return errs.E(CodeReported, "This post was reported and waits for a moderator's decision; it cannot be tipped until then.")
	}
	return nil
}

// SendTip tips a post in tx: one ledger entry from tipper to author (less
// the circle's fee, which goes to the platform's fee account) written with
// the tip record, the tipper's running total on the post, the post's
// totals and the author's notification. The amount must lie within the
// circle's minimum and maximum and the tipper's daily cap in the circle,
// besides the tipper's own payment limits. The API runs it under an
// Idempotency-Key.
func (s *Service) SendTip(ctx context.Context, tx *store.Tx, a circle.Actor, postID string, req TipRequest) (Tip, error) {
	if err := wallet.CheckAmount(req.Amount, wallet.MaxTransfer); err != nil {
		return Tip{}, err
	}
	pl, err := s.open(ctx, tx, a, postID)
	if err != nil {
		return Tip{}, err
	}
	if err := s.mayTip(ctx, tx, pl); err != nil {
		return Tip{}, err
	}
	set := tipsOf(pl)
	if req.Amount < set.Min || req.Amount > set.Max {
		return Tip{}, (&errs.Error{Code: CodeTipRange, Field: "amount", Message: fmt.Sprintf("A tip here is from %s to %s; %s is outside that.",
			ledger.Format(set.Min), ledger.Format(set.Max), ledger.Format(req.Amount))}).
			Say("zh", "这里每次打赏 %s 到 %s；%s 不在这个范围内。", ledger.Format(set.Min), ledger.Format(set.Max), ledger.Format(req.Amount))
	}
	if err := reserveDaily(ctx, tx, a.User.ID, pl.circleID, req.Amount, set.DailyCap); err != nil {
		return Tip{}, err
	}
	author, err := s.accounts.UserByID(ctx, tx, pl.authorID)
	if err != nil {
		return Tip{}, err
	}
	fee, hold := set.Fee(req.Amount), holdOf(pl)
	t, err := s.wallet.Tip(ctx, tx, a.User, author, req.Amount, fee, "tip on post "+pl.ID, hold > 0)
	if err != nil {
		return Tip{}, err
	}
	tip := Tip{ID: store.NewID(tx.Now), PostID: pl.ID, To: author.Handle, Amount: req.Amount, Fee: fee, Currency: ledger.Currency,
		Anonymous: req.Anonymous, Status: TipReleased, EntryID: t.EntryID, TransferID: t.ID, CreatedAt: tx.Now}
	var releaseAt any
	if hold > 0 {
		at := tx.Now.Add(hold)
		tip.Status, tip.ReleaseAt, releaseAt = TipHeld, &at, at
	}
	var cid any
	if pl.circleID != "" {
		cid = pl.circleID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO tips (id, post_id, tipper_id, author_id, circle_id, amount, fee, anonymous, entry_id, created_at, status, release_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		tip.ID, pl.ID, a.User.ID, author.ID, cid, tip.Amount, fee, tip.Anonymous, tip.EntryID, tx.Now, tip.Status, releaseAt); err != nil {
		return Tip{}, err
	}
	// A tipper's total shows their name unless every tip of theirs on the
	// post was anonymous.
	if _, err := tx.Exec(ctx, `INSERT INTO post_tippers (post_id, tipper_id, total, tips, anonymous, last_at) VALUES ($1, $2, $3, 1, $4, $5)
		ON CONFLICT (post_id, tipper_id) DO UPDATE SET total = post_tippers.total + excluded.total, tips = post_tippers.tips + 1,
			anonymous = post_tippers.anonymous AND excluded.anonymous, last_at = excluded.last_at`,
		pl.ID, a.User.ID, tip.Amount, tip.Anonymous, tx.Now); err != nil {
		return Tip{}, err
	}
	pl.Tips.Count++
	pl.Tips.Total += tip.Amount
	if err := s.counted(ctx, tx, &pl.Post); err != nil {
		return Tip{}, err
	}
	return tip, s.notify(ctx, tx, notify.Note{UserID: author.ID, Kind: notify.KindTip, ActorID: a.User.ID, CircleID: pl.circleID, PostID: pl.ID,
		Amount: tip.Amount, Text: snippet(pl.Text)})
}

// reserveDaily counts a tip against the tipper's daily cap in the circle
// in one conditional statement, so concurrent tips cannot pass it
// together; the tip's transaction undoes it if the tip fails later.
func reserveDaily(ctx context.Context, tx *store.Tx, tipperID, circleID string, amount, limit int64) error {
	day := tx.Now.Unix() / 86400
	var total int64
	err := tx.QueryRow(ctx, `INSERT INTO tip_daily (tipper_id, circle_key, day, amount) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tipper_id, circle_key, day) DO UPDATE SET amount = tip_daily.amount + excluded.amount
		WHERE tip_daily.amount + excluded.amount <= $5
		RETURNING amount`, tipperID, circleID, day, amount, limit).Scan(&total)
	if err == store.ErrNoRows || (err == nil && total > limit) {
		var used int64
		if err := tx.QueryRow(ctx, `SELECT amount FROM tip_daily WHERE tipper_id = $1 AND circle_key = $2 AND day = $3`,
			tipperID, circleID, day).Scan(&used); err != nil && err != store.ErrNoRows {
			return err
		}
		left := max(limit-used, 0)
		return (&errs.Error{Code: CodeTipCap, Field: "amount", Message: fmt.Sprintf(
			"You may tip up to %s a day here; %s is left today, less than %s.", ledger.Format(limit), ledger.Format(left), ledger.Format(amount))}).
			Say("zh", "你在这里每天最多打赏 %s；今天还剩 %s，不够 %s。", ledger.Format(limit), ledger.Format(left), ledger.Format(amount))
	}
	return err
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
