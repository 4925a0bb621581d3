package wallet

import (
	"context"
	"fmt"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
)

// Limits bound the money a user may send, by how well their identity is
// verified: a stolen or fake account can do little harm.
type Limits struct {
	PerPayment int64 // one transfer, payment or withdrawal
	Daily      int64 // all of them together, per UTC day
}

// LimitsByLevel maps a verified identity level (0 for none) to its limits.
var LimitsByLevel = map[int64]Limits{
	0: {PerPayment: 50_000, Daily: 100_000},         // ¥500, ¥1,000
	1: {PerPayment: 500_000, Daily: 2_000_000},      // ¥5,000, ¥20,000
	2: {PerPayment: 5_000_000, Daily: 20_000_000},   // ¥50,000, ¥200,000
	3: {PerPayment: 20_000_000, Daily: 100_000_000}, // ¥200,000, ¥1,000,000
}

// PINThreshold: a payment above it needs the payment PIN.
const PINThreshold = 20_000 // ¥200

// CodeLimitExceeded is the refusal of a payment over a limit.
const CodeLimitExceeded errs.Code = "limit_exceeded"

var levelNames = map[int64]string{0: "unverified accounts", 1: "identity level 1", 2: "identity level 2", 3: "identity level 3"}

// CodeFrozen refuses money leaving the wallet of a suspended account.
const CodeFrozen errs.Code = "wallet_frozen"

// frozen is the refusal for a sender under suspension sp.
func frozen(sp account.Suspension) error {
	return errs.E(CodeFrozen, "Your wallet is frozen while your account is suspended %s: money can still come in, but none can go out (no transfers, payments, tips or withdrawals).", sp.Ends())
}

// checkLimits refuses an outgoing amount from a suspended account's
// frozen wallet, or over the sender's limits, saying which limit and how
// much is left.
func (s *Service) checkLimits(ctx context.Context, tx *store.Tx, sender account.User, amount int64) error {
	if sp, err := account.SuspensionOf(ctx, tx, sender.ID, tx.Now); err != nil {
		return err
	} else if sp != nil {
		return frozen(*sp)
	}
	levels, err := s.accounts.IdentityLevels(ctx, tx, []string{sender.ID})
	if err != nil {
		return err
	}
	level := levels[sender.ID]
	if err := overPerPayment(level, amount); err != nil {
		return err
	}
	// Reserve the amount against today's total in one statement: the
	// update happens only if it stays within the limit. The payment's
	// transaction (or savepoint) undoes it if the payment fails later.
	day := dayOf(tx.Now)
	var total int64
	err = tx.QueryRow(ctx, `INSERT INTO outgoing_daily (user_id, day, amount) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, day) DO UPDATE SET amount = outgoing_daily.amount + excluded.amount
		WHERE outgoing_daily.amount + excluded.amount <= $4
		RETURNING amount`, sender.ID, day, amount, limitsOf(level).Daily).Scan(&total)
	if err == store.ErrNoRows {
		var used int64
		if err := tx.QueryRow(ctx, `SELECT amount FROM outgoing_daily WHERE user_id = $1 AND day = $2`, sender.ID, day).Scan(&used); err != nil {
			return err
		}
		return overDaily(level, amount, used)
	}
	return err
}

func limitsOf(level int64) Limits {
	if l, ok := LimitsByLevel[level]; ok {
		return l
	}
	return LimitsByLevel[0]
}

func raiseAdvice(level int64) string {
	if level < 3 {
		return " Verify your identity to raise it."
	}
	return ""
}

// overPerPayment refuses an amount over the per-payment limit of level.
func overPerPayment(level, amount int64) error {
	l := limitsOf(level)
	if amount <= l.PerPayment {
		return nil
	}
	return &errs.Error{Code: CodeLimitExceeded, Field: "amount",
		Message: fmt.Sprintf("%s is over the limit of %s per payment for %s.%s", ledger.Format(amount), ledger.Format(l.PerPayment), levelNames[level], raiseAdvice(level)),
		Extra:   map[string]any{"limit": "per_payment", "max": l.PerPayment, "remaining": l.PerPayment}}
}

// overDaily refuses an amount that, on top of used, is over the daily
// limit of level.
func overDaily(level, amount, used int64) error {
	l := limitsOf(level)
	if used+amount <= l.Daily {
		return nil
	}
	left := max(l.Daily-used, 0)
	return &errs.Error{Code: CodeLimitExceeded, Field: "amount",
		Message: fmt.Sprintf("%s is over today's limit of %s for %s: %s is left today (the day turns at 00:00 UTC).%s",
			ledger.Format(amount), ledger.Format(l.Daily), levelNames[level], ledger.Format(left), raiseAdvice(level)),
		Extra: map[string]any{"limit": "daily", "max": l.Daily, "remaining": left}}
}

func dayOf(t time.Time) int64 { return t.Unix() / 86400 }

// releaseDaily gives back an amount reserved on the day of at (a
// withdrawal that was returned).
func releaseDaily(ctx context.Context, tx *store.Tx, userID string, at time.Time, amount int64) error {
	_, err := tx.Exec(ctx, `UPDATE outgoing_daily SET amount = amount - $1 WHERE user_id = $2 AND day = $3 AND amount >= $1`,
		amount, userID, dayOf(at))
	return err
}
