package circle

import (
	"context"
	"strings"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Shut is the platform's side of closing a circle, for moderation, which
// decides, records, tells and audits it: in tx it marks the circle id shut
// for reason (a reason code) — from then on load finds it for the
// platform's staff only, Readable leaves it out of every list, and it
// leaves the directory — or, with shut false, reopens it, undoing all of
// that. It returns the circle's reference, and refuses to shut a circle
// already shut or to reopen one that is not.
func (s *Service) Shut(ctx context.Context, tx *store.Tx, id string, shut bool, reason string) (Ref, error) {
	var r Ref
	var at any
	cond := `shut_at IS NOT NULL`
	if shut {
		at, cond = tx.Now, `shut_at IS NULL`
	} else {
		reason = ""
	}
	err := tx.QueryRow(ctx, `UPDATE circles SET shut_at = $1, shut_reason = $2, updated_at = $3 WHERE id = $4 AND `+cond+`
		RETURNING id, slug, name`, at, reason, tx.Now, id).Scan(&r.ID, &r.Slug, &r.Name)
	if err == store.ErrNoRows {
		if shut {
			return r, errs.E(errs.Conflict, "This circle is already closed by the platform.")
		}
		return r, errs.E(errs.Conflict, "This circle is not closed by the platform; there is nothing to reopen.")
	}
	if err != nil {
		return r, err
	}
	if err := s.rowChanged(ctx, tx, id); err != nil {
		return r, err
	}
	return r, index(ctx, tx, id, true)
}

// Lookup finds any circle by id or slug, whatever its visibility or
// state, for the platform's admins who close and reopen circles; it is
// not for paths that show a circle to anyone (those Enter).
func (s *Service) Lookup(ctx context.Context, q store.Querier, ref string) (Ref, error) {
	var r Ref
	err := q.QueryRow(ctx, `SELECT id, slug, name FROM circles WHERE id = $1 OR slug = $2`, ref, strings.ToLower(strings.TrimSpace(ref))).Scan(&r.ID, &r.Slug, &r.Name)
	if err == store.ErrNoRows {
		return r, notFound(ref)
	}
	return r, err
}
