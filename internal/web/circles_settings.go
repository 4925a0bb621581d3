package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
)

// circleSettingsRoutes are a circle's settings page, for its owner and
// admins, and the owner's archive and unarchive.
func (a *App) circleSettingsRoutes() {
	in := options{released: "circles", access: signedIn}
	a.handle("GET /c/{slug}/settings", in, a.circleSettingsPage)
	a.handle("POST /c/{slug}/settings", in, a.saveCircleSettings)
	a.handle("POST /c/{slug}/archive", in, a.archiveCircle(true))
	a.handle("POST /c/{slug}/unarchive", in, a.archiveCircle(false))
}

type settingsView struct {
	Circle     circle.Circle
	Categories []categoryChip
	Actions    []ruleChoice
	Presets    []presetOption
	Owner      bool
}

// settingsActions are the actions the settings form sets a rule for, in
// order: every one a circle has.
var settingsActions = []policy.Action{policy.View, policy.Join, policy.Post, policy.Comment, policy.Tip, policy.Invite}

// settingsCircle loads a circle for its settings page: not found for
// those who may not know of it, as the API answers, and refused, with the
// capability's words, for members who are not its admins or owner.
func (a *App) settingsCircle(ctx context.Context, p *Page, ref string) (circle.Circle, error) {
	c, err := a.Circles.Get(ctx, p.Actor(), ref)
	if err != nil {
		return circle.Circle{}, posts2Explain(p, err)
	}
	if c.Me == nil || (c.Me.Role != circle.RoleOwner && c.Me.Role != circle.RoleAdmin) {
		// The same sentence circle.Service.Update refuses with.
		return circle.Circle{}, posts2Explain(p, &errs.Error{Code: errs.Forbidden,
			Message: fmt.Sprintf("Only %s of %s may %s.", "admins and the owner", c.Name, "change the circle's settings")})
	}
	return c, nil
}

func (a *App) settingsData(ctx context.Context, p *Page, c circle.Circle) (settingsView, error) {
	nd, err := a.newCircleData(ctx, p)
	if err != nil {
		return settingsView{}, err
	}
	v := settingsView{Circle: c, Categories: nd.Categories, Presets: nd.Presets, Owner: c.Me.Role == circle.RoleOwner}
	labels := map[policy.Action][2]string{
		policy.View:    {p.T("Who may read"), p.T("Anyone may read an open circle unless you choose a rule; a closed one is for members only.")},
		policy.Join:    {p.T("Who may join"), p.T("Anyone may join an open circle unless you choose a rule; a closed one also needs an invite code.")},
		policy.Post:    {p.T("Who may post"), p.T("Members may post unless you choose a rule.")},
		policy.Comment: {p.T("Who may comment"), p.T("Members may comment unless you choose a rule.")},
		policy.Tip:     {p.T("Who may tip"), p.T("Members may tip unless you choose a rule.")},
		policy.Invite:  {p.T("Who may invite"), p.T("Members may make invite codes unless you choose a rule; moderators always may.")},
	}
	for _, act := range settingsActions {
		v.Actions = append(v.Actions, ruleChoice{Action: string(act), Label: labels[act][0], Hint: labels[act][1], Now: ruleWords(p, c, string(act))})
	}
	p.Nav, p.Title = "circles", p.T("Settings of %s", c.Name)
	return v, nil
}

func (a *App) circleSettingsPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	c, err := a.settingsCircle(r.Context(), p, r.PathValue("slug"))
	if err != nil {
		return err
	}
	v, err := a.settingsData(r.Context(), p, c)
	if err != nil {
		return err
	}
	p.Form = settingsForm(c)
	return a.render(w, r, p, http.StatusOK, "circle_settings", v)
}

// saveCircleSettings changes a circle's settings from the form, as PATCH
// /api/v1/circles/{id} does. Anything it cannot read, or the capability
// refuses, is explained next to its field with what was typed kept, and
// nothing is changed.
func (a *App) saveCircleSettings(w http.ResponseWriter, r *http.Request, p *Page) error {
	ctx := r.Context()
	c, err := a.settingsCircle(ctx, p, r.PathValue("slug"))
	if err != nil {
		return err
	}
	f := newForm(r)
	p.Form = f
	if set, ok := settingsFromForm(p, f, c); ok {
		saved, err := a.Circles.Update(ctx, p.Actor(), c.ID, set)
		if err == nil {
			return a.redirect(w, r, circlePath(saved.Slug), p.T("The circle's settings are saved."))
		}
		if err := p.formError(f, posts2Explain(p, settingsField(err)), settingsFields...); err != nil {
			return err
		}
	}
	v, err := a.settingsData(ctx, p, c)
	if err != nil {
		return err
	}
	return a.render(w, r, p, http.StatusUnprocessableEntity, "circle_settings", v)
}

