// Package credit owns the credit score (350–950) that policies read as
// user.credit_score. This is its first part: the one place the score is
// kept, imported by an admin or an integration with its source and reason,
// with history and an audit entry. Computing it from explainable factors
// comes with the credit issue.
package credit

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Score bounds.
const (
	Min = 350
	Max = 950
)

// Score is a user's credit score and where it came from.
type Score struct {
	Score     int       `json:"score"`
	Source    string    `json:"source"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Of returns a user's score, or nil if they have none yet.
func Of(ctx context.Context, q store.Querier, userID string) (*Score, error) {
	var s Score
	err := q.QueryRow(ctx, `SELECT score, source, updated_at FROM credit_scores WHERE user_id = $1`, userID).Scan(&s.Score, &s.Source, &s.UpdatedAt)
	if err == store.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// OfMany returns the scores of those of users who have one.
func OfMany(ctx context.Context, q store.Querier, users []string) (map[string]*Score, error) {
	out := make(map[string]*Score, len(users))
	err := store.Chunks(len(users), func(lo, hi int) error {
		args := make([]any, hi-lo)
		for i, u := range users[lo:hi] {
			args[i] = u
		}
		rows, err := q.Query(ctx, `SELECT user_id, score, source, updated_at FROM credit_scores WHERE user_id IN (`+store.List(hi-lo, 1)+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			var s Score
			if err := rows.Scan(&u, &s.Score, &s.Source, &s.UpdatedAt); err != nil {
				return err
			}
			out[u] = &s
		}
		return rows.Err()
	})
	return out, err
}

// Import sets a user's score from an outside source, in tx, keeping the
// history and an audit entry. actorID is empty for the command line and
// the demo.
func Import(ctx context.Context, tx *store.Tx, actorID, userID string, score int, source, reason string) (Score, error) {
	if score < Min || score > Max {
		return Score{}, errs.Field("score", "A credit score is from %d to %d; %d is not.", Min, Max, score)
	}
	source = strings.TrimSpace(source)
	if source == "" || utf8.RuneCountInString(source) > 64 {
		return Score{}, errs.Field("source", "Name where the score comes from (at most 64 characters).")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return Score{}, errs.Field("reason", "Say why the score is set (at most 500 characters); it is audited.")
	}
	src := "external:" + source
	if _, err := tx.Exec(ctx, `INSERT INTO credit_scores (user_id, score, source, reason, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET score = excluded.score, source = excluded.source, reason = excluded.reason, updated_at = excluded.updated_at`,
		userID, score, src, reason, tx.Now); err != nil {
		return Score{}, err
	}
	var actor any
	if actorID != "" {
		actor = actorID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO credit_score_history (id, user_id, score, source, reason, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		store.NewID(tx.Now), userID, score, src, reason, actor, tx.Now); err != nil {
		return Score{}, err
	}
	if err := audit.Record(ctx, tx, actorID, "credit.import", "user", userID, map[string]any{"score": score, "source": src, "reason": reason}); err != nil {
		return Score{}, err
	}
	return Score{Score: score, Source: src, UpdatedAt: tx.Now}, nil
}

// InputsSubject is the subject of the event that says the inputs of some
// users' scores changed: money moved in their wallets, a verification of
// theirs was decided, a moderator upheld a report or gave a strike. The
// event is written in the same transaction as the change; servers hear
// it and recompute those scores shortly after, outside the request.
const InputsSubject = "credit.inputs"

// InputsChanged is the data of an InputsSubject event.
type InputsChanged struct {
	Users []string `json:"users"` // distinct user ids
}
