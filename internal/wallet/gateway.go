package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/quanzi/quanzi/internal/store"
)

// Gateway takes money from a user's outside funding source (a bank card, a
// payment network). Charge must be idempotent by Ref: asked twice for one
// Ref, it charges once and answers the same both times.
type Gateway interface {
	Charge(ctx context.Context, c Charge) (Receipt, error)
}

// Charge asks a gateway for money.
type Charge struct {
	Ref    string // our top-up's id
	Amount int64
	Source string // which funding source; the gateway's own vocabulary
}

// Receipt is a gateway's proof of a charge.
type Receipt struct {
	GatewayRef string
}

// ErrDeclined is a gateway's final "no": nothing was charged.
type ErrDeclined struct{ Reason string }

func (e ErrDeclined) Error() string { return "declined: " + e.Reason }

// errNoAnswer stands for a gateway that charged and then failed to say so
// (a dropped connection, a timeout): the outcome is unknown to the caller.
var errNoAnswer = errors.New("the gateway did not answer")

// Sandbox sources. "sandbox" always succeeds; the others let tests and
// demos exercise the failure paths.
const (
	SourceSandbox          = "sandbox"
	SourceSandboxDecline   = "sandbox-decline"
	SourceSandboxNoAnswer  = "sandbox-fail-after-charge"
	sandboxDeclineReason   = "the card issuer declined the charge"
	sandboxNoAnswerMessage = "the sandbox charged and then dropped the connection"
)

// Sandbox is the default gateway: a pretend bank that keeps its book of
// charges in its own table, so it remembers what it charged across
// restarts, as a real one would.
type Sandbox struct {
	db *store.DB
}

// NewSandbox returns the sandbox gateway.
func NewSandbox(db *store.DB) *Sandbox { return &Sandbox{db: db} }

// Charge charges once per Ref. With SourceSandboxNoAnswer it charges and
// then reports an error, the first time for each Ref; a retry gets the
// receipt.
func (s *Sandbox) Charge(ctx context.Context, c Charge) (Receipt, error) {
	switch c.Source {
	case SourceSandbox, SourceSandboxNoAnswer:
	case SourceSandboxDecline:
		return Receipt{}, ErrDeclined{Reason: sandboxDeclineReason}
	default:
		return Receipt{}, ErrDeclined{Reason: fmt.Sprintf("unknown funding source %q", c.Source)}
	}
	fresh := false
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO sandbox_charges (ref, amount, created_at) VALUES ($1, $2, $3) ON CONFLICT (ref) DO NOTHING`,
			c.Ref, c.Amount, tx.Now)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		fresh = n == 1
		return nil
	})
	if err != nil {
		return Receipt{}, err
	}
	if fresh && c.Source == SourceSandboxNoAnswer {
		return Receipt{}, fmt.Errorf("%w: %s", errNoAnswer, sandboxNoAnswerMessage)
	}
	return Receipt{GatewayRef: "sbx_" + c.Ref}, nil
}
