package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
)

// ruleChoice is one action's rule on the create and settings forms: a ready-made
// rule (a preset, with its number) or the rule's text written by hand.
type ruleChoice struct {
	Action string
	Label  string
	Hint   string
	Now    string // on the settings form: the rule in force, in words
}

type presetOption struct {
	Key, Title string
	Param      string // the number's name ("score", "days"), "" for none
	Min, Max   int64
}

type newCirclePage struct {
	Categories []categoryChip
	Actions    []ruleChoice
	Presets    []presetOption
}

// The actions the form sets a rule for, in order.
var formActions = []policy.Action{policy.Post, policy.Comment, policy.Tip, policy.Join}

func (a *App) newCircleData(ctx context.Context, p *Page) (newCirclePage, error) {
	cats, err := a.Circles.Categories(ctx)
	if err != nil {
		return newCirclePage{}, err
	}
	var d newCirclePage
	for _, c := range cats {
		d.Categories = append(d.Categories, categoryChip{Key: c.Key, Name: categoryName(p, cats, c.Key)})
	}
	labels := map[policy.Action][2]string{
		policy.Post:    {p.T("Who may post"), p.T("Members may post unless you choose a rule.")},
		policy.Comment: {p.T("Who may comment"), p.T("Members may comment unless you choose a rule.")},
		policy.Tip:     {p.T("Who may tip"), p.T("Members may tip unless you choose a rule.")},
		policy.Join:    {p.T("Who may join"), p.T("Anyone may join an open circle unless you choose a rule; a closed one also needs an invite code.")},
	}
	for _, act := range formActions {
		d.Actions = append(d.Actions, ruleChoice{Action: string(act), Label: labels[act][0], Hint: labels[act][1]})
	}
	for _, pr := range policy.Presets() {
		title := pr.Title
		if p.Lang == zh {
			title = pr.TitleZH
		}
		o := presetOption{Key: pr.Key}
		for _, prm := range pr.Params {
			title = strings.ReplaceAll(title, "{"+prm.Name+"}", "N")
			o.Param, o.Min, o.Max = prm.Name, prm.Min, prm.Max
		}
		o.Title = title
		d.Presets = append(d.Presets, o)
	}
	return d, nil
}

func (a *App) newCirclePage(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Nav, p.Title = "circles", p.T("Create a circle")
	d, err := a.newCircleData(r.Context(), p)
	if err != nil {
		return err
	}
	p.Form = &Form{Values: url.Values{"visibility": {circle.Open}, "review": {circle.ReviewMedia}}, Errors: map[string]string{}}
	return a.render(w, r, p, http.StatusOK, "circle_new", d)
}

// createCircle makes a circle from the form; a rule that does not compile
// is explained next to its field.
func (a *App) createCircle(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Nav, p.Title = "circles", p.T("Create a circle")
	f := newForm(r)
	p.Form = f
	set, ok := circleSettings(p, f)
	if ok {
		c, err := a.Circles.Create(r.Context(), p.Actor(), set)
		if err == nil {
			return a.redirect(w, r, circlePath(c.Slug), p.T("%s is ready. Post the first thing in it, or invite people.", c.Name))
		}
		if e := errs.As(err); strings.HasPrefix(e.Field, "policies.") {
			moved := *e
			moved.Field = "rule_" + strings.TrimPrefix(e.Field, "policies.")
			err = &moved
		}
		if err := p.formError(f, err, "name", "slug", "description", "rules", "category", "visibility", "review",
			"join_question", "rule_post", "rule_comment", "rule_tip", "rule_join"); err != nil {
			return err
		}
	}
	d, err := a.newCircleData(r.Context(), p)
	if err != nil {
		return err
	}
	return a.render(w, r, p, http.StatusUnprocessableEntity, "circle_new", d)
}

// circleSettings reads the form into a circle's settings, with the
// explanation next to a field it cannot read.
func circleSettings(p *Page, f *Form) (circle.Settings, bool) {
	str := func(name string) *string { v := strings.TrimSpace(f.Get(name)); return &v }
	set := circle.Settings{Name: str("name"), Description: str("description"), Rules: str("rules"),
		Category: str("category"), Visibility: str("visibility"), Review: str("review")}
	if *set.Category == "" {
		f.Errors["category"] = p.T("Choose a category, so that people find the circle.")
	}
	if s := str("slug"); *s != "" {
		set.Slug = s
	}
	approval := f.Get("join_approval") != ""
	set.JoinApproval = &approval
	if approval {
		set.JoinQuestion = str("join_question")
	}
	var pol circle.Policies
	for _, act := range formActions {
		expr, msg := ruleFromForm(p, f, string(act))
		if msg != "" {
			f.Errors["rule_"+string(act)] = msg
			continue
		}
		setPolicy(&pol, act, expr)
	}
	set.Policies = &pol
	return set, len(f.Errors) == 0
}

// ruleFromForm is one action's rule: the text written by hand when there
// is some, else the chosen preset with its number.
func ruleFromForm(p *Page, f *Form, action string) (expr, problem string) {
	if text := strings.TrimSpace(f.Get("rule_" + action)); text != "" {
		return text, ""
	}
	key := f.Get("preset_" + action)
	if key == "" {
		return "", ""
	}
	for _, pr := range policy.Presets() {
		if pr.Key != key {
			continue
		}
		var args []int64
		if len(pr.Params) > 0 {
			raw := strings.TrimSpace(f.Get("n_" + action))
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return "", p.T("This rule needs a number (%s, from %d to %d).", pr.Params[0].Name, pr.Params[0].Min, pr.Params[0].Max)
			}
			args = append(args, n)
		}
		expr, err := pr.Expr(args...)
		if err != nil {
			return "", p.Explain(err)
		}
		return expr, ""
	}
	return "", p.T("Choose one of the listed rules.")
}
