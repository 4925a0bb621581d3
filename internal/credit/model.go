package credit

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
)

// The computed score is the floor, Min, plus points from five factors,
// each with a cap; together the caps reach Max. Every factor says what the
// user has and what would raise it, so the score explains itself.
const (
	maxIdentity = 140 // verified identity level 0–3
	maxAge      = 120 // account age, up to two years
	maxActivity = 120 // completed wallet movements, up to 200
	maxVolume   = 80  // money moved, up to ¥10,000 (log scale)
	maxStanding = 140 // full unless payouts failed or reversals happened
)

// Inputs are what a score is computed from.
type Inputs struct {
	IdentityLevel  int64 // verified, 0–3
	AccountAgeDays int64
	Movements      int64 // completed wallet movements
	Volume         int64 // minor units moved, in and out
	Reversals      int64 // entries on the wallet that reversed an earlier one
	FailedPayouts  int64 // withdrawals the bank returned
	UpheldReports  int64 // report cases against the user (or their content) that moderators upheld
	Strikes        int64 // strikes moderators gave the user
}

// Factor is one part of a score.
type Factor struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Value  string `json:"value"` // what the user has, in words
	Points int    `json:"points"`
	Max    int    `json:"max"`
	Raise  string `json:"raise,omitempty"` // how to gain points here; empty at the cap
}

// Compute scores inputs: the score and its factors.
func Compute(in Inputs) (int, []Factor) {
	level := min(max(in.IdentityLevel, 0), 3)
	identity := Factor{Key: "identity", Name: "Verified identity", Value: fmt.Sprintf("level %d of 3", level),
		Points: int(level) * maxIdentity / 3, Max: maxIdentity}
	if level < 3 {
		identity.Raise = fmt.Sprintf("Verify your identity to level %d.", level+1)
	}
	days := max(in.AccountAgeDays, 0)
	age := Factor{Key: "account_age", Name: "Account age", Value: fmt.Sprintf("%d days", days),
		Points: int(min(days, 730) * maxAge / 730), Max: maxAge}
	if days < 730 {
		age.Raise = "Points grow with your account's age, up to two years."
	}
	moves := max(in.Movements, 0)
	activity := Factor{Key: "activity", Name: "Payment history", Value: fmt.Sprintf("%d completed payments", moves),
		Points: int(min(moves, 200) * maxActivity / 200), Max: maxActivity}
	if moves < 200 {
		activity.Raise = "Pay, collect and top up: each completed payment counts, up to 200."
	}
	vol := max(in.Volume, 0)
	volPoints := 0
	if vol > 0 {
		volPoints = int(math.Min(1, math.Log10(float64(vol))/6) * maxVolume) // ¥10,000 = 1,000,000 fen = 10^6
	}
	volume := Factor{Key: "volume", Name: "Money moved", Value: ledger.Format(vol), Points: volPoints, Max: maxVolume}
	if volPoints < maxVolume {
		volume.Raise = "The more money moves through your wallet, the more points, up to ¥10,000."
	}
	marks := in.Reversals + in.FailedPayouts + in.UpheldReports + in.Strikes
	standing := Factor{Key: "standing", Name: "Standing", Points: max(maxStanding-int(min(marks, 4))*maxStanding/4, 0), Max: maxStanding}
	var parts []string
	for _, p := range []struct {
		n    int64
		what string
	}{{in.Reversals, "reversed payment"}, {in.FailedPayouts, "failed payout"}, {in.UpheldReports, "upheld report"}, {in.Strikes, "moderation strike"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.what)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", p.n, p.what))
		}
	}
	standing.Value = "a clean record"
	if len(parts) > 0 {
		standing.Value = strings.Join(parts, ", ")
		standing.Raise = "Each reversal, failed payout, upheld report or strike costs points; they stop counting after a year."
	}
	factors := []Factor{identity, age, activity, volume, standing}
	score := Min
	for _, f := range factors {
		score += f.Points
	}
	return min(score, Max), factors
}

// Report is a user's score with its factors.
type Report struct {
	Score     int       `json:"score"`
	Source    string    `json:"source"` // computed, or external:<source> (an imported score is the score)
	Computed  int       `json:"computed"`
	Factors   []Factor  `json:"factors"`
	UpdatedAt time.Time `json:"updated_at"`
	History   []Change  `json:"history"` // the latest changes, newest first
}

// Change is one change of a stored score.
type Change struct {
	Score  int       `json:"score"`
	Source string    `json:"source"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// History returns a user's latest n score changes, newest first.
func History(ctx context.Context, q store.Querier, userID string, n int) ([]Change, error) {
	rows, err := q.Query(ctx, `SELECT score, source, reason, at FROM credit_score_history WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, userID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.Score, &c.Source, &c.Reason, &c.At); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Person is whom a score is for.