// archiveCircle archives the circle or brings it back (its owner), as
// POST /api/v1/circles/{id}/archive and /unarchive do.
func (a *App) archiveCircle(archived bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Page) error {
		c, err := a.Circles.SetArchived(r.Context(), p.Actor(), r.PathValue("slug"), archived)
		if err != nil {
			return posts2Explain(p, err)
		}
		if archived {
			return a.redirect(w, r, circlePath(c.Slug), p.T("%s is archived: it left the directory, and its members can read it but not post in it.", c.Name))
		}
		return a.redirect(w, r, circlePath(c.Slug), p.T("%s is back: it is in the directory again, and its members can post.", c.Name))
	}
}

// settingsFields are the form's fields a refusal may be about.
var settingsFields = []string{"name", "slug", "description", "rules", "category", "visibility", "review", "join_question",
	"rule_view", "rule_join", "rule_post", "rule_comment", "rule_tip", "rule_invite",
	"tip_fee", "tip_min", "tip_max", "tip_daily_cap", "tip_hold_hours", "slow_mode_seconds", "posts_per_day"}

// settingsField moves a refusal about a setting to the form's field for
// it: policies.post is rule_post, tips.min is tip_min.
func settingsField(err error) error {
	e := errs.As(err)
	field := e.Field
	switch {
	case strings.HasPrefix(field, "policies."):
		field = "rule_" + strings.TrimPrefix(field, "policies.")
	case field == "tips.fee_bps":
		field = "tip_fee"
	case strings.HasPrefix(field, "tips."):
		field = "tip_" + strings.TrimPrefix(field, "tips.")
	default:
		return err
	}
	moved := *e
	moved.Field = field
	return &moved
}

// settingsForm is the form filled with a circle's settings as they are.
func settingsForm(c circle.Circle) *Form {
	v := url.Values{}
	v.Set("name", c.Name)
	v.Set("slug", c.Slug)
	v.Set("description", c.Description)
	v.Set("category", c.Category)
	v.Set("visibility", c.Visibility)
	v.Set("review", c.Review)
	if c.JoinApproval {
		v.Set("join_approval", "1")
	}
	v.Set("join_question", c.JoinQuestion)
	v.Set("rules", c.Rules)
	for _, act := range settingsActions {
		expr := policyOf(c.Policies, act)
		if key, n, ok := presetOf(expr); ok {
			v.Set("preset_"+string(act), key)
			v.Set("n_"+string(act), n)
		} else {
			v.Set("rule_"+string(act), expr)
		}
	}
	v.Set("tip_fee", strconv.FormatFloat(float64(c.Tips.FeeBPS)/100, 'f', -1, 64))
	v.Set("tip_min", yuan(c.Tips.Min))
	v.Set("tip_max", yuan(c.Tips.Max))
	v.Set("tip_daily_cap", yuan(c.Tips.DailyCap))
	v.Set("tip_hold_hours", strconv.FormatInt(c.TipHoldHours, 10))
	v.Set("slow_mode_seconds", strconv.FormatInt(c.SlowModeSeconds, 10))
	v.Set("posts_per_day", strconv.FormatInt(c.PostsPerDay, 10))
	return &Form{Values: v, Errors: map[string]string{}}
}

