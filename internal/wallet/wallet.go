// Package wallet is what people do with their money: see it, top it up
// from a funding source, and send it to each other. Every movement is one
// ledger entry written in one transaction together with its business
// record (a transfer, a top-up).
package wallet

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
)

// Bounds on single movements, in minor units. Limits that depend on a
// user's verification level come on top of these.
const (
	MaxTopup    = 5_000_000   // ¥50,000
	MaxTransfer = 100_000_000 // ¥1,000,000
	maxMemo     = 200
)

// Error codes.
const (
	CodeCurrencyMismatch   errs.Code = "currency_mismatch"
	CodePaymentDeclined    errs.Code = "payment_declined"
	CodeGatewayUnavailable errs.Code = "gateway_unavailable"
	CodeRecipient          errs.Code = "recipient_unavailable"
)

// Service runs wallet operations.
type Service struct {
	db       *store.DB
	accounts *account.Service
	gateway  Gateway
	keys     *idempotency.Store
	batches  *store.Batcher[call]
}

// New returns the wallet service.
func New(db *store.DB, accounts *account.Service, gateway Gateway) *Service {
	s := &Service{db: db, accounts: accounts, gateway: gateway, keys: idempotency.New(db)}
	s.batches = store.NewBatcher(db, Settlers(db.Engine), s.settleIn)
	return s
}

// Wallet is a user's money.
type Wallet struct {
	Currency  string `json:"currency"`
	Available int64  `json:"available"`
	Held      int64  `json:"held"`
}

// Balance returns a user's wallet.
func (s *Service) Balance(ctx context.Context, userID string) (Wallet, error) {
	b, err := ledger.BalanceOf(ctx, s.db, ledger.WalletID(userID))
	return Wallet{Currency: ledger.Currency, Available: b.Available, Held: b.Held}, err
}

// CheckAmount validates an amount of money from a client.
func CheckAmount(amount, max int64) error {
	if amount <= 0 {
		return errs.Field("amount", "The amount must be a positive whole number of fen (1250 is ¥12.50); it is %d.", amount)
	}
	if amount > max {
		return errs.Field("amount", "The amount may be at most %s; it is %s.", ledger.Format(max), ledger.Format(amount))
	}
	return nil
}

// CheckCurrency accepts an empty currency (meaning the wallet's) or the
// wallet's own.
func CheckCurrency(c string) error {
	if c != "" && c != ledger.Currency {
		return &errs.Error{Code: CodeCurrencyMismatch, Field: "currency",
			Message: "Wallets hold " + ledger.Currency + "; " + errs.Clip(c, 10) + " is not accepted."}
	}
	return nil
}

func checkMemo(memo string) (string, error) {
	memo = strings.TrimSpace(memo)
	if !utf8.ValidString(memo) || utf8.RuneCountInString(memo) > maxMemo {
		return "", errs.Field("memo", "The memo must be text of at most %d characters.", maxMemo)
	}
	return memo, nil
}

