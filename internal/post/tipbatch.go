package post

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// Tips are settled in batches, like transfers. A tip is judged in two
// steps:
//
//  1. Before the batch, on a read of its own (so on SQLite, beside the one
//     writer rather than in its way): the post as the tipper may see it,
//     the circle's tip rule and the tipper's standing there, their own
//     post, the circle's range, the author.
//  2. In the batch's transaction, for every tip at once, with a statement
//     or so of each kind: the idempotency keys, what may have changed
//     since step 1 and decides whether money may move — the post still
//     published, not reported, no block between tipper and author — then
//     each tip in order against the daily caps, the tipper's limits and
//     funds as the tips before it left them; then one write of each kind
//     of row (journal, transfers, tips, tippers, post totals, daily
//     totals, notifications, keys) and one commit.
//
// A rule change or ban that commits while a tip is between the two steps
// does not stop that tip; everything money depends on is checked in step 2.

// TipCall is a tip asked for over the API.
type TipCall struct {
	Actor   circle.Actor
	PostID  string
	Request TipRequest
	// Key is the client's Idempotency-Key ("" for none), and Hash
	// identifies its request: a retry must send the same.
	Key, Hash string
	// Answer renders the outcome — the tip, or why it was refused — as
	// the response to send, and to record under the key.
	Answer func(Tip, error) idempotency.Response
}

type tipCall struct {
	TipCall
	// Step 1's verdict: what the tip is, or why it is refused.
	ticket *ticket
	refuse error
	// Worked out by the batch, afresh on each try of its transaction.
	decided bool
	tip     Tip
	err     error // the refusal, or (with a key) why the key cannot run
	out     wallet.Answered
	key     idempotency.Verdict
}

// ticket is what step 1 learned of a tip that may go ahead.
type ticket struct {
	tipper, author account.User
	postID         string
	circle         *notify.CircleRef // nil for a moment
	amount, fee    int64
	dailyCap       int64
	hold           time.Duration
	anonymous      bool
	text           string // the post's start, for the author's notification
}

func (c *tipCall) circleKey() string {
	if c.ticket.circle == nil {
		return ""
	}
	return c.ticket.circle.ID
}

// answer decides c: the tip, or a refusal.
func (c *tipCall) answer(t Tip, err error) {
	c.decided, c.tip, c.err = true, t, err
	if c.Answer != nil {
		c.out, c.err = wallet.Answered{Response: c.Answer(t, err)}, nil
	}
}

// Tip sends a tip as SendTip does, settled in a batch with the other tips
// asked for at the same moment (see above). With a key, the response is
// recorded in the same transaction as the money, and a retry gets it back
// without moving money again. Errors are what is not recorded: a key
// reused for another request or still in progress, and faults (then
// nothing was written).
func (s *Service) Tip(ctx context.Context, tc TipCall) (wallet.Answered, error) {
	c := &tipCall{TipCall: tc}
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		c.ticket, c.refuse = s.prepareTip(ctx, q, tc.Actor, tc.PostID, tc.Request)
		if fault(c.refuse) {
			return c.refuse
		}
		return nil
	})
	if err != nil {
		return wallet.Answered{}, err
	}
	if c.refuse != nil && tc.Key == "" {
		return wallet.Answered{Response: tc.Answer(Tip{}, c.refuse)}, nil
	}
	if err := s.tips.Do(ctx, c); err != nil {
		return wallet.Answered{}, err
	}
	return c.out, c.err
}

// TipBatchStats returns how many batches of tips have committed and how
// many tips they settled.
func (s *Service) TipBatchStats() (batches, calls int64) {
	return s.tips.Stats()
}

// SendTip tips a post in tx: one ledger entry from tipper to author (less
// the circle's fee, which goes to the platform's fee account) written with
// the tip record, the tipper's running total on the post, the post's
// totals and the author's notification. The amount must lie within the
// circle's minimum and maximum and the tipper's daily cap in the circle,
// besides the tipper's own payment limits.
func (s *Service) SendTip(ctx context.Context, tx *store.Tx, a circle.Actor, postID string, req TipRequest) (Tip, error) {
	c := &tipCall{TipCall: TipCall{Actor: a, PostID: postID, Request: req}}
	if c.ticket, c.refuse = s.prepareTip(ctx, tx, a, postID, req); c.refuse != nil {
		return Tip{}, c.refuse
	}
	if err := s.settleTips(ctx, tx, []*tipCall{c}); err != nil {
		return Tip{}, err
	}
	return c.tip, c.err
}

