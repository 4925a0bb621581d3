package moderation

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/store"
)

// The console's read-only views of moderation: how much waits and for how
// long, what came in per day, and each circle's counts. They are for the
// platform's reviewers and admins.

// Backlog is what waits for the platform's reviewers.
type Backlog struct {
	Reviews int64 `json:"reviews"` // held posts and comments
	Cases   int64 `json:"cases"`   // open report cases
	Appeals int64 `json:"appeals"` // pending appeals
	// OldestReview is when the longest-waiting review item was held; nil
	// when none waits.
	OldestReview *time.Time `json:"oldest_review,omitempty"`
}

// Backlog counts what waits for a decision across the platform.
func (s *Service) Backlog(ctx context.Context, a circle.Actor) (Backlog, error) {
	var b Backlog
	if err := s.mayDecide(ctx, s.db, a, "", "see the platform's backlog"); err != nil {
		return b, err
	}
	err := s.db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM review_items WHERE status = 'pending'),
		(SELECT COUNT(*) FROM report_cases WHERE status = 'open'),
		(SELECT COUNT(*) FROM appeals WHERE status = 'pending'),
		(SELECT MIN(created_at) FROM review_items WHERE status = 'pending')`).Scan(&b.Reviews, &b.Cases, &b.Appeals, &b.OldestReview)
	return b, err
}

// QueueAgeBuckets are the lower bounds of the review queue's age buckets:
// under an hour, 1–6 hours, 6–24 hours, 1–3 days, and 3 days or more.
var QueueAgeBuckets = []time.Duration{0, time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour}

// QueueAges counts the pending review items by how long they have waited:
// one count per QueueAgeBuckets entry, each from its bound up to the next.
func (s *Service) QueueAges(ctx context.Context, a circle.Actor) ([]int64, error) {
	if err := s.mayDecide(ctx, s.db, a, "", "see the platform's review queue"); err != nil {
		return nil, err
	}
	now := s.db.Now()
	out := make([]int64, len(QueueAgeBuckets))
	for i, from := range QueueAgeBuckets {
		// Waited at least from: held at or before now-from; and less than
		// the next bound: held after now-next.
		query, args := `SELECT COUNT(*) FROM review_items WHERE status = 'pending' AND created_at <= $1`, []any{now.Add(-from)}
		if i+1 < len(QueueAgeBuckets) {
			query, args = query+` AND created_at > $2`, append(args, now.Add(-QueueAgeBuckets[i+1]))
		}
		if err := s.db.QueryRow(ctx, query, args...).Scan(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReportsPerDay counts the reports users filed on each UTC day from from
// (inclusive) to to (exclusive); days without reports are absent. The
// keys are the days' UTC midnights.
func (s *Service) ReportsPerDay(ctx context.Context, a circle.Actor, from, to time.Time) (map[time.Time]int64, error) {
	if err := s.mayDecide(ctx, s.db, a, "", "see the platform's reports"); err != nil {
		return nil, err
	}
	return store.PerDay(ctx, s.db, `SELECT `+store.Day("created_at")+`, COUNT(*) FROM reports
		WHERE created_at >= $1 AND created_at < $2 GROUP BY `+store.Day("created_at"), from, to)
}

// StrikesOf counts the strikes in force on each of the users: not revoked
// and given within the last year (as long as a strike counts against
// one's standing). Users without any are absent.
func (s *Service) StrikesOf(ctx context.Context, a circle.Actor, userIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	if err := s.mayDecide(ctx, s.db, a, "", "see users' strikes"); err != nil || len(userIDs) == 0 {
		return out, err
	}
	args := []any{s.db.Now().AddDate(-1, 0, 0)}
	for _, id := range userIDs {
		args = append(args, id)
	}
	rows, err := s.db.Query(ctx, `SELECT user_id, COUNT(*) FROM strikes WHERE created_at >= $1 AND revoked_at IS NULL
		AND user_id IN (`+store.List(len(userIDs), 2)+`) GROUP BY user_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// CircleStats is a circle as the platform's staff oversee it: its state,
