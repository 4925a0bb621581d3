package api

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
)

// kinds lists the kinds of token's notifications, newest first.
func (e *env) kinds(token string) []string {
	e.t.Helper()
	r := e.ok(req{method: "GET", path: "/api/v1/notifications", token: token}, 200)
	var out []string
	for _, it := range r.json["items"].([]any) {
		out = append(out, it.(map[string]any)["kind"].(string))
	}
	return out
}

// standing is what token's credit report says of their standing.
func (e *env) standing(token string) string {
	e.t.Helper()
	for _, f := range e.ok(req{method: "GET", path: "/api/v1/me/credit", token: token}, 200).json["factors"].([]any) {
		if f := f.(map[string]any); f["key"] == "standing" {
			s, _ := f["value"].(string)
			return s
		}
	}
	return ""
}

func TestReviewQueueApprovesAndRejects(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	stranger := e.user("stranger", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Careful words", "review": "all", "visibility": "closed"})
	for _, tok := range []string{mei, lin, rev} {
		e.addMember(owner, c, tok)
	}
	mine := e.postIn(owner, c, map[string]any{"text": "the owner's own post goes out"})
	first := e.postIn(mei, c, map[string]any{"text": "first"})
	second := e.postIn(mei, c, map[string]any{"text": "second"})
	e.postIn(rev, c, map[string]any{"text": "a reviewer's own post"})
	if got := ids(e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: lin})); fmt.Sprint(got) != fmt.Sprint([]string{mine}) {
		t.Fatalf("before review the feed holds only the moderator's post: %v", got)
	}

	q := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/review", token: owner}, 200)
	items := q.json["items"].([]any)
	if q.json["pending"] != float64(3) || len(items) != 3 || items[0].(map[string]any)["target_id"] != first || items[1].(map[string]any)["target_id"] != second {
		t.Fatalf("the queue, oldest first: %s", q.body)
	}
	firstItem, secondItem, revItem := items[0].(map[string]any)["id"].(string), items[1].(map[string]any)["id"].(string), items[2].(map[string]any)["id"].(string)
	if items[0].(map[string]any)["text"] != "first" || items[0].(map[string]any)["author"].(map[string]any)["handle"] != "mei" {
		t.Fatalf("an item shows what waits and whose it is: %v", items[0])
	}
	p1 := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/review?limit=2", token: owner}, 200)
	next, _ := p1.json["next_cursor"].(string)
	p2 := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/review?limit=2&cursor=" + next, token: owner}, 200)
	if len(p1.json["items"].([]any)) != 2 || next == "" || len(p2.json["items"].([]any)) != 1 || p2.json["items"].([]any)[0].(map[string]any)["id"] != revItem {
		t.Fatalf("the queue pages: %s then %s", p1.body, p2.body)
	}
	// Who may see the queue.
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/review", token: lin}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/review", token: stranger}), 404, "not_found")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/review"}), 401, "unauthenticated")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/review", token: owner}), 403, "forbidden")
	if g := e.ok(req{method: "GET", path: "/api/v1/review", token: rev}, 200); g.json["pending"] != float64(3) {
		t.Fatalf("the platform queue: %s", g.body)
	}
	// Who may decide: not a member, not a stranger (who learns nothing), not the author.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/review/" + firstItem + "/approve", token: lin}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/review/" + firstItem + "/approve", token: stranger}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/review/" + revItem + "/approve", token: rev}), 403, "own_content")

	// Approve: published, in the feed, the author told.
	if r := e.ok(req{method: "POST", path: "/api/v1/review/" + firstItem + "/approve", token: owner}, 200); r.json["status"] != "approved" {
		t.Fatalf("approve: %s", r.body)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: lin})); !slices.Contains(got, first) {
		t.Fatalf("an approved post is in the feed: %v", got)
	}
	if k := e.kinds(mei); len(k) == 0 || k[0] != "review_decided" {
		t.Fatalf("the author hears of the approval: %v", k)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/review/" + firstItem + "/reject", token: rev, body: map[string]any{"reason": "spam"}}), 409, "already_decided")

	// Reject: a reason is required and must be known; nothing changes until it is.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/review/" + secondItem + "/reject", token: owner}), 422, "unknown_reason")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/review/" + secondItem + "/reject", token: owner, body: map[string]any{"reason": "boring"}}), 422, "unknown_reason")
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + second, token: mei}); r.json["status"] != "held" {
		t.Fatalf("a refused decision changed the post: %s", r.body)
	}
	r := e.ok(req{method: "POST", path: "/api/v1/review/" + secondItem + "/reject", token: rev, body: map[string]any{"reason": "off_topic", "note": "Try the photo circle."}}, 200)
	if r.json["status"] != "rejected" || r.json["reason"] != "off_topic" || r.json["decided_by"].(map[string]any)["handle"] != "rev" {
		t.Fatalf("reject: %s", r.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + second, token: lin}), 404, "not_found")
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + second, token: mei}); r.json["status"] != "rejected" {
		t.Fatalf("the author sees the rejection: %s", r.body)
	}
	if k := e.kinds(lin); len(k) != 0 {
		t.Fatalf("nobody else hears of posts in review: %v", k)
	}
	if q := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/review", token: owner}, 200); q.json["pending"] != float64(1) {
		t.Fatalf("decided items leave the queue: %s", q.body)
	}
	// Decisions are audited, and admins can search the log.
	boss := e.user("boss", account.RoleAdmin)
	search := func(query string) []string {
		t.Helper()
		var out []string
		for _, it := range e.ok(req{method: "GET", path: "/api/v1/admin/audit?" + query, token: boss}, 200).json["items"].([]any) {
			it := it.(map[string]any)
			out = append(out, it["action"].(string)+" by "+it["actor"].(string))
		}
		return out
	}
	if got := search("action=review."); fmt.Sprint(got) != "[review.reject by rev review.approve by owner]" {
		t.Fatalf("the review decisions, newest first: %v", got)
	}
	if got := search("action=review.&actor=owner&target_type=post&target_id=" + first); fmt.Sprint(got) != "[review.approve by owner]" {
		t.Fatalf("by actor and target: %v", got)
	}
	if got := search("action=review.approve&actor=nobody"); len(got) != 0 {
		t.Fatalf("an unknown actor acted on nothing: %v", got)
	}
	pg := e.ok(req{method: "GET", path: "/api/v1/admin/audit?action=review.&limit=1", token: boss}, 200)
	more := e.ok(req{method: "GET", path: "/api/v1/admin/audit?action=review.&limit=1&cursor=" + pg.json["next_cursor"].(string), token: boss}, 200)
	if len(pg.json["items"].([]any)) != 1 || more.json["items"].([]any)[0].(map[string]any)["action"] != "review.approve" {
		t.Fatalf("the log pages: %s then %s", pg.body, more.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/admin/audit?from=yesterday", token: boss}), 422, "invalid")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/admin/audit", token: rev}), 403, "forbidden")
}

