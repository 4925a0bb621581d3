package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/moderation"
)

// The admin console: the platform's reviewers decide what waits (held
// posts, reports, appeals, verification claims); its admins also act on
// users and circles, stage the rollout flags and read the audit log. Each
// page calls the same capability, with the same access, as the API does
// for it.
func (a *App) adminRoutes() {
	// What the API serves behind the circles rollout is behind it here too.
	queue := options{access: staff, released: "circles"}
	a.handle("GET /admin", options{access: staff}, a.adminDashboard)

	a.handle("GET /admin/review", queue, a.view(a.reviewPage))
	a.handle("POST /admin/review/{item}/approve", queue, a.decideReview(true))
	a.handle("POST /admin/review/{item}/reject", queue, a.decideReview(false))
	a.handle("GET /admin/reports", queue, a.view(a.reportsPage))
	a.handle("POST /admin/reports/{case}/uphold", queue, a.decideCase(true))
	a.handle("POST /admin/reports/{case}/dismiss", queue, a.decideCase(false))
	a.handle("GET /admin/appeals", queue, a.view(a.appealsPage))
	a.handle("POST /admin/appeals/{id}/grant", queue, a.decideAppeal(true))
	a.handle("POST /admin/appeals/{id}/deny", queue, a.decideAppeal(false))
	a.handle("GET /admin/verifications", options{access: staff}, a.view(a.verificationsPage))
	a.handle("POST /admin/verifications/{id}/approve", options{access: staff}, a.decideClaim(true))
	a.handle("POST /admin/verifications/{id}/reject", options{access: staff}, a.decideClaim(false))

	a.handle("GET /admin/users", options{access: staff}, a.usersPage)
	a.handle("GET /admin/users/{handle}", options{access: staff}, a.view(a.userPage))
	a.handle("POST /admin/users/{handle}/suspend", options{access: adminOnly}, a.suspendUser)
	a.handle("POST /admin/users/{handle}/unsuspend", options{access: adminOnly}, a.unsuspendUser)
	a.handle("POST /admin/users/{handle}/role", options{access: adminOnly}, a.setUserRole)
	a.handle("POST /admin/users/{handle}/credit", options{access: adminOnly}, a.importCredit)
	a.handle("GET /admin/circles", options{access: adminOnly}, a.view(a.circlesPage))
	a.handle("POST /admin/circles/{id}/close", options{access: adminOnly}, a.closeCircle)
	a.handle("POST /admin/circles/{id}/reopen", options{access: adminOnly}, a.reopenCircle)

	a.handle("GET /admin/flags", options{access: adminOnly}, a.view(a.flagsPage))
	a.handle("POST /admin/flags", options{access: adminOnly}, a.createFlag)
	a.handle("GET /admin/flags/{key}", options{access: adminOnly}, a.view(a.flagPage))
	a.handle("POST /admin/flags/{key}", options{access: adminOnly}, a.putFlag)
	a.handle("POST /admin/flags/{key}/pause", options{access: adminOnly}, a.pauseFlag(true))
	a.handle("POST /admin/flags/{key}/resume", options{access: adminOnly}, a.pauseFlag(false))
	a.handle("GET /admin/audit", options{access: adminOnly}, a.auditPage)
}

// adminNav is the console's sub-navigation: its sections (those the
// reader may open), the current one, and what waits in each.
type adminNav struct {
	Section string
	Admin   bool
	Backlog moderation.Backlog
	Claims  int64
}

// nav reads what the console's sub-navigation shows.
func (a *App) nav(r *http.Request, p *Page, section string) (adminNav, error) {
	n := adminNav{Section: section, Admin: p.User().Role == account.RoleAdmin}
	var err error
	if n.Backlog, err = a.Moderation.Backlog(r.Context(), p.Actor()); err != nil {
		return n, err
	}
	n.Claims, err = a.Accounts.PendingClaims(r.Context())
	return n, err
}

// viewFunc renders a console page; failed holds the forms sent from it
// that are shown again with their explanations, by the form's name.
type viewFunc func(w http.ResponseWriter, r *http.Request, p *Page, failed map[string]*Form) error

// view serves a console page on its own (no form shown again).
func (a *App) view(v viewFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Page) error { return v(w, r, p, nil) }
}

// again shows the page a form came from once more, the capability's
// refusal err next to the form's field or above the form named form, with
// what was typed kept. A fault of ours goes to the error page instead.
func (a *App) again(w http.ResponseWriter, r *http.Request, p *Page, v viewFunc, form string, err error, fields ...string) error {
	f := newForm(r)
	if err := p.formError(f, err, fields...); err != nil {
		return err
	}
	return v(w, r, p, map[string]*Form{form: f})
}