// fault says err is ours (or a dependency's), not a refusal to record.
func fault(err error) bool {
	code := errs.CodeOf(err)
	return err != nil && (code == errs.Internal || code == errs.Unavailable)
}

// prepareTip is step 1: it judges a tip on what q shows.
func (s *Service) prepareTip(ctx context.Context, q store.Querier, a circle.Actor, postID string, req TipRequest) (*ticket, error) {
	if err := wallet.CheckAmount(req.Amount, wallet.MaxTransfer); err != nil {
		return nil, err
	}
	pl, err := s.open(ctx, q, a, postID)
	if err != nil {
		return nil, err
	}
	if err := s.mayTip(ctx, q, pl); err != nil {
		return nil, err
	}
	set := tipsOf(pl)
	if req.Amount < set.Min || req.Amount > set.Max {
		return nil, (&errs.Error{Code: CodeTipRange, Field: "amount", Message: fmt.Sprintf("A tip here is from %s to %s; %s is outside that.",
			ledger.Format(set.Min), ledger.Format(set.Max), ledger.Format(req.Amount))}).
			Say("zh", "这里每次打赏 %s 到 %s；%s 不在这个范围内。", ledger.Format(set.Min), ledger.Format(set.Max), ledger.Format(req.Amount))
	}
	author, err := s.accounts.UserByID(ctx, q, pl.authorID)
	if err != nil {
		return nil, err
	}
	t := &ticket{tipper: a.User, author: author, postID: pl.ID, amount: req.Amount, fee: set.Fee(req.Amount),
		dailyCap: set.DailyCap, hold: holdOf(pl), anonymous: req.Anonymous, text: snippet(pl.Text)}
	if pl.circle != nil {
		t.circle = &notify.CircleRef{ID: pl.circle.ID, Slug: pl.circle.Slug, Name: pl.circle.Name}
	}
	return t, nil
}

// tipped is a post as a batch of tips read it, with their tips added.
type tipped struct {
	Post
	changed bool
}

