package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/store"
)

// The queues the platform's reviewers work through: held posts and
// comments, report cases, appeals and verification claims. Each decision
// is a form of its own, back to the queue with a flash.

type reviewPage struct {
	Nav     adminNav
	Queue   moderation.Queue
	Next    string // the next page's address
	Forms   map[string]*Form
	Problem string
}

func (a *App) reviewPage(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error {
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	q, err := a.Moderation.Queue(r.Context(), p.Actor(), "", pg)
	if err != nil {
		return err
	}
	nav, err := a.nav(r, p, "review")
	if err != nil {
		return err
	}
	d := reviewPage{Nav: nav, Queue: q, Forms: failed}
	if q.NextCursor != "" {
		d.Next = pageQuery(r, q.NextCursor)
	}
	shown := map[string]bool{}
	for _, it := range q.Items {
		shown["reject-"+it.ID], shown["approve-"+it.ID] = true, true
	}
	d.Problem = stray(failed, shown)
	p.Nav, p.Title = "admin", p.T("Review queue")
	return a.render(w, r, p, status(failed), "admin_review", d)
}

// decideReview approves or rejects a held item, as POST
// /api/v1/review/{item}/approve and …/reject do.
func (a *App) decideReview(approve bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Page) error {
		id := r.PathValue("item")
		d := moderation.Decision{Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")}
		if _, err := a.Moderation.Decide(r.Context(), p.Actor(), id, approve, d); err != nil {
			form := "reject-" + id
			if approve {
				form = "approve-" + id
			}
			return a.again(w, r, p, a.reviewPage, form, err, "reason", "note")
		}
		msg := p.T("Approved: the post is published and its author told.")
		if !approve {
			msg = p.T("Rejected: the post stays hidden and its author is told why.")
		}
		return a.redirect(w, r, back(r, "/admin/review"), msg)
	}
}

type reportsPage struct {
	Nav     adminNav
	Cases   moderation.Cases
	Next    string
	Forms   map[string]*Form
	Problem string
}

func (a *App) reportsPage(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error {
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	cases, err := a.Moderation.OpenCases(r.Context(), p.Actor(), "", pg)
	if err != nil {
		return err
	}
	nav, err := a.nav(r, p, "reports")
	if err != nil {
		return err
	}
	d := reportsPage{Nav: nav, Cases: cases, Forms: failed}
	if cases.NextCursor != "" {
		d.Next = pageQuery(r, cases.NextCursor)
	}
	shown := map[string]bool{}
	for _, k := range cases.Items {
		shown["uphold-"+k.ID], shown["dismiss-"+k.ID] = true, true
	}
	d.Problem = stray(failed, shown)
	p.Nav, p.Title = "admin", p.T("Reports")
	return a.render(w, r, p, status(failed), "admin_reports", d)
}

// CaseActions are the actions upholding a case of this kind may take, as
// the moderation part allows them (suspend and close for admins only).
func (p *Page) CaseActions(kind string) []option {
	var codes []string
	switch kind {
	case moderation.KindPost, moderation.KindComment:
		codes = []string{moderation.ActionWarn, moderation.ActionMute, moderation.ActionBan}
	case moderation.KindUser:
		codes = []string{moderation.ActionWarn}
		if p.User().Role == account.RoleAdmin {
			codes = append(codes, moderation.ActionSuspend)
		}
	case moderation.KindCircle:
		if p.User().Role == account.RoleAdmin {
			codes = []string{moderation.ActionClose}
		}
	}
	return actionWords.options(p, codes)
}

// wholeField reads a whole number from the form ("" is 0), with the
// explanation next to the field when it is not one.
func wholeField(p *Page, f *Form, name string) (int, bool) {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f.Errors[name] = p.T("Enter a whole number.")
		return 0, false
	}
	return n, true
}

// decideCase upholds or dismisses a report case, as POST
// /api/v1/reports/{case}/uphold and …/dismiss do.
func (a *App) decideCase(uphold bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Page) error {
		id := r.PathValue("case")
		form := "dismiss-" + id
		if uphold {
			form = "uphold-" + id
		}
		f := newForm(r)
		d := moderation.Decision{Reason: f.Get("reason"), Note: f.Get("note"), Action: f.Get("action")}
		hours, ok1 := wholeField(p, f, "hours")
		days, ok2 := wholeField(p, f, "days")
		if !ok1 || !ok2 {
			return a.reportsPage(w, r, p, map[string]*Form{form: f})
		}
		// The form has one box for a term; its unit goes with the action.
		switch d.Action {
		case moderation.ActionMute:
			d.Hours = hours
		case moderation.ActionBan, moderation.ActionSuspend:
			d.Days = days
		}
		if _, err := a.Moderation.DecideCase(r.Context(), p.Actor(), id, uphold, d); err != nil {
			return a.again(w, r, p, a.reportsPage, form, err, "action", "hours", "days", "reason", "note")
		}
		msg := p.T("Report dismissed: nothing was removed.")
		if uphold {
			msg = p.T("Report upheld: the content is removed and its author told.")
		}
		return a.redirect(w, r, back(r, "/admin/reports"), msg)
	}
}

