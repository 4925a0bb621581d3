package wallet

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
)

// MaxWithdrawal bounds one withdrawal.
const MaxWithdrawal = 5_000_000 // ¥50,000

// CodeAlreadySettled is the answer to deciding a withdrawal twice.
const CodeAlreadySettled errs.Code = "withdrawal_decided"

// Withdrawal is money on its way to a bank account.
type Withdrawal struct {
	ID          string    `json:"id"`
	User        string    `json:"user"` // handle
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Destination string    `json:"destination"`
	Status      string    `json:"status"` // pending, settled, reversed
	Reason      string    `json:"reason,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// WithdrawRequest asks for money to leave.
type WithdrawRequest struct {
	Amount      int64
	Currency    string
	Destination string // the bank account, as the user names it
}

// Withdraw holds the amount in the user's wallet and records a pending
// withdrawal, in tx.
func (s *Service) Withdraw(ctx context.Context, tx *store.Tx, user account.User, req WithdrawRequest) (Withdrawal, error) {
	if err := CheckAmount(req.Amount, MaxWithdrawal); err != nil {
		return Withdrawal{}, err
	}
	if err := CheckCurrency(req.Currency); err != nil {
		return Withdrawal{}, err
	}
	dest := strings.TrimSpace(req.Destination)
	if !utf8.ValidString(dest) || utf8.RuneCountInString(dest) < 4 || utf8.RuneCountInString(dest) > 100 {
		return Withdrawal{}, errs.Field("destination", "Name the bank account to pay out to, in 4 to 100 characters.")
	}
	if err := s.checkLimits(ctx, tx, user, req.Amount); err != nil {
		return Withdrawal{}, err
	}
	wallet := ledger.WalletID(user.ID)
	hold, err := ledger.Post(ctx, tx, ledger.Entry{Kind: "withdrawal_hold", Memo: "withdrawal to " + dest, Postings: []ledger.Posting{
		{Account: wallet, Bucket: ledger.Available, Amount: -req.Amount},
		{Account: wallet, Bucket: ledger.Held, Amount: req.Amount},
	}})
	if err != nil {
		return Withdrawal{}, err
	}
	w := Withdrawal{ID: store.NewID(tx.Now), User: user.Handle, Amount: req.Amount, Currency: ledger.Currency,
		Destination: dest, Status: "pending", CreatedAt: tx.Now, UpdatedAt: tx.Now}
	_, err = tx.Exec(ctx, `INSERT INTO withdrawals (id, user_id, amount, currency, destination, status, hold_entry, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7)`, w.ID, user.ID, w.Amount, w.Currency, w.Destination, hold.ID, tx.Now)
	if err != nil {
		return Withdrawal{}, err
	}
	return w, s.accounts.CreditChanged(ctx, tx, user.ID)
}

// SettleWithdrawal records the gateway's report that the money reached the
// bank: the hold leaves the wallet. actorID is the operator (empty for the
// command line).
func (s *Service) SettleWithdrawal(ctx context.Context, tx *store.Tx, actorID, id string) (Withdrawal, error) {
	return s.decideWithdrawal(ctx, tx, actorID, id, "settled", "")
}

// ReverseWithdrawal records that the payout failed: the hold returns to
// available, exactly.
func (s *Service) ReverseWithdrawal(ctx context.Context, tx *store.Tx, actorID, id, reason string) (Withdrawal, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return Withdrawal{}, errs.Field("reason", "Say why the withdrawal is reversed (at most 500 characters); the user sees it.")
	}
	return s.decideWithdrawal(ctx, tx, actorID, id, "reversed", reason)
}

func (s *Service) decideWithdrawal(ctx context.Context, tx *store.Tx, actorID, id, to, reason string) (Withdrawal, error) {
	w, userID, err := s.withdrawal(ctx, tx, id)
	if err != nil {
		return Withdrawal{}, err
	}
	if w.Status != "pending" {
		return Withdrawal{}, errs.E(CodeAlreadySettled, "This withdrawal is already %s.", w.Status)
	}
	wallet := ledger.WalletID(userID)
	e := ledger.Entry{Kind: "withdrawal_settle", Memo: "withdrawal to " + w.Destination, Postings: []ledger.Posting{
		{Account: wallet, Bucket: ledger.Held, Amount: -w.Amount},
		{Account: ledger.Funding, Bucket: ledger.Available, Amount: w.Amount},
	}}
	if to == "reversed" {
		e = ledger.Entry{Kind: "withdrawal_reverse", Memo: "withdrawal returned: " + reason, Postings: []ledger.Posting{
			{Account: wallet, Bucket: ledger.Held, Amount: -w.Amount},
			{Account: wallet, Bucket: ledger.Available, Amount: w.Amount},
		}}
	}
	entry, err := ledger.Post(ctx, tx, e)
	if err != nil {
		return Withdrawal{}, err
	}
	var actor any
	if actorID != "" {
		actor = actorID
	}
	// The status condition makes two deciders at once safe: one matches.
	res, err := tx.Exec(ctx, `UPDATE withdrawals SET status = $1, reason = $2, final_entry = $3, decided_by = $4, updated_at = $5
		WHERE id = $6 AND status = 'pending'`, to, reason, entry.ID, actor, tx.Now, id)
	if err != nil {
		return Withdrawal{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Withdrawal{}, errs.E(CodeAlreadySettled, "This withdrawal was decided by someone else just now.")
	}
	if to == "reversed" {
		if err := releaseDaily(ctx, tx, userID, w.CreatedAt, w.Amount); err != nil {
			return Withdrawal{}, err
		}
	}
	if err := audit.Record(ctx, tx, actorID, "withdrawal."+to, "withdrawal", id, map[string]any{"amount": w.Amount, "reason": reason}); err != nil {
		return Withdrawal{}, err
	}
	if err := s.accounts.CreditChanged(ctx, tx, userID); err != nil { // a failed payout costs standing
		return Withdrawal{}, err
	}
	w.Status, w.Reason, w.UpdatedAt = to, reason, tx.Now
	return w, nil
}

func (s *Service) withdrawal(ctx context.Context, q store.Querier, id string) (Withdrawal, string, error) {
	var w Withdrawal
	var userID string
	err := q.QueryRow(ctx, `SELECT w.id, u.handle, w.user_id, w.amount, w.currency, w.destination, w.status, w.reason, w.created_at, w.updated_at
		FROM withdrawals w JOIN users u ON u.id = w.user_id WHERE w.id = $1`, id).
		Scan(&w.ID, &w.User, &userID, &w.Amount, &w.Currency, &w.Destination, &w.Status, &w.Reason, &w.CreatedAt, &w.UpdatedAt)
	if err == store.ErrNoRows {
		return w, "", errs.E(errs.NotFound, "There is no withdrawal %q.", errs.Clip(id, 40))
	}
	return w, userID, err
}
