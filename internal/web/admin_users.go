package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/store"
)

// Users and circles as the platform's staff oversee them: reviewers look,
// admins act (suspend, change roles, import credit, close circles).

type userRow struct {
	account.User
	Strikes   int64
	Suspended *account.Suspension
}

type usersPage struct {
	Nav   adminNav
	Q     string
	Role  string
	Roles []option
	Users []userRow
	Next  string
}

func (a *App) usersPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	ctx := r.Context()
	q := r.URL.Query()
	pg, err := store.ParsePage(q.Get("cursor"), "")
	if err != nil {
		return err
	}
	d := usersPage{Q: strings.TrimSpace(q.Get("q")), Role: q.Get("role"), Roles: roleWords.options(p, []string{"user", "reviewer", "admin"})}
	if d.Role != "" {
		if _, err := account.ParseRole(d.Role); err != nil {
			return err
		}
	}
	users, next, err := a.Accounts.SearchUsers(ctx, p.User(), d.Q, account.Role(d.Role), pg)
	if err != nil {
		return err
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	strikes, err := a.Moderation.StrikesOf(ctx, p.Actor(), ids)
	if err != nil {
		return err
	}
	suspended, err := account.SuspendedAmong(ctx, a.DB, ids, a.DB.Now())
	if err != nil {
		return err
	}
	for _, u := range users {
		row := userRow{User: u, Strikes: strikes[u.ID]}
		if sp, ok := suspended[u.ID]; ok {
			row.Suspended = &sp
		}
		d.Users = append(d.Users, row)
	}
	if next != "" {
		d.Next = pageQuery(r, next)
	}
	if d.Nav, err = a.nav(r, p, "users"); err != nil {
		return err
	}
	p.Nav, p.Title = "admin", p.T("Users")
	return a.render(w, r, p, http.StatusOK, "admin_users", d)
}

type userPage struct {
	Nav        adminNav
	User       account.User
	Verified   map[string]any
	Credit     *credit.Score
	Suspension *account.Suspension
	Strikes    int64
	Audit      []audit.Entry
	Roles      []option
	Forms      map[string]*Form
}

