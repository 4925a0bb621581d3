package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/rollout"
)

// flagRow is a flag in the list, with where it stands now.
type flagRow struct {
	rollout.Flag
	Now   float64 // the percentage in force now
	State string  // off, paused, staged (stages to come) or on
}

func flagState(f rollout.Flag, now time.Time) string {
	switch {
	case !f.Enabled:
		return "off"
	case f.PausedAt != nil:
		return "paused"
	}
	for _, st := range f.Stages {
		if st.At.After(now) {
			return "staged"
		}
	}
	return "on"
}

type flagsPage struct {
	Nav   adminNav
	Flags []flagRow
	New   *Form // the new-flag form
}

func (a *App) flagsPage(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error {
	nav, err := a.nav(r, p, "flags")
	if err != nil {
		return err
	}
	flags, err := a.Flags.List(r.Context())
	if err != nil {
		return err
	}
	now := a.DB.Now()
	d := flagsPage{Nav: nav, New: failed["new"]}
	for _, f := range flags {
		if f.Guard != nil {
			if f, err = a.Flags.Get(r.Context(), f.Key); err != nil { // with its guard's reading
				return err
			}
		}
		d.Flags = append(d.Flags, flagRow{Flag: f, Now: f.PercentageAt(now), State: flagState(f, now)})
	}
	p.Nav, p.Title = "admin", p.T("Rollout flags")
	return a.render(w, r, p, status(failed), "admin_flags", d)
}

// createFlag makes a flag, off, and opens it for editing.
func (a *App) createFlag(w http.ResponseWriter, r *http.Request, p *Page) error {
	key := strings.TrimSpace(r.PostFormValue("key"))
	err := rollout.CheckKey(key)
	if err == nil {
		if _, err = a.Flags.Get(r.Context(), key); err == nil {
			err = errs.Field("key", "There is a flag %q already.", key)
		} else if errs.Is(err, errs.NotFound) {
			_, err = a.Flags.Put(r.Context(), p.User().ID, key, rollout.Settings{Description: r.PostFormValue("description")})
		}
	}
	if err != nil {
		return a.again(w, r, p, a.flagsPage, "new", err, "key", "description")
	}
	return a.redirect(w, r, "/admin/flags/"+key, p.T("The flag %s was created, switched off. Set it up below.", key))
}

type flagPage struct {
	Nav     adminNav
	Flag    rollout.Flag
	Now     float64
	State   string
	Next    *rollout.Stage // the next stage to begin
	Form    *Form          // the settings, as saved or as sent back
	History Chart
	Metrics []string
	Audit   []audit.Entry
}

func (a *App) flagPage(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error {
	ctx := r.Context()
	f, err := a.Flags.Get(ctx, r.PathValue("key"))
	if err != nil {
		return err
	}
	nav, err := a.nav(r, p, "flags")
	if err != nil {
		return err
	}
	entries, err := audit.For(ctx, a.DB, "flag", f.Key)
	if err != nil {
		return err
	}
	now := a.DB.Now()
	d := flagPage{Nav: nav, Flag: f, Now: f.PercentageAt(now), State: flagState(f, now), Form: failed["flag"],
		History: flagChart(p, f, flagHistory(entries, f, now), now), Metrics: rollout.Metrics, Audit: entries}
	if d.Form == nil {
		d.Form = flagForm(f)
	}
	for i, st := range f.Stages {
		if st.At.After(now) {
			d.Next = &f.Stages[i]
			break
		}
	}
	if len(d.Audit) > 20 {
		d.Audit = d.Audit[:20]
	}
	p.Nav, p.Title = "admin", p.T("Flag %s", f.Key)
	return a.render(w, r, p, status(failed), "admin_flag", d)
}

// stageLayout is how the form writes a stage's time (UTC).
const stageLayout = "2006-01-02 15:04"

// flagForm is a flag's settings as its form shows them.
func flagForm(f rollout.Flag) *Form {
	v := url.Values{}
	v.Set("description", f.Description)
	if f.Enabled {
		v.Set("enabled", "on")
	}
	v.Set("percentage", strconv.FormatFloat(f.Percentage, 'f', -1, 64))
	var stages []string
	for _, st := range f.Stages {
		stages = append(stages, st.At.UTC().Format(stageLayout)+" "+strconv.FormatFloat(st.Percentage, 'f', -1, 64))
	}
	v.Set("stages", strings.Join(stages, "\n"))
	v.Set("allow", strings.Join(f.Allow, " "))
	v.Set("deny", strings.Join(f.Deny, " "))
	v.Set("segment", f.Segment)
	if g := f.Guard; g != nil {
		v.Set("guard_metric", g.Metric)
		v.Set("guard_threshold", strconv.FormatFloat(g.Threshold, 'f', -1, 64))
		v.Set("guard_window", strconv.Itoa(g.Window))
		v.Set("guard_min_posts", strconv.Itoa(g.MinPosts))
		v.Set("guard_circles", strings.Join(g.Circles, " "))
	}
	return &Form{Values: v, Errors: map[string]string{}}
}

// flagFields are the form's fields, for the capability's explanations.
var flagFields = []string{"description", "percentage", "stages", "allow", "deny", "segment",
	"guard_metric", "guard_threshold", "guard_window", "guard_min_posts", "guard_circles"}

// listed splits a list typed with spaces, commas or new lines.
func listed(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// flagSettings reads the form's settings; a value that is not one is
// explained next to its field.
func flagSettings(p *Page, f *Form) (rollout.Settings, bool) {
	set := rollout.Settings{Description: f.Get("description"), Enabled: f.Get("enabled") != "", Segment: f.Get("segment"),
		Allow: listed(f.Get("allow")), Deny: listed(f.Get("deny"))}
	number := func(name string, into *float64) {
		v := strings.TrimSuffix(strings.TrimSpace(f.Get(name)), "%")
		if v == "" {
			return
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			f.Errors[name] = p.T("Enter a number, such as 25 or 12.5.")
		}
		*into = n
	}
	whole := func(name string, into *int) {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			f.Errors[name] = p.T("Enter a whole number.")
		}
		*into = n
	}
	number("percentage", &set.Percentage)
	for i, line := range strings.Split(f.Get("stages"), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		st, ok := parseStage(line)
		if !ok {
			f.Errors["stages"] = p.T("Line %d is not a stage: write the time (UTC) and the percentage, such as “2026-06-01 08:00 25”.", i+1)
			break
		}
		set.Stages = append(set.Stages, st)
	}
	if m := f.Get("guard_metric"); m != "" {
		g := &rollout.Guard{Metric: m, Circles: listed(f.Get("guard_circles"))}
		number("guard_threshold", &g.Threshold)
		whole("guard_window", &g.Window)
		whole("guard_min_posts", &g.MinPosts)
		set.Guard = g
	}
	return set, len(f.Errors) == 0
}

// parseStage reads "2026-06-01 08:00 25" (or with a date only, or an RFC
// 3339 time) as a stage.
func parseStage(line string) (rollout.Stage, bool) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return rollout.Stage{}, false
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(fields[len(fields)-1], "%"), 64)
	if err != nil {
		return rollout.Stage{}, false
	}
	when := strings.Join(fields[:len(fields)-1], " ")
	for _, layout := range []string{stageLayout, "2006-01-02T15:04", time.RFC3339, "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, when, time.UTC); err == nil {
			return rollout.Stage{At: t, Percentage: pct}, true
		}
	}
	return rollout.Stage{}, false
}

