package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
)

// A guard watches a safety measure in the circles a flag covers and pauses
// the flag's staged release, where it stands, when the measure crosses
// its threshold: a release that stops before the damage spreads.
//
// Measures are rates per 100 posts made in the circles during the window:
//   - reports_per_100_posts: users' reports on posts and comments there;
//   - rejections_per_100_posts: held posts and comments reviewers rejected.
const (
	MetricReports    = "reports_per_100_posts"
	MetricRejections = "rejections_per_100_posts"
)

// Metrics are the measures a guard may watch.
var Metrics = []string{MetricReports, MetricRejections}

// Guard limits and defaults.
const (
	DefaultWindow   = 60 // minutes
	MaxWindow       = 7 * 24 * 60
	DefaultMinPosts = 20
	MaxGuardCircles = 100
)

// KindFlagPaused is the notification admins get when a guard pauses a flag.
const KindFlagPaused = "flag_paused"

// Guard is a flag's safety measure and its threshold.
type Guard struct {
	Metric    string  `json:"metric"`    // reports_per_100_posts or rejections_per_100_posts
	Threshold float64 `json:"threshold"` // pause when the measure is above this
	// Window is how far back the measure looks, in minutes (default 60);
	// it never looks back before the guard was armed (saved, or the flag
	// resumed).
	Window int `json:"window_minutes"`
	// MinPosts is how many posts the window must hold before the measure
	// is judged (default 20), so that one report on two posts does not
	// stop a release.
	MinPosts int `json:"min_posts"`
	// Circles it covers, by id; empty: every circle.
	Circles []string `json:"circles"`
}

// Reading is a guard's measure at one moment.
type Reading struct {
	Value  float64   `json:"value"`  // events per 100 posts
	Events int64     `json:"events"` // reports or rejections counted
	Posts  int64     `json:"posts"`  // posts made in the window
	Since  time.Time `json:"since"`  // the window's start
	Judged bool      `json:"judged"` // enough posts to judge (MinPosts)
	At     time.Time `json:"at"`
}

// Trip is what a guard saw when it paused its flag.
type Trip struct {
	Reading
	Threshold  float64 `json:"threshold"`
	Percentage float64 `json:"percentage"` // where the release stood
}

// Gauge counts, in the given circles (every circle when none) from since
// on, the posts made and the metric's events. The moderation part
// provides it.
type Gauge func(ctx context.Context, metric string, circles []string, since time.Time) (events, posts int64, err error)

// Notifier adds notifications in a transaction.
type Notifier interface {
	Add(ctx context.Context, tx *store.Tx, n notify.Note) error
}