// Transfer is money sent from one user to another.
type Transfer struct {
	ID        string    `json:"id"`
	From      string    `json:"from"` // handles
	To        string    `json:"to"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	Memo      string    `json:"memo,omitempty"`
	EntryID   string    `json:"entry_id"`
	CreatedAt time.Time `json:"created_at"`
}

// TransferRequest is what a sender asks for.
type TransferRequest struct {
	To       string // handle
	Amount   int64
	Currency string
	Memo     string
}

// Send moves money from sender to another user in tx: one ledger entry and
// one transfer record. Every check happens before anything is written.
func (s *Service) Send(ctx context.Context, tx *store.Tx, sender account.User, req TransferRequest) (Transfer, error) {
	memo, err := checkTransfer(req)
	if err != nil {
		return Transfer{}, err
	}
	to, err := s.accounts.UserByHandle(ctx, tx, req.To)
	if errs.Is(err, errs.NotFound) {
		return Transfer{}, noRecipient(req.To)
	}
	if err != nil {
		return Transfer{}, err
	}
	return s.send(ctx, tx, sender, to, req.Amount, 0, memo, "transfer", false)
}

// checkTransfer checks what a transfer request says on its own, and
// returns its memo, tidied.
func checkTransfer(req TransferRequest) (string, error) {
	if err := CheckAmount(req.Amount, MaxTransfer); err != nil {
		return "", err
	}
	if err := CheckCurrency(req.Currency); err != nil {
		return "", err
	}
	memo, err := checkMemo(req.Memo)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(req.To) == "" {
		return "", errs.Field("to", "Say whom to pay: the recipient's handle is required.")
	}
	return memo, nil
}

func noRecipient(handle string) error {
	return &errs.Error{Code: CodeRecipient, Field: "to", Message: "There is no user @" + errs.Clip(strings.TrimPrefix(strings.TrimSpace(handle), "@"), 40) + " to pay."}
}

// Tip books a tip of amount from tipper to author in tx, of which fee goes
// to the platform's fee account: one ledger entry and one transfer record,
// under the tipper's payment limits. The caller checks the amount against
// its own rules (a circle's minimum and maximum) and records the tip.
func (s *Service) Tip(ctx context.Context, tx *store.Tx, tipper, author account.User, amount, fee int64, memo string, held bool) (Transfer, error) {
	if err := CheckAmount(amount, MaxTransfer); err != nil {
		return Transfer{}, err
	}
	if fee < 0 || fee >= amount {
		return Transfer{}, errs.E(errs.Internal, "wallet: a tip's fee %d is not below its amount %d", fee, amount)
	}
	return s.send(ctx, tx, tipper, author, amount, fee, memo, "tip", held)
}

// ReleaseHeld makes amount of the user's held money free to spend, in
// tx: one entry (kind says why, e.g. tip_release) from the held part of
// their wallet to its available part.
func (s *Service) ReleaseHeld(ctx context.Context, tx *store.Tx, userID string, amount int64, kind, memo string) (ledger.Entry, error) {
	return ledger.Post(ctx, tx, ledger.Entry{Kind: kind, Memo: memo, Postings: []ledger.Posting{
		ledger.HeldInWallet(userID, -amount), ledger.ToWallet(userID, amount)}})
}

// Refund reverses a payment's entry exactly, once, in tx: money held for
// its recipient goes back to its sender (and a fee back from the
// platform).
func (s *Service) Refund(ctx context.Context, tx *store.Tx, entryID, kind, memo string) (ledger.Entry, error) {
	return ledger.Reverse(ctx, tx, entryID, kind, memo)
}

// send books a transfer between two users whose accounts are known; fee,
// if any, goes to the platform's fee account out of what to receives,
// which lands in the held part of their wallet if held.
func (s *Service) send(ctx context.Context, tx *store.Tx, sender, to account.User, amount, fee int64, memo, kind string, held bool) (Transfer, error) {
	if err := checkRecipient(sender, to); err != nil {
		return Transfer{}, err
	}
	if err := s.checkLimits(ctx, tx, sender, amount); err != nil {
		return Transfer{}, err
	}
	// A sender without a wallet has nothing (insufficient funds); a
	// recipient's wallet opens with the first money it receives.
	entry, err := ledger.Post(ctx, tx, ledger.Entry{Kind: kind, Memo: memo, Postings: postings(sender, to, amount, fee, held)})
	if err != nil {
		return Transfer{}, err
	}
	t := Transfer{ID: store.NewID(tx.Now), From: sender.Handle, To: to.Handle, Amount: amount, Currency: ledger.Currency,
		Memo: memo, EntryID: entry.ID, CreatedAt: tx.Now}
	_, err = tx.Exec(ctx, `INSERT INTO transfers (id, from_user, to_user, amount, currency, memo, entry_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, t.ID, sender.ID, to.ID, t.Amount, t.Currency, t.Memo, t.EntryID, tx.Now)
	if err != nil {
		return Transfer{}, err
	}
	return t, s.accounts.CreditChanged(ctx, tx, sender.ID, to.ID)
}