// what waits there now, and its transparency counts for the last days.
type CircleStats struct {
	circle.Ref
	Visibility string     `json:"visibility"`
	Members    int64      `json:"members"`
	ShutAt     *time.Time `json:"shut_at,omitempty"` // closed by the platform
	ShutReason string     `json:"shut_reason,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	// Now.
	PendingReviews int64 `json:"pending_reviews"`
	OpenCases      int64 `json:"open_cases"`
	// Over the last days, as Transparency counts them.
	ReportsReceived int64 `json:"reports_received"`
	CasesUpheld     int64 `json:"cases_upheld"`
	CasesDismissed  int64 `json:"cases_dismissed"`
	PostsHeld       int64 `json:"posts_held"`
	ReviewApproved  int64 `json:"review_approved"`
	ReviewRejected  int64 `json:"review_rejected"`
}

// CircleOverview lists every circle — closed, archived and shut ones too —
// newest first, whose name or slug contains search (all when empty), with
// the counts of CircleStats over the last days (1–365).
func (s *Service) CircleOverview(ctx context.Context, a circle.Actor, search string, days int, p store.Page) ([]CircleStats, string, error) {
	if err := s.mayDecide(ctx, s.db, a, "", "oversee circles"); err != nil {
		return nil, "", err
	}
	if days < 1 || days > 365 {
		days = 30
	}
	where, args := []string{"TRUE"}, []any{}
	if search = strings.ToLower(strings.TrimSpace(search)); search != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(search) + "%"
		args = append(args, like)
		where = append(where, `(LOWER(c.name) LIKE $1 ESCAPE '\' OR c.slug LIKE $1 ESCAPE '\')`)
	}
	if at, key, ok, err := p.AfterTime(); err != nil {
		return nil, "", err
	} else if ok {
		n := len(args)
		args = append(args, at, key)
		where = append(where, `(c.created_at < $`+strconv.Itoa(n+1)+` OR (c.created_at = $`+strconv.Itoa(n+1)+` AND c.id < $`+strconv.Itoa(n+2)+`))`)
	}
	out, err := store.Collect(ctx, s.db, func(r store.Scanner) (CircleStats, error) {
		var c CircleStats
		err := r.Scan(&c.ID, &c.Slug, &c.Name, &c.Visibility, &c.Members, &c.ShutAt, &c.ShutReason, &c.CreatedAt)
		return c, err
	}, `SELECT c.id, c.slug, c.name, c.visibility, c.member_count, c.shut_at, c.shut_reason, c.created_at FROM circles c
		WHERE `+strings.Join(where, " AND ")+` ORDER BY c.created_at DESC, c.id DESC LIMIT `+strconv.Itoa(p.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(c CircleStats) []string { return []string{store.Micros(c.CreatedAt), c.ID} })
	if len(out) == 0 {
		return out, next, nil
	}
	at := map[string]*CircleStats{}
	ids := make([]any, 0, len(out))
	for i := range out {
		at[out[i].ID] = &out[i]
		ids = append(ids, out[i].ID)
	}
	now := s.db.Now()
	since := now.AddDate(0, 0, -days)
	in := ` circle_id IN (` + store.List(len(ids), 2) + `)`
	// Each query binds a time as $1 and the ids after it: now for what
	// waits now (held or reported by now), since for the last days' counts.
	for _, c := range []struct {
		query string
		at    time.Time
		n     func(*CircleStats) *int64
	}{
		{`SELECT circle_id, COUNT(*) FROM review_items WHERE status = 'pending' AND created_at <= $1 AND`, now, func(c *CircleStats) *int64 { return &c.PendingReviews }},
		{`SELECT circle_id, COUNT(*) FROM report_cases WHERE status = 'open' AND created_at <= $1 AND`, now, func(c *CircleStats) *int64 { return &c.OpenCases }},
		{`SELECT circle_id, COUNT(*) FROM reports WHERE created_at >= $1 AND`, since, func(c *CircleStats) *int64 { return &c.ReportsReceived }},
		{`SELECT circle_id, COUNT(*) FROM report_cases WHERE status = 'upheld' AND decided_at >= $1 AND`, since, func(c *CircleStats) *int64 { return &c.CasesUpheld }},
		{`SELECT circle_id, COUNT(*) FROM report_cases WHERE status = 'dismissed' AND decided_at >= $1 AND`, since, func(c *CircleStats) *int64 { return &c.CasesDismissed }},
		{`SELECT circle_id, COUNT(*) FROM review_items WHERE created_at >= $1 AND`, since, func(c *CircleStats) *int64 { return &c.PostsHeld }},
		{`SELECT circle_id, COUNT(*) FROM review_items WHERE status = 'approved' AND decided_at >= $1 AND`, since, func(c *CircleStats) *int64 { return &c.ReviewApproved }},
		{`SELECT circle_id, COUNT(*) FROM review_items WHERE status = 'rejected' AND decided_at >= $1 AND`, since, func(c *CircleStats) *int64 { return &c.ReviewRejected }},
	} {
		rows, err := s.db.Query(ctx, c.query+in+` GROUP BY circle_id`, append([]any{c.at}, ids...)...)
		if err != nil {
			return nil, "", err
		}
		for rows.Next() {
			var id string
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, "", err
			}
			if st := at[id]; st != nil {
				*c.n(st) = n
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}