// checkGuard checks a guard and fills in its defaults; q resolves its
// circles (ids or slugs) to ids.
func checkGuard(ctx context.Context, q store.Querier, g *Guard) error {
	if !slices.Contains(Metrics, g.Metric) {
		return errs.Field("guard.metric", "A guard watches one of: %s; not %q.", strings.Join(Metrics, ", "), errs.Clip(g.Metric, 40))
	}
	if math.IsNaN(g.Threshold) || math.IsInf(g.Threshold, 0) || g.Threshold < 0 || g.Threshold > 100 {
		return errs.Field("guard.threshold", "A guard's threshold is a rate per 100 posts, from 0 to 100.")
	}
	if g.Window == 0 {
		g.Window = DefaultWindow
	}
	if g.Window < 5 || g.Window > MaxWindow {
		return errs.Field("guard.window_minutes", "A guard's window is from 5 minutes to 7 days (%d minutes).", MaxWindow)
	}
	if g.MinPosts == 0 {
		g.MinPosts = DefaultMinPosts
	}
	if g.MinPosts < 1 || g.MinPosts > 1_000_000 {
		return errs.Field("guard.min_posts", "min_posts is from 1 to 1,000,000.")
	}
	if len(g.Circles) > MaxGuardCircles {
		return errs.Field("guard.circles", "A guard covers at most %d circles (none: every circle).", MaxGuardCircles)
	}
	ids := make([]string, 0, len(g.Circles))
	for _, ref := range g.Circles {
		var id string
		err := q.QueryRow(ctx, `SELECT id FROM circles WHERE id = $1 OR slug = $2`, ref, strings.ToLower(strings.TrimSpace(ref))).Scan(&id)
		if err == store.ErrNoRows {
			return errs.Field("guard.circles", "There is no circle %q.", errs.Clip(ref, 60))
		}
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	g.Circles = slices.Compact(ids)
	return nil
}

// Read takes a guarded flag's reading now; nil if the flag has no guard
// or the service no gauge.
func (s *Service) Read(ctx context.Context, f *Flag) (*Reading, error) {
	if f.Guard == nil || s.Gauge == nil {
		return nil, nil
	}
	now := s.db.Now()
	since := now.Add(-time.Duration(f.Guard.Window) * time.Minute)
	if f.armedAt != nil && f.armedAt.After(since) {
		since = *f.armedAt
	}
	events, posts, err := s.Gauge(ctx, f.Guard.Metric, f.Guard.Circles, since)
	if err != nil {
		return nil, err
	}
	r := &Reading{Events: events, Posts: posts, Since: since, At: now, Judged: posts >= int64(f.Guard.MinPosts)}
	if posts > 0 {
		r.Value = math.Round(float64(events)*100/float64(posts)*100) / 100
	}
	return r, nil
}

// CheckGuards reads the guard of every enabled, running flag and pauses
// each whose measure is above its threshold, telling every admin why. It
// returns the keys of the flags it paused.
func (s *Service) CheckGuards(ctx context.Context) ([]string, error) {
	flags, err := s.read(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var paused []string
	for _, f := range flags {
		if f.Guard == nil || !f.Enabled || f.PausedAt != nil {
			continue
		}
		r, err := s.Read(ctx, f)
		if err != nil {
			return paused, err
		}
		if r == nil || !r.Judged || r.Value <= f.Guard.Threshold {
			continue
		}
		tripped, err := s.trip(ctx, f.Key, *r)
		if err != nil {
			return paused, err
		}
		if tripped {
			paused = append(paused, f.Key)
		}
	}
	return paused, nil
}

// trip pauses a flag for its guard, unless someone paused or changed it
// meanwhile; audited as the system's act, and every admin is told.
func (s *Service) trip(ctx context.Context, key string, r Reading) (bool, error) {
	tripped := false
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		f, err := s.one(ctx, tx, key)
		if err != nil || f.Guard == nil || !f.Enabled || f.PausedAt != nil {
			return err
		}
		t := Trip{Reading: r, Threshold: f.Guard.Threshold, Percentage: f.PercentageAt(tx.Now)}
		detail, _ := json.Marshal(t)
		res, err := tx.Exec(ctx, `UPDATE feature_flags SET paused_at = $1, guard_tripped = $2, updated_by = NULL, updated_at = $1
			WHERE key = $3 AND paused_at IS NULL`, tx.Now, string(detail), key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		tripped = true
		tx.AfterCommit(s.forget)
		if err := audit.Record(ctx, tx, "", "flag.guard_pause", "flag", key, t); err != nil {
			return err
		}
		if s.Notifier == nil {
			return nil
		}
		text := fmt.Sprintf("The release of %q paused itself at %v%%: %v %s in the last %d minutes (%d in %d posts), above its threshold of %v.",
			key, t.Percentage, r.Value, strings.ReplaceAll(f.Guard.Metric, "_", " "), int(tx.Now.Sub(r.Since).Minutes()+0.5), r.Events, r.Posts, t.Threshold)
		admins, err := store.Strings(ctx, tx, `SELECT id FROM users WHERE role = 'admin' AND status = 'active'`)
		if err != nil {
			return err
		}
		for _, id := range admins {
			if err := s.Notifier.Add(ctx, tx, notify.Note{UserID: id, Kind: KindFlagPaused, Text: text}); err != nil {
				return err
			}
		}
		return nil
	})
	return tripped, err
}
