package web

import (
	"math"
	"net/http"
	"time"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/rollout"
)

// dashboardDays is how far back the dashboard's daily charts look.
const dashboardDays = 30

type dashboardPage struct {
	Nav       adminNav
	OldestAge string // how long the oldest review item has waited; "" when none
	Charts    []Chart
	// The flag whose history is drawn, and the flags to choose from
	// (admins only).
	Flag  string
	Flags []string
}

// adminDashboard is the console's front page: what waits, as tiles, and
// the charts — money and tips (admins), posts and reports, the review
// queue's ages, and a flag's stage history (admins).
func (a *App) adminDashboard(w http.ResponseWriter, r *http.Request, p *Page) error {
	ctx := r.Context()
	nav, err := a.nav(r, p, "dashboard")
	if err != nil {
		return err
	}
	p.Nav, p.Title = "admin", p.T("Console")
	d := dashboardPage{Nav: nav}
	now := a.DB.Now()
	if b := nav.Backlog; b.OldestReview != nil {
		d.OldestAge = waited(p, now.Sub(*b.OldestReview))
	}
	span := days(now, dashboardDays)
	from, to := span[0], span[len(span)-1].AddDate(0, 0, 1)
	labels := dayLabels(span)
	if nav.Admin {
		moved, err := ledger.MovedPerDay(ctx, a.DB, from, to)
		if err != nil {
			return err
		}
		tips, tipped, err := post.TipsPerDay(ctx, a.DB, from, to)
		if err != nil {
			return err
		}
		d.Charts = append(d.Charts, moneyChart(p, labels, perDay(span, moved, 100), sum(moved)), tipsChart(p, labels, perDay(span, tips, 1), sum(tips), sum(tipped)))
	}
	posts, err := post.PostsPerDay(ctx, a.DB, from, to)
	if err != nil {
		return err
	}
	reports, err := a.Moderation.ReportsPerDay(ctx, p.Actor(), from, to)
	if err != nil {
		return err
	}
	d.Charts = append(d.Charts, BarChart{ID: "posts-reports", Title: p.T("Posts and reports per day"),
		Desc:   p.T("Posts written and reports filed on each of the last %d days (UTC): %s posts and %s reports in all.", dashboardDays, plainNumber(float64(sum(posts))), plainNumber(float64(sum(reports)))),
		Labels: labels, Whole: true,
		Series: []Series{{Name: p.T("Posts written"), Values: perDay(span, posts, 1)}, {Name: p.T("Reports filed"), Values: perDay(span, reports, 1)}}}.Draw())
	ages, err := a.Moderation.QueueAges(ctx, p.Actor())
	if err != nil {
		return err
	}
	d.Charts = append(d.Charts, queueAgeChart(p, ages, nav.Backlog.Reviews, d.OldestAge))
	if nav.Admin {
		flags, err := a.Flags.List(ctx)
		if err != nil {
			return err
		}
		for _, f := range flags {
			d.Flags = append(d.Flags, f.Key)
		}
		d.Flag = r.URL.Query().Get("flag")
		var chosen *rollout.Flag
		for i := range flags {
			if flags[i].Key == d.Flag || chosen == nil && d.Flag == "" && flags[i].Key == "circles" {
				chosen = &flags[i]
			}
		}
		if chosen == nil && len(flags) > 0 {
			chosen = &flags[0]
		}
		if chosen != nil {
			d.Flag = chosen.Key
			entries, err := audit.For(ctx, a.DB, "flag", chosen.Key)
			if err != nil {
				return err
			}
			d.Charts = append(d.Charts, flagChart(p, *chosen, flagHistory(entries, *chosen, now), now))
		}
	}
	return a.render(w, r, p, http.StatusOK, "admin", d)
}

func sum(m map[time.Time]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func yuanTick(v float64) string { return "¥" + compactNumber(v) }

func yuanValue(v float64) string { return money(int64(math.Round(v * 100))) }

func moneyChart(p *Page, labels []string, yuan []float64, total int64) Chart {
	return BarChart{ID: "money", Title: p.T("Money moved per day"),
		Desc:   p.T("What the ledger moved on each of the last %d days (UTC): %s in all.", dashboardDays, money(total)),
		Labels: labels, Series: []Series{{Name: p.T("Money moved"), Values: yuan}}, Tick: yuanTick, Value: yuanValue}.Draw()
}

func tipsChart(p *Page, labels []string, counts []float64, n, amount int64) Chart {
	return BarChart{ID: "tips", Title: p.T("Tips per day"),
		Desc:   p.T("Tips sent on each of the last %d days (UTC): %s tips, %s in all.", dashboardDays, plainNumber(float64(n)), money(amount)),
		Labels: labels, Whole: true, Series: []Series{{Name: p.T("Tips sent"), Values: counts}}}.Draw()
}

// queueAgeChart draws the review queue by how long its items have waited.
func queueAgeChart(p *Page, ages []int64, pending int64, oldest string) Chart {
	labels := []string{p.T("under 1 h"), p.T("1–6 h"), p.T("6–24 h"), p.T("1–3 days"), p.T("3 days or more")}
	values := make([]float64, len(labels))
	for i := range labels {
		if i < len(ages) {
			values[i] = float64(ages[i])
		}
	}
	desc := p.T("Nothing waits for review.")
	if pending > 0 {
		desc = p.T("%d items wait for review; the oldest has waited %s.", pending, oldest)
	}
	return BarChart{ID: "queue-age", Title: p.T("Review queue by waiting time"), Desc: desc, Labels: labels, Whole: true,
		Series: []Series{{Name: p.T("Waiting items"), Values: values}}}.Draw()
}

// Keep the bucket labels in step with the moderation part's buckets.
var _ = [1]struct{}{}[len(moderation.QueueAgeBuckets)-5]
