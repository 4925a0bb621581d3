package account

import (
	"context"

	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// ImportCredit sets a user's credit score from an outside source. Only
// admins may (the command line and the demo act as one); it is audited,
// and the user's cached principal is refreshed.
func (s *Service) ImportCredit(ctx context.Context, actor User, handle string, score int, source, reason string) (credit.Score, error) {
	if actor.Role != RoleAdmin {
		return credit.Score{}, errs.E(errs.Forbidden, "Only admins can import credit scores.")
	}
	var out credit.Score
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.UserByHandle(ctx, tx, handle)
		if err != nil {
			return err
		}
		if out, err = credit.Import(ctx, tx, actor.ID, u.ID, score, source, reason); err != nil {
			return err
		}
		return s.invalidate(ctx, tx, userKey(u.ID))
	})
	return out, err
}
