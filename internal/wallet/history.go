package wallet

import (
	"context"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
)

// Transaction is one line of a user's wallet history.
type Transaction struct {
	EntryID string `json:"entry_id"`
	Kind    string `json:"kind"` // topup, transfer …
	// Amount is the change to the available balance: positive in,
	// negative out.
	Amount int64 `json:"amount"`
	// Held is the change to the held balance (a withdrawal's hold and its
	// settlement or return).
	Held         int64     `json:"held"`
	Currency     string    `json:"currency"`
	Memo         string    `json:"memo,omitempty"`
	Counterparty string    `json:"counterparty,omitempty"` // the other user's handle
	Status       string    `json:"status"`                 // completed: only booked entries are listed
	CreatedAt    time.Time `json:"created_at"`
}

// History lists a user's wallet movements, newest first.
func (s *Service) History(ctx context.Context, userID string, p store.Page) ([]Transaction, string, error) {
	args := []any{ledger.WalletID(userID), userID, p.Limit + 1}
	where := ""
	if len(p.After) == 2 {
		at, err := store.ParseMicros(p.After[0])
		if err != nil {
			return nil, "", err
		}
		where = `AND (e.created_at < $4 OR (e.created_at = $4 AND e.id < $5))`
		args = append(args, at, p.After[1])
	} else if len(p.After) != 0 {
		return nil, "", errs.E(errs.InvalidCursor, "The cursor is not one this server gave out; start again from the first page.")
	}
	rows, err := s.db.Query(ctx, `SELECT e.id, e.kind, e.memo, e.created_at,
			SUM(CASE WHEN p.bucket = 'available' THEN p.amount ELSE 0 END),
			SUM(CASE WHEN p.bucket = 'held' THEN p.amount ELSE 0 END),
			COALESCE(CASE WHEN t.from_user = $2 THEN tu.handle ELSE fu.handle END, '')
		FROM postings p
		JOIN journal_entries e ON e.id = p.entry_id
		LEFT JOIN transfers t ON t.entry_id = e.id
		LEFT JOIN users fu ON fu.id = t.from_user
		LEFT JOIN users tu ON tu.id = t.to_user
		WHERE p.account_id = $1 `+where+`
		GROUP BY e.id, e.kind, e.memo, e.created_at, t.from_user, fu.handle, tu.handle
		ORDER BY e.created_at DESC, e.id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []Transaction
	for rows.Next() {
		tr := Transaction{Currency: ledger.Currency, Status: "completed"}
		if err := rows.Scan(&tr.EntryID, &tr.Kind, &tr.Memo, &tr.CreatedAt, &tr.Amount, &tr.Held, &tr.Counterparty); err != nil {
			return nil, "", err
		}
		out = append(out, tr)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(t Transaction) []string { return []string{store.Micros(t.CreatedAt), t.EntryID} })
	return out, next, nil
}