// yuan writes minor units as the amount fields take them: "12.50".
func yuan(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// settingsFromForm reads the settings form, starting from the circle's
// settings as they are; a field it cannot read is explained next to it.
func settingsFromForm(p *Page, f *Form, c circle.Circle) (circle.Settings, bool) {
	str := func(name string) *string { v := strings.TrimSpace(f.Get(name)); return &v }
	set := circle.Settings{Name: str("name"), Description: str("description"), Rules: str("rules"),
		Category: str("category"), Visibility: str("visibility"), Review: str("review"), JoinQuestion: str("join_question")}
	if *set.Category == "" {
		f.Errors["category"] = p.T("Choose a category, so that people find the circle.")
	}
	if slug := str("slug"); *slug == "" {
		f.Errors["slug"] = p.T("The circle needs an address; its current one is /c/%s.", c.Slug)
	} else if *slug != c.Slug {
		set.Slug = slug
	}
	approval := f.Get("join_approval") != ""
	set.JoinApproval = &approval
	pol := c.Policies
	for _, act := range settingsActions {
		expr, msg := ruleFromForm(p, f, string(act))
		if msg != "" {
			f.Errors["rule_"+string(act)] = msg
			continue
		}
		setPolicy(&pol, act, expr)
	}
	set.Policies = &pol
	tips := circle.Tips{}
	tips.FeeBPS, _ = percentField(p, f, "tip_fee")
	tips.Min, _ = amountField(p, f, "tip_min")
	tips.Max, _ = amountField(p, f, "tip_max")
	tips.DailyCap, _ = amountField(p, f, "tip_daily_cap")
	set.Tips = &tips
	hold := settingsNumber(p, f, "tip_hold_hours")
	slow := settingsNumber(p, f, "slow_mode_seconds")
	perDay := settingsNumber(p, f, "posts_per_day")
	set.TipHoldHours, set.SlowMode, set.PostsPerDay = &hold, &slow, &perDay
	return set, len(f.Errors) == 0
}

// percentField reads the tip fee, a percentage with at most two
// decimals from 0 to 30, as basis points.
func percentField(p *Page, f *Form, name string) (int64, bool) {
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f.Get(name)), "%"))
	if v == "" {
		v = "0"
	}
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 2 {
		f.Errors[name] = p.T("The fee has at most two decimals, such as 2.5 or 2.75.")
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	c, err2 := strconv.ParseInt(frac, 10, 64)
	bps := w*100 + c
	if err1 != nil || err2 != nil || w < 0 || c < 0 || bps > circle.MaxFeeBPS {
		f.Errors[name] = p.T("The fee is a percentage from 0 to %d, such as 2.5.", circle.MaxFeeBPS/100)
		return 0, false
	}
	return bps, true
}

// settingsNumber reads a whole number; the capability checks its range.
func settingsNumber(p *Page, f *Form, name string) int64 {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f.Errors[name] = p.T("Enter a whole number, such as 24.")
	}
	return n
}

func policyOf(pol circle.Policies, act policy.Action) string {
	switch act {
	case policy.View:
		return pol.View
	case policy.Join:
		return pol.Join
	case policy.Post:
		return pol.Post
	case policy.Comment:
		return pol.Comment
	case policy.Tip:
		return pol.Tip
	}
	return pol.Invite
}

// setPolicy sets the rule for act in pol.
func setPolicy(pol *circle.Policies, act policy.Action, expr string) {
	switch act {
	case policy.View:
		pol.View = expr
	case policy.Join:
		pol.Join = expr
	case policy.Post:
		pol.Post = expr
	case policy.Comment:
		pol.Comment = expr
	case policy.Tip:
		pol.Tip = expr
	case policy.Invite:
		pol.Invite = expr
	}
}

// presetOf recognises a rule that a ready-made rule makes, with its
// number, so that the form shows the preset chosen rather than its text.
func presetOf(expr string) (key, n string, ok bool) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return "", "", false
	}
	for _, pr := range policy.Presets() {
		switch len(pr.Params) {
		case 0:
			if e, err := pr.Expr(); err == nil && e == expr {
				return pr.Key, "", true
			}
		case 1:
			// The preset's text around its number, found from the text it
			// makes with its least number.
			lo := pr.Params[0].Min
			e, err := pr.Expr(lo)
			num := strconv.FormatInt(lo, 10)
			i := strings.Index(e, num)
			if err != nil || i < 0 {
				continue
			}
			before, after := e[:i], e[i+len(num):]
			if len(expr) <= len(before)+len(after) || !strings.HasPrefix(expr, before) || !strings.HasSuffix(expr, after) {
				continue
			}
			mid := expr[len(before) : len(expr)-len(after)]
			v, err := strconv.ParseInt(mid, 10, 64)
			if err != nil {
				continue
			}
			if again, err := pr.Expr(v); err == nil && again == expr {
				return pr.Key, mid, true
			}
		}
	}
	return "", "", false
}