// status is a console page's status: 422 when it shows a refused form.
func status(failed map[string]*Form) int {
	if len(failed) > 0 {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

// stray is the explanation of a refused form that the page no longer
// shows (the item was decided meanwhile, say), for the top of the page;
// shown names the forms the page shows.
func stray(failed map[string]*Form, shown map[string]bool) string {
	for name, f := range failed {
		if shown[name] {
			continue
		}
		if f.Error != "" {
			return f.Error
		}
		for _, msg := range f.Errors {
			return msg
		}
	}
	return ""
}

// back is where a decision returns to: the page it was made on, with its
// query (a filter, a page of the list), if the form says so and it is in
// the console; else fallback.
func back(r *http.Request, fallback string) string {
	if to := localNext(r.PostFormValue("back")); strings.HasPrefix(to, "/admin") {
		return to
	}
	return fallback
}

// pageQuery keeps a list's filters for its "next page" link, with cursor
// replaced by next.
func pageQuery(r *http.Request, next string) string {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "cursor" {
			q[k] = v
		}
	}
	q.Set("cursor", next)
	return r.URL.Path + "?" + q.Encode()
}

// waited says how long something has waited, in the page's words.
func waited(p *Page, d time.Duration) string {
	switch {
	case d < time.Minute:
		return p.T("under a minute")
	case d < time.Hour:
		return p.T("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return p.T("%d h", int(d/time.Hour))
	default:
		return p.T("%d days", int(d/(24*time.Hour)))
	}
}

// Words shared with the rest of the app (reasons, attribute kinds, causes
// of a hold) are translated through these tables rather than the
// catalogue, so the console's wording cannot clash with another page's.
type words map[string][2]string // code → English, Chinese

func (w words) say(p *Page, code string) string {
	if v, ok := w[code]; ok {
		if p.Lang == zh {
			return v[1]
		}
		return v[0]
	}
	return strings.ReplaceAll(code, "_", " ")
}

// option is a choice in a select: its value and its words.
type option struct{ Value, Label string }

func (w words) options(p *Page, codes []string) []option {
	out := make([]option, len(codes))
	for i, c := range codes {
		out[i] = option{c, w.say(p, c)}
	}
	return out
}

var reasonWords = words{
	"spam":           {"Spam", "垃圾广告"},
	"nudity":         {"Nudity", "裸露"},
	"violence":       {"Violence", "暴力"},
	"harassment":     {"Harassment", "骚扰"},
	"hate":           {"Hate", "仇恨言论"},
	"scam":           {"Scam", "诈骗"},
	"illegal":        {"Illegal", "违法"},
	"misinformation": {"Misinformation", "不实信息"},
	"off_topic":      {"Off topic", "跑题"},
	"other":          {"Other", "其他"},
}

var causeWords = words{
	"circle_review":          {"The circle reviews posts before they appear", "圈子设置了先审后发"},
	"screen_words":           {"Matched a listed phrase", "命中了屏蔽词"},
	"screen_hash":            {"Looks like a blocked picture", "与被屏蔽的图片相似"},
	"classifier":             {"The picture check flagged it", "图片检测认为有问题"},
	"classifier_unavailable": {"The picture check was unavailable", "图片检测暂不可用"},
}

var kindWords = words{
	"gender":         {"Gender", "性别"},
	"student":        {"Student", "学生身份"},
	"employment":     {"Employment", "职业"},
	"identity_level": {"Identity level", "实名等级"},
	"birth_year":     {"Birth year", "出生年份"},
	"post":           {"Post", "帖子"},
	"comment":        {"Comment", "评论"},
	"user":           {"User", "用户"},
	"circle":         {"Circle", "圈子"},
	"review":         {"Rejected post", "被拒的帖子"},
	"report":         {"Upheld report", "成立的举报"},
	"strike":         {"Sanction", "处罚"},
}

var actionWords = words{
	moderation.ActionWarn:    {"Warn", "警告"},
	moderation.ActionMute:    {"Mute (hours)", "禁言（小时）"},
	moderation.ActionBan:     {"Ban from the circle (days)", "移出并封禁（天）"},
	moderation.ActionSuspend: {"Suspend the account (days)", "封停账号（天）"},
	moderation.ActionClose:   {"Close the circle", "关闭圈子"},
}

var roleWords = words{
	"user":     {"User", "普通用户"},
	"reviewer": {"Reviewer", "审核员"},
	"admin":    {"Admin", "管理员"},
}

var wordTables = map[string]words{"reason": reasonWords, "cause": causeWords, "kind": kindWords, "action": actionWords, "role": roleWords}

// AdminSay is a console word in the page's language: table is reason,
// cause, kind, action or role, code the value ("off_topic").
func (p *Page) AdminSay(table, code string) string { return wordTables[table].say(p, code) }

// AdminReasons are the reasons to choose from in the console's forms.
func (p *Page) AdminReasons() []option { return reasonWords.options(p, moderation.Reasons) }

// Waited says how long something has waited, given in seconds.
func (p *Page) Waited(seconds int64) string { return waited(p, time.Duration(seconds)*time.Second) }