// settleTips is step 2: it settles calls in tx.
func (s *Service) settleTips(ctx context.Context, tx *store.Tx, calls []*tipCall) error {
	for _, c := range calls {
		c.decided, c.tip, c.err, c.out = false, Tip{}, nil, wallet.Answered{}
	}
	keyed, err := s.checkTipKeys(ctx, tx, calls)
	if err != nil {
		return err
	}
	for _, c := range openTips(calls) {
		if c.refuse != nil {
			c.answer(Tip{}, c.refuse)
		}
	}
	live := openTips(calls)
	if len(live) == 0 {
		return s.recordTipKeys(ctx, tx, keyed)
	}
	// What may have changed since step 1, and what money depends on: a
	// statement or so each.
	var postIDs []string
	var pairs [][2]string
	var tippers, accounts []string
	daily := map[[2]string]int64{} // (tipper, circle key) → tipped today
	fees := false
	for _, c := range live {
		t := c.ticket
		postIDs = append(postIDs, t.postID)
		pairs = append(pairs, [2]string{t.tipper.ID, t.author.ID})
		tippers = append(tippers, t.tipper.ID)
		accounts = append(accounts, ledger.WalletID(t.tipper.ID), ledger.WalletID(t.author.ID))
		daily[[2]string{t.tipper.ID, c.circleKey()}] = 0
		fees = fees || t.fee > 0
	}
	if fees {
		accounts = append(accounts, ledger.Fees)
	}
	posts, err := lockPosts(ctx, tx, postIDs)
	if err != nil {
		return err
	}
	reported, err := reportedAmong(ctx, tx, postIDs)
	if err != nil {
		return err
	}
	blocked, err := social.BlockedAmong(ctx, tx, pairs)
	if err != nil {
		return err
	}
	day := tx.Now.Unix() / 86400
	if err := tippedOn(ctx, tx, day, daily); err != nil {
		return err
	}
	pay, err := s.wallet.NewPayments(ctx, tx, tippers, accounts)
	if err != nil {
		return err
	}
	// Each tip in order, against what those before it left.
	added := map[[2]string]int64{}
	var tips []tipRow
	var notes []notify.Note
	for _, c := range live {
		t := c.ticket
		p := posts[t.postID]
		switch {
		case p == nil || p.Status == Deleted:
			c.answer(Tip{}, notFound(t.postID))
			continue
		case p.Status != Published:
			c.answer(Tip{}, errs.E(CodeInReview, "This post is waiting for review; it cannot be tipped until it is published.").
				Say("zh", "这条帖子正在等待审核；发布之前不能%s。", verbZH("tip this post")))
			continue
		case reported[t.postID]:
			c.answer(Tip{}, errReported())
			continue
		case blocked[[2]string{t.tipper.ID, t.author.ID}]:
			c.answer(Tip{}, social.BlockedError(t.author.Handle, "tip this post"))
			continue
		}
		k := [2]string{t.tipper.ID, c.circleKey()}
		if used := daily[k] + added[k]; used+t.amount > t.dailyCap {
			c.answer(Tip{}, tipCapError(t.dailyCap, max(t.dailyCap-used, 0), t.amount))
			continue
		}
		tr, err := pay.Pay(t.tipper, t.author, t.amount, t.fee, "tip on post "+t.postID, "tip", t.hold > 0)
		if err != nil {
			c.answer(Tip{}, err)
			continue
		}
		added[k] += t.amount
		tip := Tip{ID: store.NewID(tx.Now), PostID: t.postID, To: t.author.Handle, Amount: t.amount, Fee: t.fee, Currency: ledger.Currency,
			Anonymous: t.anonymous, Status: TipReleased, EntryID: tr.EntryID, TransferID: tr.ID, CreatedAt: tx.Now}
		if t.hold > 0 {
			at := tx.Now.Add(t.hold)
			tip.Status, tip.ReleaseAt = TipHeld, &at
		}
		tips = append(tips, tipRow{Tip: tip, tipper: t.tipper.ID, author: t.author.ID, circle: c.circleKey()})
		p.Tips.Count++
		p.Tips.Total += t.amount
		p.changed = true
		notes = append(notes, notify.Note{UserID: t.author.ID, Kind: notify.KindTip, ActorID: t.tipper.ID, CircleID: c.circleKey(),
			PostID: t.postID, Amount: t.amount, Text: t.text,
			Actor: &notify.Person{Handle: t.tipper.Handle, DisplayName: t.tipper.DisplayName}, Circle: t.circle})
		c.answer(tip, nil)
	}
	// Then the writes.
	if err := pay.Flush(ctx); err != nil {
		return err
	}
	if err := writeTips(ctx, tx, tips); err != nil {
		return err
	}
	if err := addTipped(ctx, tx, day, added, live); err != nil {
		return err
	}
	if err := s.recount(ctx, tx, posts); err != nil {
		return err
	}
	if s.Notifier != nil && len(notes) > 0 {
		if err := s.Notifier.AddAll(ctx, tx, notes); err != nil {
			return err
		}
	}
	return s.recordTipKeys(ctx, tx, keyed)
}

// openTips returns the calls not yet decided.
func openTips(calls []*tipCall) []*tipCall {
	var out []*tipCall
	for _, c := range calls {
		if !c.decided {
			out = append(out, c)
		}
	}
	return out
}

func (c *tipCall) Keyed() *idempotency.Verdict { return &c.key }

// checkTipKeys judges the idempotency keys of calls, deciding those with
// a recorded answer (replayed) or a refusal, and returns the other keyed
// calls, whose answers recordTipKeys records.
func (s *Service) checkTipKeys(ctx context.Context, tx *store.Tx, calls []*tipCall) ([]*tipCall, error) {
	for _, c := range calls {
		c.key = idempotency.Verdict{}
		if c.Key != "" {
			c.key.Attempt = &idempotency.Attempt{Scope: c.Actor.User.ID, Key: c.Key, Hash: c.Hash}
		}
	}
	run, err := idempotency.CheckCalls(ctx, tx, s.keys, calls)
	for _, c := range calls {
		switch {
		case c.key.Refusal != nil:
			c.decided, c.err = true, c.key.Refusal
		case c.key.Replay != nil:
			c.decided, c.out = true, wallet.Answered{Response: *c.key.Replay, Replayed: true}
		}
	}
	return run, err
}

func (s *Service) recordTipKeys(ctx context.Context, tx *store.Tx, run []*tipCall) error {
	return idempotency.RecordCalls(ctx, tx, s.keys, run, func(c *tipCall) idempotency.Response { return c.out.Response })
}