// flagField names the form's field for a settings field the capability
// names: stages[2].at is the stages box, guard.threshold guard_threshold.
func flagField(err error) error {
	e := errs.As(err)
	field := e.Field
	switch {
	case strings.HasPrefix(field, "stages"):
		field = "stages"
	case field == "guard.window_minutes":
		field = "guard_window"
	case strings.HasPrefix(field, "guard."):
		field = "guard_" + strings.TrimPrefix(field, "guard.")
	}
	if field == e.Field {
		return err
	}
	c := *e
	c.Field = field
	return &c
}

func (a *App) putFlag(w http.ResponseWriter, r *http.Request, p *Page) error {
	key := r.PathValue("key")
	if _, err := a.Flags.Get(r.Context(), key); err != nil {
		return err
	}
	f := newForm(r)
	set, ok := flagSettings(p, f)
	if !ok {
		return a.flagPage(w, r, p, map[string]*Form{"flag": f})
	}
	if _, err := a.Flags.Put(r.Context(), p.User().ID, key, set); err != nil {
		return a.again(w, r, p, a.flagPage, "flag", flagField(err), flagFields...)
	}
	return a.redirect(w, r, "/admin/flags/"+key, p.T("The flag %s was saved.", key))
}

func (a *App) pauseFlag(paused bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Page) error {
		key := r.PathValue("key")
		if _, err := a.Flags.SetPaused(r.Context(), p.User().ID, key, paused); err != nil {
			return err
		}
		msg := p.T("The release of %s is paused where it stands.", key)
		if !paused {
			msg = p.T("The release of %s goes on with its stages.", key)
		}
		return a.redirect(w, r, "/admin/flags/"+key, msg)
	}
}