// checkRecipient refuses a transfer to oneself or to a disabled account.
func checkRecipient(sender, to account.User) error {
	if to.ID == sender.ID {
		return errs.Field("to", "You cannot send money to yourself.")
	}
	if to.Status != account.StatusActive {
		return &errs.Error{Code: CodeRecipient, Field: "to", Message: "@" + to.Handle + "'s account is disabled and cannot receive money."}
	}
	return nil
}

// Topup is money coming in from a funding source.
type Topup struct {
	ID            string    `json:"id"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Source        string    `json:"source"`
	Status        string    `json:"status"` // pending, succeeded, declined
	DeclineReason string    `json:"decline_reason,omitempty"`
	EntryID       string    `json:"entry_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// TopupRequest asks for money from a funding source.
type TopupRequest struct {
	Amount   int64
	Currency string
	Source   string // default SourceSandbox
	// Key is the client's Idempotency-Key, if any: a retry with the same
	// key finds the same top-up, so the gateway never charges twice.
	Key string
}

// ChargeTopup records a top-up and has the gateway charge it. It returns
// the top-up and the gateway's receipt, ready for CompleteTopup (an empty
// receipt when the top-up was already booked), or an error: a decline
// (payment_declined; the top-up is recorded as declined) or a gateway that
// did not answer (gateway_unavailable; the top-up stays pending, and a
// retry with the same key, or Reconcile, finishes it).
func (s *Service) ChargeTopup(ctx context.Context, user account.User, req TopupRequest) (Topup, Receipt, error) {
	if err := CheckAmount(req.Amount, MaxTopup); err != nil {
		return Topup{}, Receipt{}, err
	}
	if err := CheckCurrency(req.Currency); err != nil {
		return Topup{}, Receipt{}, err
	}
	if req.Source == "" {
		req.Source = SourceSandbox
	}
	if len(req.Source) > 64 {
		return Topup{}, Receipt{}, errs.Field("source", "The funding source name is too long.")
	}
	var t Topup
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := ledger.OpenWallet(ctx, tx, user.ID); err != nil {
			return err
		}
		var key any
		if req.Key != "" {
			key = req.Key
		}
		if _, err := tx.Exec(ctx, `INSERT INTO topups (id, user_id, amount, currency, source, status, idem_key, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7) ON CONFLICT (user_id, idem_key) DO NOTHING`,
			store.NewID(tx.Now), user.ID, req.Amount, ledger.Currency, req.Source, key, tx.Now); err != nil {
			return err
		}
		var err error
		if req.Key != "" {
			t, err = scanTopup(tx.QueryRow(ctx, topupSelect+`WHERE user_id = $1 AND idem_key = $2`, user.ID, req.Key))
			if err == nil && (t.Amount != req.Amount || t.Source != req.Source) {
				return errs.E(idempotency.CodeMismatch, "This Idempotency-Key was already used for a different top-up; use a new key for a new request.")
			}
		} else {
			t, err = scanTopup(tx.QueryRow(ctx, topupSelect+`WHERE user_id = $1 AND idem_key IS NULL ORDER BY created_at DESC, id DESC LIMIT 1`, user.ID))
		}
		return err
	})
	if err != nil {
		return Topup{}, Receipt{}, err
	}
	switch t.Status {
	case "declined":
		return t, Receipt{}, declined(t.DeclineReason)
	case "succeeded":
		return t, Receipt{}, nil
	}
	receipt, err := s.charge(ctx, t)
	if err != nil {
		return t, Receipt{}, err
	}
	return t, receipt, nil
}