// lockPosts reads the posts ids name (on PostgreSQL locking them, in id
// order, before any ledger account, as every tip does), with their
// counts.
func lockPosts(ctx context.Context, tx *store.Tx, ids []string) (map[string]*tipped, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	lock := ""
	if tx.Engine() == store.Postgres {
		lock = " FOR UPDATE"
	}
	out := make(map[string]*tipped, len(ids))
	err := store.Chunks(len(ids), func(lo, hi int) error {
		args := make([]any, hi-lo)
		for i, id := range ids[lo:hi] {
			args[i] = id
		}
		rows, err := tx.Query(ctx, `SELECT id, COALESCE(circle_id, ''), status, like_count, comment_count, tip_count, tip_total, created_at
			FROM posts WHERE id IN (`+store.List(hi-lo, 1)+`) ORDER BY id`+lock, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p := &tipped{}
			if err := rows.Scan(&p.ID, &p.circleID, &p.Status, &p.Likes, &p.Comments, &p.Tips.Count, &p.Tips.Total, &p.CreatedAt); err != nil {
				return err
			}
			out[p.ID] = p
		}
		return rows.Err()
	})
	return out, err
}

// reportedAmong returns which of the posts wait for a moderator's
// decision on a report.
func reportedAmong(ctx context.Context, q store.Querier, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := store.Chunks(len(ids), func(lo, hi int) error {
		args := make([]any, hi-lo)
		for i, id := range ids[lo:hi] {
			args[i] = id
		}
		got, err := store.Strings(ctx, q, `SELECT target_id FROM report_cases WHERE kind = 'post' AND status = 'open'
			AND target_id IN (`+store.List(hi-lo, 1)+`)`, args...)
		for _, id := range got {
			out[id] = true
		}
		return err
	})
	return out, err
}

// errReported refuses a tip on a reported post.
func errReported() error {
	return errs.E(CodeReported, "This post was reported and waits for a moderator's decision; it cannot be tipped until then.")
}

// tipCapError is the refusal of a tip over the tipper's daily cap in a
// circle, of which left is left today.
func tipCapError(limit, left, amount int64) error {
	return (&errs.Error{Code: CodeTipCap, Field: "amount", Message: fmt.Sprintf(
		"You may tip up to %s a day here; %s is left today, less than %s.", ledger.Format(limit), ledger.Format(left), ledger.Format(amount))}).
		Say("zh", "你在这里每天最多打赏 %s；今天还剩 %s，不够 %s。", ledger.Format(limit), ledger.Format(left), ledger.Format(amount))
}

// tippedOn reads into daily what each (tipper, circle key) in it has
// tipped on day.
func tippedOn(ctx context.Context, tx *store.Tx, day int64, daily map[[2]string]int64) error {
	keys := make([][2]string, 0, len(daily))
	for k := range daily {
		keys = append(keys, k)
	}
	return store.Chunks(len(keys), func(lo, hi int) error {
		args := []any{day}
		for _, k := range keys[lo:hi] {
			args = append(args, k[0], k[1])
		}
		rows, err := tx.Query(ctx, `SELECT tipper_id, circle_key, amount FROM tip_daily
			WHERE day = $1 AND (tipper_id, circle_key) IN (VALUES `+store.Values(hi-lo, 2, 2)+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k [2]string
			var n int64
			if err := rows.Scan(&k[0], &k[1], &n); err != nil {
				return err
			}
			daily[k] = n
		}
		return rows.Err()
	})
}

// addTipped adds what each tipper tipped in each circle to the day's
// totals. The totals were read without a lock; if another transaction
// added to one meanwhile and took it over its cap, the batch runs again
// and sees it.
func addTipped(ctx context.Context, tx *store.Tx, day int64, added map[[2]string]int64, calls []*tipCall) error {
	caps := map[[2]string]int64{}
	for _, c := range calls {
		caps[[2]string{c.ticket.tipper.ID, c.circleKey()}] = c.ticket.dailyCap
	}
	keys := make([][2]string, 0, len(added))
	for k := range added {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return slices.Compare(a[:], b[:]) })
	return store.Chunks(len(keys), func(lo, hi int) error {
		args := make([]any, 0, 4*(hi-lo))
		for _, k := range keys[lo:hi] {
			args = append(args, k[0], k[1], day, added[k])
		}
		rows, err := tx.Query(ctx, `INSERT INTO tip_daily (tipper_id, circle_key, day, amount) VALUES `+store.Values(hi-lo, 4, 1)+`
			ON CONFLICT (tipper_id, circle_key, day) DO UPDATE SET amount = tip_daily.amount + excluded.amount
			RETURNING tipper_id, circle_key, amount`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k [2]string
			var total int64
			if err := rows.Scan(&k[0], &k[1], &total); err != nil {
				return err
			}
			if total > caps[k] {
				return store.Retry("another tip added to today's total of the same tipper")
			}
		}
		return rows.Err()
	})
}

