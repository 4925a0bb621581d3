package account

import (
	"context"
	"fmt"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// PIN errors.
const (
	CodePINRequired  errs.Code = "pin_required"
	CodePINIncorrect errs.Code = "pin_incorrect"
	CodePINLocked    errs.Code = "pin_locked"
)

// MaxPINFailures is how many wrong PINs in a row lock it.
const MaxPINFailures = 5

func checkPINFormat(pin string) error {
	if len(pin) != 6 {
		return errs.Field("pin", "A payment PIN is exactly 6 digits.")
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return errs.Field("pin", "A payment PIN is exactly 6 digits.")
		}
	}
	return nil
}

// SetPIN sets (or resets, unlocking it) the user's payment PIN, after
// checking the account password.
func (s *Service) SetPIN(ctx context.Context, user User, password, pin string) error {
	if err := checkPINFormat(pin); err != nil {
		return err
	}
	var hash string
	if err := s.db.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, user.ID).Scan(&hash); err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, password, hash)
	if err != nil {
		return err
	}
	if !ok {
		return &errs.Error{Code: CodeInvalidCredentials, Field: "password", Message: "The account password is incorrect."}
	}
	pinHash, err := s.hasher.Hash(ctx, pin)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO payment_pins (user_id, pin_hash, failures, locked, updated_at) VALUES ($1, $2, 0, FALSE, $3)
			ON CONFLICT (user_id) DO UPDATE SET pin_hash = excluded.pin_hash, failures = 0, locked = FALSE, updated_at = excluded.updated_at`,
			user.ID, pinHash, tx.Now)
		return err
	})
}

// HasPIN says whether the user has set a payment PIN.
func (s *Service) HasPIN(ctx context.Context, userID string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM payment_pins WHERE user_id = $1`, userID).Scan(&n)
	return n > 0, err
}

// CheckPIN verifies a payment PIN. A wrong one is counted (in its own
// transaction, so the count survives the payment being refused); the
// fifth in a row locks the PIN.
func (s *Service) CheckPIN(ctx context.Context, userID, pin string) error {
	var hash string
	var failures int
	var locked bool
	err := s.db.QueryRow(ctx, `SELECT pin_hash, failures, locked FROM payment_pins WHERE user_id = $1`, userID).Scan(&hash, &failures, &locked)
	if err == store.ErrNoRows {
		return &errs.Error{Code: CodePINRequired, Field: "pin", Message: "This payment needs your payment PIN, and you have not set one: set it at PUT /api/v1/me/payment-pin."}
	}
	if err != nil {
		return err
	}
	if locked {
		return errs.E(CodePINLocked, "Your payment PIN is locked after %d wrong tries; reset it with your account password.", MaxPINFailures)
	}
	if pin == "" {
		return &errs.Error{Code: CodePINRequired, Field: "pin", Message: "This payment needs your 6-digit payment PIN."}
	}
	ok := false
	if checkPINFormat(pin) == nil {
		if ok, _, err = s.hasher.Verify(ctx, pin, hash); err != nil {
			return err
		}
	}
	// The count must commit even though the answer is a refusal: the
	// refusal is returned after the transaction, not from inside it.
	var n int
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if ok {
			_, err := tx.Exec(ctx, `UPDATE payment_pins SET failures = 0 WHERE user_id = $1`, userID)
			return err
		}
		return tx.QueryRow(ctx, `UPDATE payment_pins SET failures = failures + 1, locked = (failures + 1 >= $1), updated_at = $2
			WHERE user_id = $3 RETURNING failures`, MaxPINFailures, tx.Now, userID).Scan(&n)
	})
	switch {
	case err != nil || ok:
		return err
	case n >= MaxPINFailures:
		return errs.E(CodePINLocked, "That payment PIN is wrong, and it is now locked after %d wrong tries; reset it with your account password.", MaxPINFailures)
	}
	return &errs.Error{Code: CodePINIncorrect, Field: "pin", Message: fmt.Sprintf("That payment PIN is wrong; %d tries left before it locks.", MaxPINFailures-n),
		Extra: map[string]any{"tries_left": MaxPINFailures - n}}
}
