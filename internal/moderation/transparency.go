package moderation

import (
	"context"
	"slices"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Transparency is what moderation did in a circle over a period, for
// anyone who may see the circle.
type Transparency struct {
	Circle          circle.Ref `json:"circle"`
	Days            int        `json:"days"`
	Since           time.Time  `json:"since"`
	ReportsReceived int64      `json:"reports_received"`
	CasesUpheld     int64      `json:"cases_upheld"`
	CasesDismissed  int64      `json:"cases_dismissed"`
	ItemsRemoved    int64      `json:"items_removed"` // posts and comments taken down after reports
	PostsHeld       int64      `json:"posts_held"`    // held for review
	ReviewApproved  int64      `json:"review_approved"`
	ReviewRejected  int64      `json:"review_rejected"`
	// MedianDecisionSeconds is the median time from a report (a case's
	// first) or a hold to its decision, over decisions made in the
	// period; null when there were none.
	MedianDecisionSeconds *int64 `json:"median_decision_seconds"`
	Decisions             int    `json:"decisions"`
}

// Transparency counts, for the days before now, the reports a circle
// received and what its moderators decided, and how fast.
func (s *Service) Transparency(ctx context.Context, a circle.Actor, circleRef string, days int) (Transparency, error) {
	if days < 1 || days > 365 {
		return Transparency{}, errs.Field("days", "days is from 1 to 365.")
	}
	var out Transparency
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		cp, err := s.circles.Enter(ctx, q, a, circleRef)
		if err != nil {
			return err
		}
		if err := cp.May(policy.View); err != nil {
			return err
		}
		now := s.db.Now()
		out = Transparency{Circle: circle.Ref{ID: cp.ID, Slug: cp.Slug, Name: cp.Name}, Days: days, Since: now.AddDate(0, 0, -days)}
		for _, c := range []struct {
			n     *int64
			query string
		}{
			{&out.ReportsReceived, `SELECT COUNT(*) FROM reports WHERE circle_id = $1 AND created_at >= $2`},
			{&out.CasesUpheld, `SELECT COUNT(*) FROM report_cases WHERE circle_id = $1 AND status = 'upheld' AND decided_at >= $2`},
			{&out.CasesDismissed, `SELECT COUNT(*) FROM report_cases WHERE circle_id = $1 AND status = 'dismissed' AND decided_at >= $2`},
			{&out.ItemsRemoved, `SELECT COUNT(*) FROM report_cases WHERE circle_id = $1 AND status = 'upheld' AND kind IN ('post', 'comment') AND decided_at >= $2`},
			{&out.PostsHeld, `SELECT COUNT(*) FROM review_items WHERE circle_id = $1 AND created_at >= $2`},
			{&out.ReviewApproved, `SELECT COUNT(*) FROM review_items WHERE circle_id = $1 AND status = 'approved' AND decided_at >= $2`},
			{&out.ReviewRejected, `SELECT COUNT(*) FROM review_items WHERE circle_id = $1 AND status = 'rejected' AND decided_at >= $2`},
		} {
			if err := q.QueryRow(ctx, c.query, cp.ID, out.Since).Scan(c.n); err != nil {
				return err
			}
		}
		// The latest 10,000 decisions are enough for a median.
		waits, err := store.Collect(ctx, q, func(r store.Scanner) (int64, error) {
			var created, decided time.Time
			err := r.Scan(&created, &decided)
			return int64(decided.Sub(created) / time.Second), err
		}, `SELECT created_at, decided_at FROM review_items WHERE circle_id = $1 AND status <> 'pending' AND decided_at >= $2
			UNION ALL SELECT created_at, decided_at FROM report_cases WHERE circle_id = $1 AND status <> 'open' AND decided_at >= $2
			LIMIT 10000`, cp.ID, out.Since)
		if err != nil {
			return err
		}
		out.Decisions = len(waits)
		if len(waits) > 0 {
			slices.Sort(waits)
			m := waits[len(waits)/2]
			if len(waits)%2 == 0 {
				m = (waits[len(waits)/2-1] + m) / 2
			}
			out.MedianDecisionSeconds = &m
		}
		return nil
	})
	return out, err
}