// charge asks the gateway for a pending top-up's money, recording a
// decline.
func (s *Service) charge(ctx context.Context, t Topup) (Receipt, error) {
	receipt, err := s.gateway.Charge(ctx, Charge{Ref: t.ID, Amount: t.Amount, Source: t.Source})
	var no ErrDeclined
	if errors.As(err, &no) {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE topups SET status = 'declined', decline_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'pending'`,
				no.Reason, tx.Now, t.ID)
			return err
		})
		if err != nil {
			return Receipt{}, err
		}
		return Receipt{}, declined(no.Reason)
	}
	if err != nil {
		return Receipt{}, &errs.Error{Code: CodeGatewayUnavailable, RetryAfter: 2 * time.Second, Err: err,
			Message: "The payment gateway did not confirm the charge. Nothing is lost: retry with the same Idempotency-Key, or the top-up completes when the gateway is reconciled."}
	}
	return receipt, nil
}

// Reconcile settles top-ups left pending (the gateway did not answer, or
// the server stopped between charge and booking) once they are older than
// minAge: it asks the gateway again — charging is idempotent by top-up — and
// books or declines each. It returns how many it settled.
func (s *Service) Reconcile(ctx context.Context, minAge time.Duration) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT id, user_id FROM topups WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT 100`,
		s.db.Now().Add(-minAge))
	if err != nil {
		return 0, err
	}
	type pending struct{ id, user string }
	var list []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.id, &p.user); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, p)
	}
	rows.Close()
	settled := 0
	for _, p := range list {
		t, err := s.topup(ctx, s.db, p.user, p.id)
		if err != nil {
			return settled, err
		}
		receipt, err := s.charge(ctx, t)
		if errs.Is(err, CodePaymentDeclined) {
			settled++
			continue
		}
		if err != nil {
			continue // still no answer: try again next time
		}
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := s.CompleteTopup(ctx, tx, p.user, t, receipt)
			return err
		})
		if err == nil {
			settled++
		} else if !errs.Is(err, idempotency.CodeInProgress) {
			return settled, err
		}
	}
	return settled, nil
}

func declined(reason string) error {
	return errs.E(CodePaymentDeclined, "The payment was declined: %s. Nothing was charged.", reason)
}

// CompleteTopup books a charged top-up in tx: the ledger entry from the
// funding source and the status "succeeded". A top-up already booked (an
// empty receipt) is returned as it is.
func (s *Service) CompleteTopup(ctx context.Context, tx *store.Tx, userID string, charged Topup, receipt Receipt) (Topup, error) {
	if receipt.GatewayRef == "" {
		return s.topup(ctx, tx, userID, charged.ID)
	}
	entry, err := ledger.Post(ctx, tx, ledger.Entry{Kind: "topup", Memo: "top-up from " + charged.Source, Postings: []ledger.Posting{
		{Account: ledger.Funding, Bucket: ledger.Available, Amount: -charged.Amount},
		ledger.ToWallet(userID, charged.Amount),
	}})
	if err != nil {
		return Topup{}, err
	}
	res, err := tx.Exec(ctx, `UPDATE topups SET status = 'succeeded', gateway_ref = $1, entry_id = $2, updated_at = $3
		WHERE id = $4 AND status = 'pending'`, receipt.GatewayRef, entry.ID, tx.Now, charged.ID)
	if err != nil {
		return Topup{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		// Another attempt booked it first: this transaction must not add a
		// second entry, so it fails and rolls back.
		return Topup{}, errs.E(idempotency.CodeInProgress, "This top-up is being completed by another request.")
	}
	if err := s.accounts.CreditChanged(ctx, tx, userID); err != nil {
		return Topup{}, err
	}
	return s.topup(ctx, tx, userID, charged.ID)
}

const topupSelect = `SELECT id, amount, currency, source, status, decline_reason, COALESCE(entry_id, ''), created_at FROM topups `

func scanTopup(row *store.Row) (Topup, error) {
	var t Topup
	err := row.Scan(&t.ID, &t.Amount, &t.Currency, &t.Source, &t.Status, &t.DeclineReason, &t.EntryID, &t.CreatedAt)
	if err == store.ErrNoRows {
		return t, errs.E(errs.NotFound, "There is no such top-up.")
	}
	return t, err
}

func (s *Service) topup(ctx context.Context, q store.Querier, userID, id string) (Topup, error) {
	return scanTopup(q.QueryRow(ctx, topupSelect+`WHERE id = $1 AND user_id = $2`, id, userID))
}