func (a *App) userPage(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error {
	ctx := r.Context()
	u, err := a.Accounts.UserByHandle(ctx, a.DB, r.PathValue("handle"))
	if err != nil {
		return err
	}
	d := userPage{User: u, Forms: failed, Roles: roleWords.options(p, []string{"user", "reviewer", "admin"})}
	if d.Verified, err = a.Accounts.Verified(ctx, a.DB, u.ID); err != nil {
		return err
	}
	if d.Credit, err = credit.Of(ctx, a.DB, u.ID); err != nil {
		return err
	}
	if d.Suspension, err = account.SuspensionOf(ctx, a.DB, u.ID, a.DB.Now()); err != nil {
		return err
	}
	strikes, err := a.Moderation.StrikesOf(ctx, p.Actor(), []string{u.ID})
	if err != nil {
		return err
	}
	d.Strikes = strikes[u.ID]
	if d.Audit, err = audit.For(ctx, a.DB, "user", u.ID); err != nil {
		return err
	}
	if len(d.Audit) > 30 {
		d.Audit = d.Audit[:30]
	}
	if d.Nav, err = a.nav(r, p, "users"); err != nil {
		return err
	}
	p.Nav, p.Title = "admin", "@"+u.Handle
	return a.render(w, r, p, status(failed), "admin_user", d)
}

// Verifiable is what a verified attribute says, for the user's page.
func (p *Page) Verifiable(v any) string {
	return p.ClaimValue(account.Verification{Value: v})
}

func (a *App) userBack(r *http.Request) string {
	return "/admin/users/" + url.PathEscape(r.PathValue("handle"))
}

// suspendUser suspends an account, as POST
// /api/v1/admin/users/{handle}/suspend does.
func (a *App) suspendUser(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	days, ok := wholeField(p, f, "days")
	if !ok {
		return a.userPage(w, r, p, map[string]*Form{"suspend": f})
	}
	req := moderation.SuspendRequest{Reason: f.Get("reason"), Note: f.Get("note"), Days: days}
	if _, err := a.Moderation.Suspend(r.Context(), p.Actor(), r.PathValue("handle"), req); err != nil {
		return a.again(w, r, p, a.userPage, "suspend", err, "reason", "note", "days")
	}
	return a.redirect(w, r, a.userBack(r), p.T("The account is suspended: its sessions have ended and it has been told why."))
}

func (a *App) unsuspendUser(w http.ResponseWriter, r *http.Request, p *Page) error {
	if _, err := a.Moderation.Unsuspend(r.Context(), p.Actor(), r.PathValue("handle"), r.PostFormValue("note")); err != nil {
		return a.again(w, r, p, a.userPage, "unsuspend", err, "note")
	}
	return a.redirect(w, r, a.userBack(r), p.T("The suspension is lifted and the user told."))
}

func (a *App) setUserRole(w http.ResponseWriter, r *http.Request, p *Page) error {
	u, err := a.Accounts.SetRole(r.Context(), p.User(), r.PathValue("handle"), account.Role(r.PostFormValue("role")))
	if err != nil {
		return a.again(w, r, p, a.userPage, "role", err, "role")
	}
	return a.redirect(w, r, a.userBack(r), p.T("@%s is now: %s.", u.Handle, roleWords.say(p, string(u.Role))))
}

// importCredit sets a score from an outside source, as PUT
// /api/v1/admin/users/{handle}/credit does (audited).
func (a *App) importCredit(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	score, err := strconv.Atoi(strings.TrimSpace(f.Get("score")))
	if err != nil {
		f.Errors["score"] = p.T("Enter the score as a whole number from %d to %d.", credit.Min, credit.Max)
		return a.userPage(w, r, p, map[string]*Form{"credit": f})
	}
	sc, err := a.Accounts.ImportCredit(r.Context(), p.User(), r.PathValue("handle"), score, f.Get("source"), f.Get("reason"))
	if err != nil {
		return a.again(w, r, p, a.userPage, "credit", err, "score", "source", "reason")
	}
	return a.redirect(w, r, a.userBack(r), p.T("The credit score is now %d (from %s).", sc.Score, sc.Source))
}

type circlesPage struct {
	Nav     adminNav
	Q       string
	Days    int
	Circles []moderation.CircleStats
	Next    string
	Forms   map[string]*Form
	Problem string
}

func (a *App) circlesPage(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error {
	q := r.URL.Query()
	pg, err := store.ParsePage(q.Get("cursor"), "")
	if err != nil {
		return err
	}
	d := circlesPage{Q: strings.TrimSpace(q.Get("q")), Days: 30, Forms: failed}
	if v := q.Get("days"); v != "" {
		if d.Days, err = strconv.Atoi(v); err != nil || d.Days < 1 || d.Days > 365 {
			return errs.Field("days", "Show 1 to 365 days.")
		}
	}
	var next string
	if d.Circles, next, err = a.Moderation.CircleOverview(r.Context(), p.Actor(), d.Q, d.Days, pg); err != nil {
		return err
	}
	if next != "" {
		d.Next = pageQuery(r, next)
	}
	shown := map[string]bool{}
	for _, c := range d.Circles {
		shown["close-"+c.ID], shown["reopen-"+c.ID] = true, true
	}
	d.Problem = stray(failed, shown)
	if d.Nav, err = a.nav(r, p, "circles"); err != nil {
		return err
	}
	p.Nav, p.Title = "admin", p.T("Circles")
	return a.render(w, r, p, status(failed), "admin_circles", d)
}

// closeCircle shuts a circle, as POST /api/v1/admin/circles/{id}/close does.
func (a *App) closeCircle(w http.ResponseWriter, r *http.Request, p *Page) error {
	id := r.PathValue("id")
	req := moderation.CloseRequest{Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")}
	if _, err := a.Moderation.CloseCircle(r.Context(), p.Actor(), id, req); err != nil {
		return a.again(w, r, p, a.circlesPage, "close-"+id, err, "reason", "note")
	}
	return a.redirect(w, r, back(r, "/admin/circles"), p.T("The circle is closed: only staff can find it now, and its owner and moderators were told."))
}

func (a *App) reopenCircle(w http.ResponseWriter, r *http.Request, p *Page) error {
	id := r.PathValue("id")
	if _, err := a.Moderation.ReopenCircle(r.Context(), p.Actor(), id, r.PostFormValue("note")); err != nil {
		return a.again(w, r, p, a.circlesPage, "reopen-"+id, err, "note")
	}
	return a.redirect(w, r, back(r, "/admin/circles"), p.T("The circle is open again."))
}