// addMember lets token into a closed circle through an invite from owner.
func (e *env) addMember(owner, circleID, token string) {
	e.t.Helper()
	inv := e.ok(req{method: "POST", path: "/api/v1/circles/" + circleID + "/invites", token: owner, body: map[string]any{}}, 201)
	e.ok(req{method: "POST", path: "/api/v1/circles/" + circleID + "/members", token: token, body: map[string]any{"invite_code": inv.json["code"]}}, 201)
}

func TestReportsCollapseIntoCasesThatModeratorsDecide(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	zhao := e.user("zhao", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	c := e.circle(owner, map[string]any{"name": "Open talk"})
	closed := e.circle(owner, map[string]any{"name": "Inner room", "visibility": "closed"})
	for _, tok := range []string{mei, lin, zhao} {
		e.join(tok, c)
	}
	p := e.postIn(mei, c, map[string]any{"text": "something rude"})
	inner := e.postIn(owner, closed, map[string]any{"text": "members only"})
	cm := e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: zhao, body: map[string]any{"text": "a fair reply"}}, 201).json["id"].(string)

	one := e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/reports", token: lin, body: map[string]any{"reason": "harassment", "note": "aimed at me"}}, 201)
	two := e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/reports", token: zhao, body: map[string]any{"reason": "spam"}}, 201)
	if one.json["case_id"] != two.json["case_id"] {
		t.Fatalf("reports on one post collapse into one case: %s %s", one.body, two.body)
	}
	// Bad reports are refused and write nothing.
	before := e.count("reports")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/reports", token: lin, body: map[string]any{"reason": "spam"}}), 409, "already_reported")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/reports", token: mei, body: map[string]any{"reason": "spam"}}), 403, "own_content")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/reports", token: owner, body: map[string]any{"reason": "ugly"}}), 422, "unknown_reason")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + inner + "/reports", token: lin, body: map[string]any{"reason": "spam"}}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/nope/reports", token: lin, body: map[string]any{"reason": "spam"}}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/users/nobody/reports", token: lin, body: map[string]any{"reason": "spam"}}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/reports", body: map[string]any{"reason": "spam"}}), 401, "unauthenticated")
	if after := e.count("reports"); after != before {
		t.Fatalf("refused reports were written: %d → %d", before, after)
	}
	e.ok(req{method: "POST", path: "/api/v1/comments/" + cm + "/reports", token: mei, body: map[string]any{"reason": "other"}}, 201)
	e.ok(req{method: "POST", path: "/api/v1/users/mei/reports", token: lin, body: map[string]any{"reason": "harassment"}}, 201)

	// The circle's moderators see its post and comment cases; reviewers see all.
	cs := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/reports", token: owner}, 200)
	items := cs.json["items"].([]any)
	if cs.json["open"] != float64(2) || len(items) != 2 {
		t.Fatalf("the circle's open cases: %s", cs.body)
	}
	byKind := func(items []any, kind string) map[string]any {
		t.Helper()
		for _, it := range items {
			if it := it.(map[string]any); it["kind"] == kind {
				return it
			}
		}
		t.Fatalf("no %s case in %v", kind, items)
		return nil
	}
	postCase := byKind(items, "post")
	if postCase["kind"] != "post" || postCase["reports"] != float64(2) || postCase["reasons"].(map[string]any)["harassment"] != float64(1) ||
		postCase["text"] != "something rude" || postCase["subject"].(map[string]any)["handle"] != "mei" {
		t.Fatalf("a case counts its reports by reason: %v", postCase)
	}
	commentCase := byKind(items, "comment")["id"].(string)
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/reports", token: lin}), 403, "forbidden")
	all := e.ok(req{method: "GET", path: "/api/v1/reports", token: rev}, 200)
	if all.json["open"] != float64(3) {
		t.Fatalf("reviewers see every case: %s", all.body)
	}
	userCase := byKind(all.json["items"].([]any), "user")["id"].(string)

	// Uphold: the post goes, its author is told.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/reports/" + postCase["id"].(string) + "/uphold", token: lin}), 404, "not_found")
	up := e.ok(req{method: "POST", path: "/api/v1/reports/" + postCase["id"].(string) + "/uphold", token: owner, body: map[string]any{"note": "Be kind."}}, 200)
	if up.json["status"] != "upheld" {
		t.Fatalf("uphold: %s", up.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + p, token: lin}), 404, "not_found")
	if k := e.kinds(mei); len(k) == 0 || k[0] != "content_removed" {
		t.Fatalf("the author hears of the removal: %v", k)
	}
	if standing := e.standing(mei); standing != "1 upheld report" {
		t.Fatalf("an upheld report counts against the author's standing: %q", standing)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/reports/" + postCase["id"].(string) + "/dismiss", token: owner}), 409, "already_decided")
	// A user case is for the platform's reviewers only.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/reports/" + userCase + "/uphold", token: owner}), 404, "not_found")
	e.ok(req{method: "POST", path: "/api/v1/reports/" + userCase + "/dismiss", token: rev}, 200)
	e.ok(req{method: "POST", path: "/api/v1/reports/" + commentCase + "/dismiss", token: owner}, 200)
	var upheld int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM report_cases WHERE status = 'upheld' AND subject_id IS NOT NULL`).Scan(&upheld); err != nil || upheld != 1 {
		t.Fatalf("one upheld case: %d %v", upheld, err)
	}
	// What moderation did here is public to those who may see the circle.
	tr := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/transparency"}, 200)
	if tr.json["reports_received"] != 3.0 || tr.json["cases_upheld"] != 1.0 || tr.json["cases_dismissed"] != 1.0 ||
		tr.json["items_removed"] != 1.0 || tr.json["decisions"] != 2.0 || tr.json["median_decision_seconds"] == nil {
		t.Fatalf("transparency: %s", tr.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + closed + "/transparency", token: lin}), 404, "not_found")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/transparency?days=0"}), 422, "invalid")
	// Reported again after a decision: a new case.
	e.ok(req{method: "POST", path: "/api/v1/users/mei/reports", token: zhao, body: map[string]any{"reason": "spam"}}, 201)
	if all := e.ok(req{method: "GET", path: "/api/v1/reports", token: rev}, 200); all.json["open"] != float64(1) {
		t.Fatalf("a fresh case after a decision: %s", all.body)
	}
}

func TestAGuardPausesARolloutAndTellsTheAdmins(t *testing.T) {
	e := newEnv(t)
	boss := e.user("boss", account.RoleAdmin)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Guarded", "slug": "guarded"})
	other := e.circle(owner, map[string]any{"name": "Elsewhere"})
	e.join(mei, c)
	e.join(lin, c)
	e.join(lin, other)
	guard := map[string]any{"metric": "reports_per_100_posts", "threshold": 10, "min_posts": 5, "circles": []string{"guarded"}}
	set := map[string]any{"enabled": true, "percentage": 5, "guard": guard,
		"stages": []map[string]any{{"at": "2099-01-01T00:00:00Z", "percentage": 50}}}

	// Bad guards are refused, and nothing is written.
	for _, g := range []map[string]any{
		{"metric": "views", "threshold": 1},
		{"metric": "reports_per_100_posts", "threshold": -1},
		{"metric": "reports_per_100_posts", "threshold": 1, "window_minutes": 2},
		{"metric": "reports_per_100_posts", "threshold": 1, "circles": []string{"no-such-circle"}},
	} {
		wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/admin/flags/composer", token: boss, body: map[string]any{"enabled": true, "guard": g}}), 422, "invalid")
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/admin/flags/composer", token: boss}), 404, "not_found")

	f := e.ok(req{method: "PUT", path: "/api/v1/admin/flags/composer", token: boss, body: set}, 200)
	if g := f.json["guard"].(map[string]any); g["window_minutes"] != float64(60) || g["circles"].([]any)[0] != c {
		t.Fatalf("the guard is stored with its defaults and circle ids: %s", f.body)
	}
	check := func() []string {
		t.Helper()
		keys, err := e.api.Flags.CheckGuards(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	var posts []string
	for i := range 4 {
		posts = append(posts, e.postIn(mei, c, map[string]any{"text": fmt.Sprint("post ", i)}))
	}
	e.ok(req{method: "POST", path: "/api/v1/posts/" + posts[0] + "/reports", token: lin, body: map[string]any{"reason": "spam"}}, 201)
	// Reports elsewhere do not count.
	elsewhere := e.postIn(owner, other, map[string]any{"text": "not guarded"})
	e.ok(req{method: "POST", path: "/api/v1/posts/" + elsewhere + "/reports", token: lin, body: map[string]any{"reason": "spam"}}, 201)
	if got := check(); len(got) != 0 {
		t.Fatalf("4 posts are too few to judge: %v", got)
	}
	r := e.ok(req{method: "GET", path: "/api/v1/admin/flags/composer", token: boss}, 200).json["guard_reading"].(map[string]any)
	if r["events"] != float64(1) || r["posts"] != float64(4) || r["judged"] != false || r["value"] != float64(25) {
		t.Fatalf("the reading: %v", r)
	}
	posts = append(posts, e.postIn(mei, c, map[string]any{"text": "post 5"}))
	if got := check(); fmt.Sprint(got) != "[composer]" {
		t.Fatalf("1 report in 5 posts (20 per 100) is above 10: %v", got)
	}
	f = e.ok(req{method: "GET", path: "/api/v1/admin/flags/composer", token: boss}, 200)
	if f.json["paused_at"] == nil || f.json["tripped"].(map[string]any)["value"] != float64(20) || f.json["tripped"].(map[string]any)["percentage"] != float64(5) {
		t.Fatalf("the guard paused the flag where it stood: %s", f.body)
	}
	if k := e.kinds(boss); len(k) != 1 || k[0] != "flag_paused" {
		t.Fatalf("the admins are told: %v", k)
	}
	if got := check(); len(got) != 0 {
		t.Fatalf("a paused flag is not paused again: %v", got)
	}
	var audited int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'flag.guard_pause' AND target_id = 'composer'`).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("the pause is audited: %d %v", audited, err)
	}
	// Resumed, the guard counts afresh from the resumption.
	f = e.ok(req{method: "POST", path: "/api/v1/admin/flags/composer/resume", token: boss}, 200)
	if f.json["paused_at"] != nil || f.json["tripped"] != nil {
		t.Fatalf("resume: %s", f.body)
	}
	if got := check(); len(got) != 0 {
		t.Fatalf("after resuming, earlier reports no longer count: %v", got)
	}
}

