package account

import (
	"context"
	"strconv"
	"strings"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// SearchUsers lists users for the platform's staff, by handle from the
// first at or after prefix that starts with it (every user when prefix is
// empty), a page at a time; role, if set, keeps that role's only.
func (s *Service) SearchUsers(ctx context.Context, staff User, prefix string, role Role, p store.Page) ([]User, string, error) {
	if !staff.CanReview() {
		return nil, "", errs.E(errs.Forbidden, "Only reviewers and admins can look through users.")
	}
	prefix = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(prefix), "@"))
	where, args := []string{"TRUE"}, []any{}
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if prefix != "" {
		// Handles are lower-case letters, digits and "_": a range finds
		// those starting with prefix without LIKE's wildcards.
		arg("handle >= ?", prefix)
		arg("handle < ?", prefix+"\x7f")
	}
	if role != "" {
		arg("role = ?", string(role))
	}
	if len(p.After) == 1 {
		arg("handle > ?", p.After[0])
	}
	users, err := store.Collect(ctx, s.db, func(r store.Scanner) (User, error) { return scanUser(r) },
		`SELECT `+userColumns+` FROM users WHERE `+strings.Join(where, " AND ")+` ORDER BY handle LIMIT `+strconv.Itoa(p.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	users, next := store.NextCursor(p, users, func(u User) []string { return []string{u.Handle} })
	return users, next, nil
}

// PendingClaims counts the verification claims waiting for a reviewer.
func (s *Service) PendingClaims(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM verifications WHERE status = $1`, VerPending).Scan(&n)
	return n, err
}
