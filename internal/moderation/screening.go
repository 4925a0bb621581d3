package moderation

import (
	"context"

	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// Flag opens a case for a post or comment that automatic screening
// flagged as it was published, in the transaction that published it, so
// that moderators look; it has no reporter. A case already open on it
// (users reported it, or screening flagged an earlier version) is joined
// and says so.
func (s *Service) Flag(ctx context.Context, tx *store.Tx, h post.Hold) error {
	var cid any
	if h.CircleID != "" {
		cid = h.CircleID
	}
	why := h.Cause + ": " + h.Detail
	res, err := tx.Exec(ctx, `INSERT INTO report_cases (id, kind, target_id, circle_id, subject_id, status, screening, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7) ON CONFLICT (kind, target_id) WHERE status = 'open' DO NOTHING`,
		store.NewID(tx.Now), h.Kind, h.TargetID, cid, h.AuthorID, why, tx.Now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE report_cases SET updated_at = $1,
		screening = CASE WHEN screening = '' THEN CAST($2 AS TEXT) ELSE screening || '; ' || CAST($2 AS TEXT) END
		WHERE kind = $3 AND target_id = $4 AND status = 'open'`, tx.Now, why, h.Kind, h.TargetID)
	return err
}