type appealsPage struct {
	Nav     adminNav
	Appeals []moderation.Appeal
	Next    string
	Forms   map[string]*Form
	Problem string
}

func (a *App) appealsPage(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error {
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	items, next, err := a.Moderation.PendingAppeals(r.Context(), p.Actor(), pg)
	if err != nil {
		return err
	}
	nav, err := a.nav(r, p, "appeals")
	if err != nil {
		return err
	}
	d := appealsPage{Nav: nav, Appeals: items, Forms: failed}
	if next != "" {
		d.Next = pageQuery(r, next)
	}
	shown := map[string]bool{}
	for _, x := range items {
		shown["appeal-"+x.ID] = true
	}
	d.Problem = stray(failed, shown)
	p.Nav, p.Title = "admin", p.T("Appeals")
	return a.render(w, r, p, status(failed), "admin_appeals", d)
}

// decideAppeal grants or denies an appeal, as POST
// /api/v1/appeals/{id}/grant and …/deny do.
func (a *App) decideAppeal(grant bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Page) error {
		id := r.PathValue("id")
		if _, err := a.Moderation.DecideAppeal(r.Context(), p.Actor(), id, grant, r.PostFormValue("note")); err != nil {
			return a.again(w, r, p, a.appealsPage, "appeal-"+id, err, "note")
		}
		msg := p.T("Appeal denied: the decision stands.")
		if grant {
			msg = p.T("Appeal granted: the decision is undone.")
		}
		return a.redirect(w, r, back(r, "/admin/appeals"), msg)
	}
}

type verificationsPage struct {
	Nav      adminNav
	Status   string
	Statuses []string
	Claims   []account.Verification
	Next     string
	Forms    map[string]*Form
	Problem  string
}

func (a *App) verificationsPage(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error {
	q := r.URL.Query()
	pg, err := store.ParsePage(q.Get("cursor"), "")
	if err != nil {
		return err
	}
	st := q.Get("status")
	if st == "" {
		st = account.VerPending
	}
	claims, next, err := a.Accounts.VerificationQueue(r.Context(), p.User(), st, pg)
	if err != nil {
		return err
	}
	nav, err := a.nav(r, p, "verifications")
	if err != nil {
		return err
	}
	d := verificationsPage{Nav: nav, Status: st, Claims: claims, Forms: failed,
		Statuses: []string{account.VerPending, account.VerApproved, account.VerRejected, account.VerRevoked, account.VerSuperseded, account.VerWithdrawn}}
	if next != "" {
		d.Next = pageQuery(r, next)
	}
	shown := map[string]bool{}
	for _, c := range claims {
		shown["approve-"+c.ID], shown["reject-"+c.ID] = true, true
	}
	d.Problem = stray(failed, shown)
	p.Nav, p.Title = "admin", p.T("Verification queue")
	return a.render(w, r, p, status(failed), "admin_verifications", d)
}

// ClaimValue writes a claimed value for the queue.
func (p *Page) ClaimValue(v account.Verification) string {
	switch x := v.Value.(type) {
	case bool:
		if x {
			return p.T("yes")
		}
		return p.T("no")
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// decideClaim approves (optionally until a date) or rejects (with a
// reason the user sees) a verification claim, as POST
// /api/v1/admin/verifications/{id}/approve and …/reject do.
func (a *App) decideClaim(approve bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Page) error {
		id := r.PathValue("id")
		form := "reject-" + id
		fn := a.Accounts.Reject
		if approve {
			form, fn = "approve-"+id, a.Accounts.Approve
		}
		f := newForm(r)
		d := account.Decision{Reason: f.Get("reason")}
		if v := strings.TrimSpace(f.Get("expires")); approve && v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, time.UTC)
			if err != nil || !t.After(a.DB.Now()) {
				f.Errors["expires"] = p.T("Enter a date after today, such as 2027-06-30, or leave it empty.")
				return a.verificationsPage(w, r, p, map[string]*Form{form: f})
			}
			d.ExpiresAt = &t
		}
		if _, err := fn(r.Context(), p.User(), id, d); err != nil {
			return a.again(w, r, p, a.verificationsPage, form, err, "reason", "expires")
		}
		msg := p.T("Claim approved: the attribute is verified.")
		if !approve {
			msg = p.T("Claim rejected: the user sees your reason.")
		}
		return a.redirect(w, r, back(r, "/admin/verifications"), msg)
	}
}

var claimStatusWords = words{
	account.VerPending:    {"pending", "待审核"},
	account.VerApproved:   {"approved", "已通过"},
	account.VerRejected:   {"rejected", "已拒绝"},
	account.VerRevoked:    {"revoked", "已撤销"},
	account.VerSuperseded: {"superseded", "已被取代"},
	account.VerWithdrawn:  {"withdrawn", "已撤回"},
}

// ClaimStatus is a claim's status in words.
func (p *Page) ClaimStatus(s string) string { return claimStatusWords.say(p, s) }
