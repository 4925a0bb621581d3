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
	at, key, ok, err := p.AfterTime()
	if err != nil {
		return nil, "", err
	}
	if ok {
		where = `AND (e.created_at < $4 OR (e.created_at = $4 AND e.id < $5))`
		args = append(args, at, key)
	}
	rows, err := s.db.Query(ctx, historySelect+`WHERE p.account_id = $1 `+where+historyGroup+`
		ORDER BY e.created_at DESC, e.id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []Transaction
	if err := scanHistory(rows, func(tr Transaction) error { out = append(out, tr); return nil }); err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(t Transaction) []string { return []string{store.Micros(t.CreatedAt), t.EntryID} })
	return out, next, nil
}

// historySelect and historyGroup frame the queries over a wallet's
// postings: $1 is the wallet, $2 the user (to tell the counterparty).
const historySelect = `SELECT e.id, e.kind, e.memo, e.created_at,
		SUM(CASE WHEN p.bucket = 'available' THEN p.amount ELSE 0 END),
		SUM(CASE WHEN p.bucket = 'held' THEN p.amount ELSE 0 END),
		COALESCE(CASE WHEN t.from_user = $2 THEN tu.handle ELSE fu.handle END, '')
	FROM postings p
	JOIN journal_entries e ON e.id = p.entry_id
	LEFT JOIN transfers t ON t.entry_id = e.id
	LEFT JOIN users fu ON fu.id = t.from_user
	LEFT JOIN users tu ON tu.id = t.to_user
	`

const historyGroup = `
	GROUP BY e.id, e.kind, e.memo, e.created_at, t.from_user, fu.handle, tu.handle`

func scanHistory(rows *store.Rows, each func(Transaction) error) error {
	defer rows.Close()
	for rows.Next() {
		tr := Transaction{Currency: ledger.Currency, Status: "completed"}
		if err := rows.Scan(&tr.EntryID, &tr.Kind, &tr.Memo, &tr.CreatedAt, &tr.Amount, &tr.Held, &tr.Counterparty); err != nil {
			return err
		}
		if err := each(tr); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MaxStatementDays bounds one statement.
const MaxStatementDays = 366

// CheckStatementRange says whether a statement may cover from to to.
func CheckStatementRange(from, to time.Time) error {
	if !from.Before(to) {
		return errs.Field("to", "The statement's end must be after its start.")
	}
	if to.Sub(from) > MaxStatementDays*24*time.Hour {
		return errs.Field("to", "A statement covers at most %d days; ask for several.", MaxStatementDays)
	}
	return nil
}

// Statement calls each for every movement of a user's wallet from from
// (inclusive) to to (exclusive), oldest first.
func (s *Service) Statement(ctx context.Context, userID string, from, to time.Time, each func(Transaction) error) error {
	if err := CheckStatementRange(from, to); err != nil {
		return err
	}
	rows, err := s.db.Query(ctx, historySelect+`WHERE p.account_id = $1 AND e.created_at >= $3 AND e.created_at < $4 `+historyGroup+`
		ORDER BY e.created_at, e.id`, ledger.WalletID(userID), userID, from, to)
	if err != nil {
		return err
	}
	return scanHistory(rows, each)
}