// flagHistory is the share of users a flag was on for, over time, as its
// audit trail tells it: each change saved (flag.put), each pause and
// resume, and the stages that began between them, up to now. A disabled
// flag is on for nobody. Without any trail, it is the flag as it is.
func flagHistory(entries []audit.Entry, current rollout.Flag, now time.Time) []Point {
	var state rollout.Flag
	var points []Point
	add := func(t time.Time) {
		v := 0.0
		if state.Enabled {
			v = state.PercentageAt(t)
		}
		if n := len(points); n > 0 && points[n-1].Value == v {
			return
		}
		points = append(points, Point{At: t, Value: v})
	}
	// stagesUntil adds the stages that began after from and by to.
	stagesUntil := func(from, to time.Time) {
		if state.PausedAt != nil {
			return
		}
		for _, st := range state.Stages {
			if st.At.After(from) && !st.At.After(to) {
				add(st.At)
			}
		}
	}
	entries = slices.Clone(entries)
	slices.Reverse(entries) // oldest first
	var last time.Time
	for i, e := range entries {
		if i > 0 {
			stagesUntil(last, e.At)
		}
		switch e.Action {
		case "flag.put":
			var d struct {
				After rollout.Flag `json:"after"`
			}
			if json.Unmarshal(e.Detail, &d) != nil {
				continue
			}
			state = d.After
		case "flag.pause", "flag.guard_pause":
			t := e.At
			state.PausedAt = &t
		case "flag.resume":
			state.PausedAt = nil
		default:
			continue
		}
		add(e.At)
		last = e.At
	}
	if len(points) == 0 {
		// No trail: the flag as it is, over the dashboard's days or since
		// it last changed.
		state, last = current, now.AddDate(0, 0, -dashboardDays)
		if current.UpdatedAt.After(last) {
			last = current.UpdatedAt
		}
		add(last)
	}
	stagesUntil(last, now)
	return points
}

// flagChart draws a flag's history.
func flagChart(p *Page, f rollout.Flag, points []Point, now time.Time) Chart {
	pct := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "%" }
	desc := p.T("The share of users %s was on for, from its first recorded change to now; now %s.", f.Key, pct(f.PercentageAt(now)))
	if !f.Enabled {
		desc = p.T("The share of users %s was on for, from its first recorded change to now; it is switched off now.", f.Key)
	}
	return StepChart{ID: "flag-history", Title: p.T("Stage history of %s", f.Key), Desc: desc, Points: points, End: now,
		Lo: 0, Hi: 100, Name: p.T("Users with it"), Tick: pct, Value: pct}.Draw()
}

var metricWords = words{
	rollout.MetricReports:    {"Reports per 100 posts", "每百帖举报数"},
	rollout.MetricRejections: {"Rejections per 100 posts", "每百帖拒绝数"},
}

// AdminMetric is a guard's measure in words.
func (p *Page) AdminMetric(m string) string { return metricWords.say(p, m) }

// AdminMetrics are the measures a guard may watch, to choose from.
func (p *Page) AdminMetrics() []option { return metricWords.options(p, rollout.Metrics) }
