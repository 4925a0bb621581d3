// Package audit records what operators, reviewers and moderators did: who,
// what, to which thing, when, and the details. Entries are written in the
// same transaction as the action they describe, so neither exists without
// the other.
package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Entry is one recorded action.
type Entry struct {
	ID         string          `json:"id"`
	ActorID    string          `json:"actor_id,omitempty"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Detail     json.RawMessage `json:"detail"`
	At         time.Time       `json:"at"`
}

// Record writes an entry inside tx. actorID is empty for actions the
// system takes by itself.
func Record(ctx context.Context, tx *store.Tx, actorID, action, targetType, targetID string, detail any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return errs.Wrap(err, "encoding audit detail")
	}
	var actor any
	if actorID != "" {
		actor = actorID
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (id, actor_id, action, target_type, target_id, detail, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, store.NewID(tx.Now), actor, action, targetType, targetID, string(b), tx.Now)
	return err
}

// For lists the entries about one thing, newest first.
func For(ctx context.Context, q store.Querier, targetType, targetID string) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT id, COALESCE(actor_id, ''), action, target_type, target_id, detail, at
		FROM audit_log WHERE target_type = $1 AND target_id = $2 ORDER BY at DESC, id DESC LIMIT 200`, targetType, targetID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var detail string
		if err := rows.Scan(&e.ID, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID, &detail, &e.At); err != nil {
			return nil, err
		}
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	return out, rows.Err()
}
