package account

import (
	"context"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// SetDisplayName changes the name a user is shown by. The name is checked
// as at sign-up, but may not be left empty (sign-up falls back to the
// handle; an edit that empties the field is more likely a slip). The
// change is written with its audit entry and the principal-cache
// invalidation in one transaction, so every node shows the new name on
// the user's next request. Setting the name a user already has writes
// nothing.
func (s *Service) SetDisplayName(ctx context.Context, userID, name string) (User, error) {
	name, err := CheckDisplayName(name)
	if err != nil {
		return User{}, err
	}
	if name == "" {
		return User{}, errs.Field("display_name", "Enter a display name: it is how people see you.").
			Say("zh", "请填写昵称：别人看到的就是它。")
	}
	var u User
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = s.UserByID(ctx, tx, userID); err != nil {
			return err
		}
		if u.DisplayName == name {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET display_name = $1, updated_at = $2 WHERE id = $3`, name, tx.Now, u.ID); err != nil {
			return err
		}
		if err := s.invalidate(ctx, tx, userKey(u.ID)); err != nil {
			return err
		}
		old := u.DisplayName
		u.DisplayName = name
		return audit.Record(ctx, tx, u.ID, "user.display_name", "user", u.ID, map[string]any{"from": old, "to": name})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}
