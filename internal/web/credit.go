package web

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/quanzi/quanzi/internal/credit"
)

// creditFactor is one factor of the score as the page shows it.
type creditFactor struct {
	Key, Name, Value string
	Points, Max      int
}

// creditStep is one thing that would raise the score.
type creditStep struct {
	Text string
	Gain int // points it can bring, at most
	key  string
}

type creditPage struct {
	Score, Computed int
	Min, Max        int
	Band            string
	BandClass       string // ok, warn or bad, for the pill
	Imported        string // the outside source of an imported score, "" for a computed one
	Factors         []creditFactor
	Steps           []creditStep
	History         []credit.Change
	Spark           template.HTML
}

// creditBand names the stretch of the scale a score falls in.
func creditBand(p *Page, score int) (string, string) {
	switch {
	case score >= 850:
		return p.T("Excellent"), "ok"
	case score >= 750:
		return p.T("Very good"), "ok"
	case score >= 650:
		return p.T("Good"), "ok"
	case score >= 550:
		return p.T("Fair"), "warn"
	}
	return p.T("Building up"), "bad"
}

var (
	identityValue = regexp.MustCompile(`^level (\d) of 3$`)
	daysValue     = regexp.MustCompile(`^(\d+) days$`)
	paymentsValue = regexp.MustCompile(`^(\d+) completed payments$`)
	markValue     = regexp.MustCompile(`^(\d+) (reversed payment|failed payout|upheld report|moderation strike)s?$`)
)

// factorValue says what the user has for a factor, in the page's
// language (the model says it in English).
func factorValue(p *Page, f credit.Factor) string {
	switch f.Key {
	case "identity":
		if m := identityValue.FindStringSubmatch(f.Value); m != nil {
			return p.T("level %s of 3", m[1])
		}
	case "account_age":
		if m := daysValue.FindStringSubmatch(f.Value); m != nil {
			return p.T("%s days", m[1])
		}
	case "activity":
		if m := paymentsValue.FindStringSubmatch(f.Value); m != nil {
			return p.T("%s completed payments", m[1])
		}
	case "standing":
		if f.Value == "a clean record" {
			return p.T("a clean record")
		}
		var parts []string
		for _, part := range strings.Split(f.Value, ", ") {
			parts = append(parts, markWords(p, part))
		}
		return strings.Join(parts, p.T(", "))
	}
	return f.Value
}

// markWords says one kind of mark on the record ("2 failed payouts").
func markWords(p *Page, part string) string {
	m := markValue.FindStringSubmatch(part)
	if m == nil {
		return part
	}
	switch m[2] {
	case "reversed payment":
		return p.T("reversed payments: %s", m[1])
	case "failed payout":
		return p.T("failed payouts: %s", m[1])
	case "upheld report":
		return p.T("upheld reports: %s", m[1])
	}
	return p.T("moderation strikes: %s", m[1])
}

// creditSteps turns the factors that are short of their cap into what the
// user can do: the quickest first (a verification takes a day), the one
// only time brings last.
func creditSteps(p *Page, factors []credit.Factor) []creditStep {
	var out []creditStep
	for _, f := range factors {
		if f.Raise == "" || f.Points >= f.Max {
			continue
		}
		gain := f.Max - f.Points
		var text string
		switch f.Key {
		case "identity":
			level := 0
			if m := identityValue.FindStringSubmatch(f.Value); m != nil {
				level, _ = strconv.Atoi(m[1])
			}
			gain = (level+1)*f.Max/3 - f.Points
			text = p.T("Verify your identity to level %d on your profile.", level+1)
		case "account_age":
			text = p.T("Stay with us: the account's age counts, up to two years.")
		case "activity":
			text = p.T("Pay, collect and top up: each completed payment counts, up to 200.")
		case "volume":
			text = p.T("Move money through your wallet: the more, the more points, up to ¥10,000.")
		case "standing":
			text = p.T("Keep a clean record: reversed payments, failed payouts, upheld reports and strikes cost points for a year.")
		default:
			text = p.T(f.Raise)
		}
		out = append(out, creditStep{Text: text, Gain: gain, key: f.Key})
	}
	order := map[string]int{"identity": 0, "standing": 1, "activity": 2, "volume": 3, "account_age": 4}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].key] < order[out[j].key] })
	return out
}

// sparkline draws the score's history (newest first) as a small SVG line,
// oldest on the left; nothing for fewer than two points.
func sparkline(p *Page, history []credit.Change) template.HTML {
	if len(history) < 2 {
		return ""
	}
	const w, h, pad = 300.0, 64.0, 6.0
	lo, hi := history[0].Score, history[0].Score
	for _, c := range history {
		lo, hi = min(lo, c.Score), max(hi, c.Score)
	}
	if hi-lo < 20 { // a flat line sits mid-height rather than at an edge
		lo, hi = lo-10, hi+10
	}
	var pts []string
	n := len(history)
	for i := range history {
		c := history[n-1-i]
		x := pad + float64(i)*(w-2*pad)/float64(n-1)
		y := pad + (1-float64(c.Score-lo)/float64(hi-lo))*(h-2*pad)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	label := template.HTMLEscapeString(p.T("Your score over its last %d changes, from %d to %d.", n, history[n-1].Score, history[0].Score))
	return template.HTML(fmt.Sprintf(`<svg class="chart spark" viewBox="0 0 %d %d" role="img" aria-label="%s"><line class="grid" x1="0" y1="%g" x2="%d" y2="%g"/><polyline class="line" points="%s"/></svg>`,
		int(w), int(h), label, h-1, int(w), h-1, strings.Join(pts, " ")))
}

func (a *App) creditPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	rep, err := a.Accounts.CreditReport(r.Context(), p.User())
	if err != nil {
		return err
	}
	d := creditPage{Score: rep.Score, Computed: rep.Computed, Min: credit.Min, Max: credit.Max, History: rep.History}
	d.Band, d.BandClass = creditBand(p, rep.Score)
	if src, ok := strings.CutPrefix(rep.Source, "external:"); ok {
		d.Imported = src
	}
	for _, f := range rep.Factors {
		d.Factors = append(d.Factors, creditFactor{Key: f.Key, Name: p.T(f.Name), Value: factorValue(p, f), Points: f.Points, Max: f.Max})
	}
	d.Steps = creditSteps(p, rep.Factors)
	d.Spark = sparkline(p, rep.History)
	p.Nav, p.Title = "me", p.T("Credit score")
	return a.render(w, r, p, http.StatusOK, "credit", d)
}