type Person struct {
	ID        string
	CreatedAt time.Time
}

// Gather reads the inputs of each of users from the ledger and the wallet's
// records; identity levels come from the caller (the accounts part owns
// them). Marks older than a year do not count.
func Gather(ctx context.Context, q store.Querier, users []Person, levels map[string]int64, now time.Time) (map[string]Inputs, error) {
	out := make(map[string]Inputs, len(users))
	for _, u := range users {
		out[u.ID] = Inputs{IdentityLevel: levels[u.ID], AccountAgeDays: int64(now.Sub(u.CreatedAt) / (24 * time.Hour))}
	}
	since := now.AddDate(-1, 0, 0)
	err := store.Chunks(len(users), func(lo, hi int) error {
		wallets := make([]any, 0, hi-lo)
		ids := make([]any, 0, hi-lo)
		for _, u := range users[lo:hi] {
			wallets = append(wallets, ledger.WalletID(u.ID))
			ids = append(ids, u.ID)
		}
		rows, err := q.Query(ctx, `SELECT p.account_id, COUNT(*), COALESCE(SUM(ABS(p.amount)), 0),
			COALESCE(SUM(CASE WHEN e.reverses IS NOT NULL AND e.created_at > $1 THEN 1 ELSE 0 END), 0)
			FROM postings p JOIN journal_entries e ON e.id = p.entry_id
			-- A held tip released, or refunded because its post was
			-- removed, is neither a payment of the user's nor their fault.
			WHERE e.kind NOT IN ('tip_release', 'tip_refund') AND p.account_id IN (`+store.List(hi-lo, 2)+`) GROUP BY p.account_id`, append([]any{since}, wallets...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var wallet string
			var n, vol, rev int64
			if err := rows.Scan(&wallet, &n, &vol, &rev); err != nil {
				rows.Close()
				return err
			}
			id := strings.TrimPrefix(wallet, "w_")
			in := out[id]
			in.Movements, in.Volume, in.Reversals = n, vol, rev
			out[id] = in
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Marks counted per user: payouts that came back, reports against
		// them that moderators upheld, and strikes (warnings, mutes, bans,
		// suspensions) but those taken with an upheld report, which
		// counts already, and the platform shutting a circle they own.
		for _, m := range []struct {
			query string
			set   func(*Inputs, int64)
		}{
			{`SELECT user_id, COUNT(*) FROM withdrawals WHERE status = 'reversed' AND updated_at > $1
				AND user_id IN (` + store.List(hi-lo, 2) + `) GROUP BY user_id`, func(in *Inputs, n int64) { in.FailedPayouts = n }},
			{`SELECT subject_id, COUNT(*) FROM report_cases WHERE status = 'upheld' AND decided_at > $1
				AND subject_id IN (` + store.List(hi-lo, 2) + `) GROUP BY subject_id`, func(in *Inputs, n int64) { in.UpheldReports = n }},
			{`SELECT user_id, COUNT(*) FROM strikes WHERE revoked_at IS NULL AND case_id IS NULL AND kind <> 'shut' AND created_at > $1
				AND user_id IN (` + store.List(hi-lo, 2) + `) GROUP BY user_id`, func(in *Inputs, n int64) { in.Strikes = n }},
		} {
			rows, err := q.Query(ctx, m.query, append([]any{since}, ids...)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				var n int64
				if err := rows.Scan(&id, &n); err != nil {
					rows.Close()
					return err
				}
				in := out[id]
				m.set(&in, n)
				out[id] = in
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Save stores computed scores in tx, keeping history for each change;
// a user with an imported (external) score keeps it. It returns the users
// whose stored score changed.
func Save(ctx context.Context, tx *store.Tx, scores map[string]int) ([]string, error) {
	var changed []string
	for id, score := range scores {
		var cur int
		var src string
		err := tx.QueryRow(ctx, `SELECT score, source FROM credit_scores WHERE user_id = $1`, id).Scan(&cur, &src)
		switch {
		case err == nil && (strings.HasPrefix(src, "external:") || cur == score):
			continue
		case err != nil && err != store.ErrNoRows:
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO credit_scores (user_id, score, source, reason, updated_at) VALUES ($1, $2, 'computed', '', $3)
			ON CONFLICT (user_id) DO UPDATE SET score = excluded.score, source = excluded.source, reason = '', updated_at = excluded.updated_at`,
			id, score, tx.Now); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO credit_score_history (id, user_id, score, source, reason, at) VALUES ($1, $2, $3, 'computed', '', $4)`,
			store.NewID(tx.Now), id, score, tx.Now); err != nil {
			return nil, err
		}
		changed = append(changed, id)
	}
	return changed, nil
}
