package wallet

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
)

// Why a payment request cannot be paid.
const (
	CodeRequestExpired   errs.Code = "payment_request_expired"
	CodeRequestPaid      errs.Code = "payment_request_paid"
	CodeRequestCancelled errs.Code = "payment_request_cancelled"
)

// PaymentRequest asks others for money ("collect").
type PaymentRequest struct {
	ID        string     `json:"id"`
	Code      string     `json:"code"`    // short, for typing in or a QR image
	PayURL    string     `json:"pay_url"` // what a QR image encodes
	Payee     string     `json:"payee"`   // handle
	Amount    int64      `json:"amount"`
	Currency  string     `json:"currency"`
	Memo      string     `json:"memo,omitempty"`
	SingleUse bool       `json:"single_use"`
	Status    string     `json:"status"` // open, paid, cancelled (and "expired" when past expires_at)
	Payments  int        `json:"payments"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// NewPaymentRequest is what a payee asks for.
type NewPaymentRequest struct {
	Amount    int64
	Currency  string
	Memo      string
	SingleUse bool
	ExpiresAt *time.Time
}

// codeAlphabet leaves out letters that read like digits (I, L, O, U).
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func newCode() string {
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b) // 60 random bits
}

// RequestPayment creates a payment request.
func (s *Service) RequestPayment(ctx context.Context, payee account.User, req NewPaymentRequest) (PaymentRequest, error) {
	var pr PaymentRequest
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		pr, err = s.RequestPaymentIn(ctx, tx, payee, req)
		return err
	})
	return pr, err
}

// RequestPaymentIn creates a payment request inside tx: with the record of
// an idempotency key, say, so that a form sent twice makes one request.
func (s *Service) RequestPaymentIn(ctx context.Context, tx *store.Tx, payee account.User, req NewPaymentRequest) (PaymentRequest, error) {
	if err := CheckAmount(req.Amount, MaxTransfer); err != nil {
		return PaymentRequest{}, err
	}
	if err := CheckCurrency(req.Currency); err != nil {
		return PaymentRequest{}, err
	}
	memo, err := checkMemo(req.Memo)
	if err != nil {
		return PaymentRequest{}, err
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(tx.Now) {
		return PaymentRequest{}, errs.Field("expires_at", "The expiry must be in the future.")
	}
	pr := PaymentRequest{ID: store.NewID(tx.Now), Code: newCode(), Payee: payee.Handle, Amount: req.Amount, Currency: ledger.Currency,
		Memo: memo, SingleUse: req.SingleUse, Status: "open", ExpiresAt: req.ExpiresAt, CreatedAt: tx.Now}
	var expires any
	if req.ExpiresAt != nil {
		expires = req.ExpiresAt.UTC()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO payment_requests (id, code, payee_id, amount, currency, memo, single_use, status, expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $9)`,
		pr.ID, pr.Code, payee.ID, pr.Amount, pr.Currency, pr.Memo, pr.SingleUse, expires, tx.Now); err != nil {
		return PaymentRequest{}, err
	}
	pr.PayURL = payURL(pr.Code)
	return pr, nil
}

func payURL(code string) string { return "quanzi://pay/" + code }

const requestSelect = `SELECT r.id, r.code, u.handle, r.payee_id, r.amount, r.currency, r.memo, r.single_use, r.status, r.expires_at, r.created_at,
	(SELECT COUNT(*) FROM payment_request_payments p WHERE p.request_id = r.id)
	FROM payment_requests r JOIN users u ON u.id = r.payee_id `

// PaymentRequestByRef finds a request by its id or its code.
func (s *Service) PaymentRequestByRef(ctx context.Context, q store.Querier, ref string) (PaymentRequest, string, error) {
	var pr PaymentRequest
	var payeeID string
	err := q.QueryRow(ctx, requestSelect+`WHERE r.id = $1 OR r.code = $1`, ref).
		Scan(&pr.ID, &pr.Code, &pr.Payee, &payeeID, &pr.Amount, &pr.Currency, &pr.Memo, &pr.SingleUse, &pr.Status, &pr.ExpiresAt, &pr.CreatedAt, &pr.Payments)
	if err == store.ErrNoRows {
		return pr, "", errs.E(errs.NotFound, "There is no payment request %q.", errs.Clip(ref, 40))
	}
	if err != nil {
		return pr, "", err
	}
	pr.PayURL = payURL(pr.Code)
	if pr.Status == "open" && pr.ExpiresAt != nil && !pr.ExpiresAt.After(s.db.Now()) {
		pr.Status = "expired"
	}
	return pr, payeeID, nil
}

// PayRequest pays a payment request from payer's wallet, in tx: a transfer
// to the payee, recorded against the request, which closes if single-use.
func (s *Service) PayRequest(ctx context.Context, tx *store.Tx, payer account.User, ref string) (Transfer, error) {
	pr, payeeID, err := s.PaymentRequestByRef(ctx, tx, ref)
	if err != nil {
		return Transfer{}, err
	}
	switch pr.Status {
	case "expired":
		return Transfer{}, errs.E(CodeRequestExpired, "This payment request expired on %s; ask @%s for a new one.", pr.ExpiresAt.Format("2006-01-02 15:04 UTC"), pr.Payee)
	case "paid":
		return Transfer{}, errs.E(CodeRequestPaid, "This payment request has already been paid.")
	case "cancelled":
		return Transfer{}, errs.E(CodeRequestCancelled, "@%s cancelled this payment request.", pr.Payee)
	}
	payee, err := s.accounts.UserByID(ctx, tx, payeeID)
	if err != nil {
		return Transfer{}, err
	}
	memo := pr.Memo
	if memo == "" {
		memo = "payment request " + pr.Code
	}
	t, err := s.send(ctx, tx, payer, payee, pr.Amount, 0, memo, "payment", false)
	if err != nil {
		return Transfer{}, err
	}
	if pr.SingleUse {
		// Two payers at once: the status condition lets one close it; the
		// other's transaction fails and nothing of it is kept.
		res, err := tx.Exec(ctx, `UPDATE payment_requests SET status = 'paid', updated_at = $1 WHERE id = $2 AND status = 'open'`, tx.Now, pr.ID)
		if err != nil {
			return Transfer{}, err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return Transfer{}, errs.E(CodeRequestPaid, "This payment request has just been paid by someone else.")
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO payment_request_payments (id, request_id, payer_id, transfer_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
		store.NewID(tx.Now), pr.ID, payer.ID, t.ID, tx.Now)
	return t, err
}

// CancelRequest closes an open request; only its payee may.
func (s *Service) CancelRequest(ctx context.Context, payee account.User, ref string) (PaymentRequest, error) {
	var pr PaymentRequest
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var payeeID string
		var err error
		if pr, payeeID, err = s.PaymentRequestByRef(ctx, tx, ref); err != nil {
			return err
		}
		if payeeID != payee.ID {
			return errs.E(errs.NotFound, "There is no payment request %q of yours.", errs.Clip(ref, 40))
		}
		res, err := tx.Exec(ctx, `UPDATE payment_requests SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'open'`, tx.Now, pr.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "This payment request is already %s.", pr.Status)
		}
		pr.Status = "cancelled"
		return nil
	})
	return pr, err
}
