package wallet

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
)

// HistoryFilter narrows a wallet history. The zero filter keeps every
// movement.
type HistoryFilter struct {
	// Kinds are the journal entry kinds to keep (topup, transfer, payment,
	// tip, tip_release, tip_refund, withdrawal_hold …); none: every kind.
	Kinds []string
	// Direction keeps money coming in ("in") or going out ("out"): the
	// sign of the change to the available balance, or, for a movement
	// that touches only the held balance, of that change.
	Direction string
	// From and To bound the time: at or after From, before To. A zero
	// time leaves that side open.
	From, To time.Time
}

// maxFilterKinds bounds the kinds one filter may name.
const maxFilterKinds = 20

// Check says what is wrong with a filter, if anything.
func (f HistoryFilter) Check() error {
	switch f.Direction {
	case "", "in", "out":
	default:
		return errs.Field("direction", "The direction is in or out.")
	}
	if len(f.Kinds) > maxFilterKinds {
		return errs.Field("kind", "Filter by at most %d kinds at once.", maxFilterKinds)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return errs.Field("to", "The end of the date range must be after its start.")
	}
	return nil
}

// FilteredHistory lists a user's wallet movements that pass f, newest
// first, a page at a time (keyset pagination on time and entry id, as
// History).
func (s *Service) FilteredHistory(ctx context.Context, userID string, f HistoryFilter, p store.Page) ([]Transaction, string, error) {
	if err := f.Check(); err != nil {
		return nil, "", err
	}
	args := []any{ledger.WalletID(userID), userID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var where strings.Builder
	if len(f.Kinds) > 0 {
		marks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			marks[i] = arg(k)
		}
		where.WriteString(` AND e.kind IN (` + strings.Join(marks, ", ") + `)`)
	}
	if !f.From.IsZero() {
		where.WriteString(` AND e.created_at >= ` + arg(f.From))
	}
	if !f.To.IsZero() {
		where.WriteString(` AND e.created_at < ` + arg(f.To))
	}
	at, key, ok, err := p.AfterTime()
	if err != nil {
		return nil, "", err
	}
	if ok {
		a, k := arg(at), arg(key)
		where.WriteString(` AND (e.created_at < ` + a + ` OR (e.created_at = ` + a + ` AND e.id < ` + k + `))`)
	}
	const avail = `SUM(CASE WHEN p.bucket = 'available' THEN p.amount ELSE 0 END)`
	const held = `SUM(CASE WHEN p.bucket = 'held' THEN p.amount ELSE 0 END)`
	having := ""
	switch f.Direction {
	case "in":
		having = ` HAVING ` + avail + ` > 0 OR (` + avail + ` = 0 AND ` + held + ` > 0)`
	case "out":
		having = ` HAVING ` + avail + ` < 0 OR (` + avail + ` = 0 AND ` + held + ` < 0)`
	}
	limit := arg(p.Limit + 1)
	rows, err := s.db.Query(ctx, historySelect+`WHERE p.account_id = $1`+where.String()+historyGroup+having+`
		ORDER BY e.created_at DESC, e.id DESC LIMIT `+limit, args...)
	if err != nil {
		return nil, "", err
	}
	var out []Transaction
	if err := scanHistory(rows, func(tr Transaction) error { out = append(out, tr); return nil }); err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(t Transaction) []string { return []string{store.Micros(t.CreatedAt), t.EntryID} })
	return out, next, nil
}