// tipRow is a tip to write, with its people.
type tipRow struct {
	Tip
	tipper, author, circle string
}

// writeTips writes the tips and adds them to their tippers' totals on
// each post. A tipper's total shows their name unless every tip of theirs
// on the post was anonymous.
func writeTips(ctx context.Context, tx *store.Tx, tips []tipRow) error {
	err := store.Chunks(len(tips), func(lo, hi int) error {
		args := make([]any, 0, 12*(hi-lo))
		for _, t := range tips[lo:hi] {
			var cid, releaseAt any
			if t.circle != "" {
				cid = t.circle
			}
			if t.ReleaseAt != nil {
				releaseAt = *t.ReleaseAt
			}
			args = append(args, t.ID, t.PostID, t.tipper, t.author, cid, t.Amount, t.Fee, t.Anonymous, t.EntryID, t.CreatedAt, t.Status, releaseAt)
		}
		_, err := tx.Exec(ctx, `INSERT INTO tips (id, post_id, tipper_id, author_id, circle_id, amount, fee, anonymous, entry_id, created_at, status, release_at)
			VALUES `+store.Values(hi-lo, 12, 1), args...)
		return err
	})
	if err != nil {
		return err
	}
	type total struct {
		amount    int64
		tips      int
		anonymous bool
	}
	totals := map[[2]string]*total{}
	var keys [][2]string
	for _, t := range tips {
		k := [2]string{t.PostID, t.tipper}
		if totals[k] == nil {
			totals[k] = &total{anonymous: true}
			keys = append(keys, k)
		}
		tt := totals[k]
		tt.amount += t.Amount
		tt.tips++
		tt.anonymous = tt.anonymous && t.Anonymous
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return slices.Compare(a[:], b[:]) })
	return store.Chunks(len(keys), func(lo, hi int) error {
		args := make([]any, 0, 6*(hi-lo))
		for _, k := range keys[lo:hi] {
			t := totals[k]
			args = append(args, k[0], k[1], t.amount, t.tips, t.anonymous, tx.Now)
		}
		_, err := tx.Exec(ctx, `INSERT INTO post_tippers (post_id, tipper_id, total, tips, anonymous, last_at) VALUES `+store.Values(hi-lo, 6, 1)+`
			ON CONFLICT (post_id, tipper_id) DO UPDATE SET total = post_tippers.total + excluded.total, tips = post_tippers.tips + excluded.tips,
				anonymous = post_tippers.anonymous AND excluded.anonymous, last_at = excluded.last_at`, args...)
		return err
	})
}

// recount writes the tip totals and hot scores of the posts a batch
// tipped, and drops their circles' cached pages on this node.
func (s *Service) recount(ctx context.Context, tx *store.Tx, posts map[string]*tipped) error {
	var ps []*tipped
	for _, p := range posts {
		if p.changed {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b *tipped) int { return cmp.Compare(a.ID, b.ID) })
	err := store.Chunks(len(ps), func(lo, hi int) error {
		args := make([]any, 0, 4*(hi-lo))
		for _, p := range ps[lo:hi] {
			args = append(args, p.ID, p.Tips.Count, p.Tips.Total, p.rescore())
		}
		_, err := tx.Exec(ctx, `UPDATE posts SET tip_count = v.column2, tip_total = v.column3, hot = v.column4
			FROM (VALUES `+store.Values(hi-lo, 4, 1, "", "INTEGER", "BIGINT", "DOUBLE PRECISION")+`) AS v WHERE posts.id = v.column1`, args...)
		return err
	})
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := s.changed(ctx, tx, p.circleID, p.ID, false); err != nil {
			return err
		}
	}
	return nil
}