func TestTipsAreHeldUntilModerationHasHadItsChance(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	zhao := e.user("zhao", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Tipped", "tips": map[string]any{"fee_bps": 1000, "min": 100, "max": 50_000, "daily_cap": 200_000}})
	for _, tok := range []string{mei, lin, zhao} {
		e.join(tok, c)
	}
	e.fund(lin, 10_000)
	wallet := func(tok string) (float64, float64) {
		t.Helper()
		w := e.ok(req{method: "GET", path: "/api/v1/wallet", token: tok}, 200)
		return w.json["available"].(float64), w.json["held"].(float64)
	}
	tip := func(post string, amount int, key string) response {
		return e.do(req{method: "POST", path: "/api/v1/posts/" + post + "/tips", token: lin, body: map[string]any{"amount": amount}, header: map[string]string{"Idempotency-Key": key}})
	}
	removed := e.postIn(mei, c, map[string]any{"text": "soon reported"})
	kept := e.postIn(mei, c, map[string]any{"text": "a good one"})
	for i, p := range []string{removed, removed, kept} {
		if r := tip(p, 1000, fmt.Sprint("t", i)); r.status != 201 || r.json["status"] != "held" {
			t.Fatalf("tip %d: %s", i, r.body)
		}
	}
	if a, h := wallet(mei); a != 0 || h != 2700 {
		t.Fatalf("tips are held for the author: available %v, held %v", a, h)
	}
	// Reported and pending: no more tips until a moderator decides.
	e.ok(req{method: "POST", path: "/api/v1/posts/" + removed + "/reports", token: zhao, body: map[string]any{"reason": "scam"}}, 201)
	wantProblem(t, tip(removed, 1000, "t-reported"), 409, "post_reported")
	if a, _ := wallet(lin); a != 7000 {
		t.Fatalf("a refused tip moved money: %v", a)
	}
	// Upheld: the post goes and its held tips come back, fee included.
	cases := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/reports", token: owner}, 200).json["items"].([]any)
	e.ok(req{method: "POST", path: "/api/v1/reports/" + cases[0].(map[string]any)["id"].(string) + "/uphold", token: owner}, 200)
	if a, _ := wallet(lin); a != 9000 {
		t.Fatalf("the tipper has both tips back: %v", a)
	}
	if a, h := wallet(mei); a != 0 || h != 900 {
		t.Fatalf("the author keeps only the held tip on the kept post: available %v, held %v", a, h)
	}
	var fees int64
	if err := e.db.QueryRow(context.Background(), `SELECT available FROM ledger_accounts WHERE id = 'sys_fees'`).Scan(&fees); err != nil || fees != 100 {
		t.Fatalf("the fees of refunded tips went back: %d %v", fees, err)
	}
	if k := e.kinds(lin); len(k) < 2 || k[0] != "tip_refunded" || k[1] != "tip_refunded" {
		t.Fatalf("the tipper hears of each refund: %v", k)
	}
	var refunds int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM journal_entries WHERE kind = 'tip_refund' AND reverses IS NOT NULL`).Scan(&refunds); err != nil || refunds != 2 {
		t.Fatalf("one reversing entry per refunded tip: %d %v", refunds, err)
	}
	// The hold passes: the tip on the kept post becomes the author's to spend, once.
	if _, err := e.db.Exec(context.Background(), `UPDATE tips SET release_at = $1 WHERE status = 'held'`, e.db.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	for want, round := range []int{1, 0} {
		n, err := e.api.Posts.ReleaseDueTips(context.Background())
		if err != nil || n != round {
			t.Fatalf("release round %d: %d %v", want, n, err)
		}
	}
	if a, h := wallet(mei); a != 900 || h != 0 {
		t.Fatalf("released: available %v, held %v", a, h)
	}
	// Deleting the post after the hold takes nothing back.
	e.ok(req{method: "DELETE", path: "/api/v1/posts/" + kept, token: owner}, 204)
	if a, _ := wallet(mei); a != 900 {
		t.Fatalf("a released tip stays with the author: %v", a)
	}
	e.ledgerOK()
	// A circle may release tips at once, or hold them up to a week.
	wantProblem(t, e.do(req{method: "PATCH", path: "/api/v1/circles/" + c, token: owner, body: map[string]any{"tip_hold_hours": 200}}), 422, "invalid")
	if r := e.ok(req{method: "PATCH", path: "/api/v1/circles/" + c, token: owner, body: map[string]any{"tip_hold_hours": 0}}, 200); r.json["tip_hold_hours"] != 0.0 {
		t.Fatalf("hold hours: %s", r.body)
	}
	now := e.postIn(mei, c, map[string]any{"text": "tips free at once"})
	if r := tip(now, 500, "t-now"); r.status != 201 || r.json["status"] != "released" {
		t.Fatalf("without a hold: %s", r.body)
	}
	if a, _ := wallet(mei); a != 900+450 {
		t.Fatalf("without a hold the tip is available at once: %v", a)
	}
}

func TestStrikesMuteAndCountAgainstStanding(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Calm"})
	e.join(mei, c)
	e.join(lin, c)
	p := e.postIn(lin, c, map[string]any{"text": "hello"})
	path := "/api/v1/circles/" + c + "/strikes"
	// Refused, writing nothing.
	for _, bad := range []struct {
		token  string
		body   map[string]any
		status int
		code   string
	}{
		{lin, map[string]any{"handle": "mei", "reason": "spam"}, 403, "forbidden"},
		{owner, map[string]any{"handle": "mei", "reason": "rude"}, 422, "unknown_reason"},
		{owner, map[string]any{"handle": "mei", "reason": "spam", "mute_hours": 1000}, 422, "invalid"},
		{owner, map[string]any{"handle": "nobody", "reason": "spam"}, 404, "not_found"},
		{owner, map[string]any{"handle": "owner", "reason": "spam"}, 403, "own_content"},
	} {
		wantProblem(t, e.do(req{method: "POST", path: path, token: bad.token, body: bad.body}), bad.status, bad.code)
	}
	if n := e.count("strikes"); n != 0 {
		t.Fatalf("refused strikes were written: %d", n)
	}
	st := e.ok(req{method: "POST", path: path, token: owner, body: map[string]any{"handle": "mei", "reason": "harassment", "note": "Cool off.", "mute_hours": 24}}, 201)
	if st.json["muted_until"] == nil || st.json["user"].(map[string]any)["handle"] != "mei" {
		t.Fatalf("strike: %s", st.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/posts", token: mei, body: map[string]any{"text": "still here"}}), 403, "muted")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: mei, body: map[string]any{"text": "hi"}}), 403, "muted")
	me := e.ok(req{method: "GET", path: "/api/v1/circles/" + c, token: mei}, 200).json["me"].(map[string]any)
	if me["muted_until"] == nil || me["rights"].(map[string]any)["post"].(map[string]any)["allowed"] != false {
		t.Fatalf("the member sees the mute in their standing: %v", me)
	}
	if k := e.kinds(mei); len(k) != 1 || k[0] != "strike" {
		t.Fatalf("the member is told: %v", k)
	}
	// A warning without a mute still counts against standing.
	e.ok(req{method: "POST", path: path, token: owner, body: map[string]any{"handle": "lin", "reason": "off_topic"}}, 201)
	e.postIn(lin, c, map[string]any{"text": "a warning does not mute"})
	if standing := e.standing(mei); standing != "1 moderation strike" {
		t.Fatalf("a strike counts against standing: %q", standing)
	}
}

func TestSlowModeAndPostLimitsKeepACirclesPace(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	slow := e.circle(owner, map[string]any{"name": "Slow"})
	capped := e.circle(owner, map[string]any{"name": "Capped"})
	e.join(mei, slow)
	e.join(mei, capped)
	wantProblem(t, e.do(req{method: "PATCH", path: "/api/v1/circles/" + slow, token: owner, body: map[string]any{"slow_mode_seconds": -1}}), 422, "invalid")
	wantProblem(t, e.do(req{method: "PATCH", path: "/api/v1/circles/" + slow, token: owner, body: map[string]any{"posts_per_day": 5000}}), 422, "invalid")
	e.ok(req{method: "PATCH", path: "/api/v1/circles/" + slow, token: owner, body: map[string]any{"slow_mode_seconds": 600}}, 200)
	e.ok(req{method: "PATCH", path: "/api/v1/circles/" + capped, token: owner, body: map[string]any{"posts_per_day": 2}}, 200)

	p := e.postIn(mei, slow, map[string]any{"text": "first"})
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + slow + "/posts", token: mei, body: map[string]any{"text": "too soon"}}), 429, "slow_mode")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: mei, body: map[string]any{"text": "too soon"}}), 429, "slow_mode")
	e.postIn(owner, slow, map[string]any{"text": "moderators keep no pace"})
	e.postIn(owner, slow, map[string]any{"text": "twice"})
	// Once the wait is over, the member may speak again.
	if _, err := e.db.Exec(context.Background(), `UPDATE posts SET created_at = $1 WHERE id = $2`, e.db.Now().Add(-11*time.Minute), p); err != nil {
		t.Fatal(err)
	}
	e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: mei, body: map[string]any{"text": "later"}}, 201)

	e.postIn(mei, capped, map[string]any{"text": "one"})
	e.postIn(mei, capped, map[string]any{"text": "two"})
	before := e.count("posts")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + capped + "/posts", token: mei, body: map[string]any{"text": "three"}}), 429, "post_limit_reached")
	if after := e.count("posts"); after != before {
		t.Fatalf("a refused post was written: %d → %d", before, after)
	}
}

func TestAppealsAreDecidedBySomeoneElseAndUndoTheDecision(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	rev2 := e.user("rev2", account.RoleReviewer)
	c := e.circle(owner, map[string]any{"name": "Strict", "review": "all"})
	e.join(mei, c)
	e.join(lin, c)
	appeal := func(tok, kind, id string) response {
		return e.do(req{method: "POST", path: "/api/v1/appeals", token: tok, body: map[string]any{"kind": kind, "id": id, "text": "It was fine."}})
	}
	// A rejected post, appealed and granted: published.
	p := e.postIn(mei, c, map[string]any{"text": "a fair post"})
	item := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/review", token: owner}, 200).json["items"].([]any)[0].(map[string]any)["id"].(string)
	e.ok(req{method: "POST", path: "/api/v1/review/" + item + "/reject", token: owner, body: map[string]any{"reason": "spam"}}, 200)
	wantProblem(t, appeal(lin, "review", item), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals", token: mei, body: map[string]any{"kind": "review", "id": item, "text": " "}}), 422, "invalid")
	wantProblem(t, appeal(mei, "verdict", item), 422, "invalid")
	a1 := e.ok(req{method: "POST", path: "/api/v1/appeals", token: mei, body: map[string]any{"kind": "review", "id": item, "text": "It was fine."}}, 201)
	wantProblem(t, appeal(mei, "review", item), 409, "already_appealed")
	if q := e.ok(req{method: "GET", path: "/api/v1/appeals", token: rev}, 200); len(q.json["items"].([]any)) != 1 {
		t.Fatalf("the appeals queue: %s", q.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/appeals", token: owner}), 403, "forbidden")
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + a1.json["id"].(string) + "/grant", token: rev, body: map[string]any{"note": "Not spam."}}, 200)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals/" + a1.json["id"].(string) + "/deny", token: rev2}), 409, "already_decided")
	if got := ids(e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: lin})); fmt.Sprint(got) != fmt.Sprint([]string{p}) {
		t.Fatalf("a granted appeal publishes the post: %v", got)
	}
	if k := e.kinds(mei); len(k) == 0 || k[0] != "appeal_decided" {
		t.Fatalf("the appellant is told: %v", k)
	}
	// An upheld report, appealed: the first decider may not settle it; someone else restores the post.
	e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/reports", token: lin, body: map[string]any{"reason": "spam"}}, 201)
	cs := e.ok(req{method: "GET", path: "/api/v1/reports", token: rev}, 200).json["items"].([]any)[0].(map[string]any)["id"].(string)
	e.ok(req{method: "POST", path: "/api/v1/reports/" + cs + "/uphold", token: rev}, 200)
	if s := e.standing(mei); s != "1 upheld report" {
		t.Fatalf("before the appeal: %q", s)
	}
	a2 := e.ok(req{method: "POST", path: "/api/v1/appeals", token: mei, body: map[string]any{"kind": "report", "id": cs, "text": "Not spam."}}, 201).json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/appeals/" + a2 + "/grant", token: rev}), 403, "same_decider")
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + a2 + "/grant", token: rev2}, 200)
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + p, token: lin}); r.status != 200 {
		t.Fatalf("the removed post is back: %d %s", r.status, r.body)
	}
	if s := e.standing(mei); s != "a clean record" {
		t.Fatalf("an overturned report no longer counts: %q", s)
	}
	// A strike with a mute, appealed and granted: revoked, the mute lifted.
	st := e.ok(req{method: "POST", path: "/api/v1/circles/" + c + "/strikes", token: owner, body: map[string]any{"handle": "mei", "reason": "spam", "mute_hours": 24}}, 201)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/posts", token: mei, body: map[string]any{"text": "muted"}}), 403, "muted")
	a3 := e.ok(req{method: "POST", path: "/api/v1/appeals", token: mei, body: map[string]any{"kind": "strike", "id": st.json["id"], "text": "Wrong person."}}, 201).json["id"].(string)
	e.ok(req{method: "POST", path: "/api/v1/appeals/" + a3 + "/grant", token: rev}, 200)
	e.postIn(mei, c, map[string]any{"text": "unmuted"})
	if s := e.standing(mei); s != "a clean record" {
		t.Fatalf("a revoked strike no longer counts: %q", s)
	}
	// Denied: the strike stands.
	st2 := e.ok(req{method: "POST", path: "/api/v1/circles/" + c + "/strikes", token: owner, body: map[string]any{"handle": "lin", "reason": "harassment"}}, 201)
	a4 := e.ok(req{method: "POST", path: "/api/v1/appeals", token: lin, body: map[string]any{"kind": "strike", "id": st2.json["id"], "text": "Please."}}, 201).json["id"].(string)
	if r := e.ok(req{method: "POST", path: "/api/v1/appeals/" + a4 + "/deny", token: rev}, 200); r.json["status"] != "denied" {
		t.Fatalf("deny: %s", r.body)
	}
	if s := e.standing(lin); s != "1 moderation strike" {
		t.Fatalf("a denied appeal leaves the strike: %q", s)
	}
}
