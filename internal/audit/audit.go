// Package audit records what operators, reviewers and moderators did: who,
// what, to which thing, when, and the details. Entries are written in the
// same transaction as the action they describe, so neither exists without
// the other.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Entry is one recorded action.
type Entry struct {
	ID         string          `json:"id"`
	ActorID    string          `json:"actor_id,omitempty"`
	Actor      string          `json:"actor,omitempty"` // the actor's handle (in searches)
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

// Filter narrows a search of the audit log; empty fields match anything.
type Filter struct {
	ActorID    string    // who acted ("system" for the system's own acts)
	Action     string    // an action ("review.reject"), or a family of them ending in "." ("review.")
	TargetType string    // user, post, comment, flag, circle …
	TargetID   string    // with TargetType
	From, To   time.Time // at or after From, before To
}

// Search lists the entries matching f, newest first, a page at a time.
func Search(ctx context.Context, q store.Querier, f Filter, p store.Page) ([]Entry, string, error) {
	where, args := []string{"TRUE"}, []any{}
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	switch f.ActorID {
	case "":
	case "system":
		where = append(where, "a.actor_id IS NULL")
	default:
		arg("a.actor_id = ?", f.ActorID)
	}
	if strings.HasSuffix(f.Action, ".") {
		// A family: the prefix, matched as a range so the dot is literal.
		arg("a.action >= ?", f.Action)
		arg("a.action < ?", f.Action[:len(f.Action)-1]+"/") // '/' follows '.'
	} else if f.Action != "" {
		arg("a.action = ?", f.Action)
	}
	if f.TargetType != "" {
		arg("a.target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		arg("a.target_id = ?", f.TargetID)
	}
	if !f.From.IsZero() {
		arg("a.at >= ?", f.From)
	}
	if !f.To.IsZero() {
		arg("a.at < ?", f.To)
	}
	if at, key, ok, err := p.AfterTime(); err != nil {
		return nil, "", err
	} else if ok {
		args = append(args, at, key)
		n := len(args)
		where = append(where, fmt.Sprintf("(a.at < $%d OR (a.at = $%d AND a.id < $%d))", n-1, n-1, n))
	}
	rows, err := q.Query(ctx, `SELECT a.id, COALESCE(a.actor_id, ''), COALESCE(u.handle, ''), a.action, a.target_type, a.target_id, a.detail, a.at
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY a.at DESC, a.id DESC LIMIT `+strconv.Itoa(p.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var detail string
		if err := rows.Scan(&e.ID, &e.ActorID, &e.Actor, &e.Action, &e.TargetType, &e.TargetID, &detail, &e.At); err != nil {
			return nil, "", err
		}
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(e Entry) []string { return []string{store.Micros(e.At), e.ID} })
	return out, next, nil
}
