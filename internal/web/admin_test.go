package web

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// as is a user as the capabilities see them, for setting up state.
func as(u account.User) circle.Actor { return circle.Actor{User: u} }

// circleOf creates an open circle owned by owner, with review "none",
// "media" or "all", and lets the members in.
func (e *env) circleOf(owner account.User, name, review string, members ...account.User) circle.Circle {
	e.t.Helper()
	ctx := context.Background()
	cat := "campus"
	c, err := e.deps.Circles.Create(ctx, as(owner), circle.Settings{Name: &name, Category: &cat, Review: &review})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range members {
		if _, err := e.deps.Circles.Join(ctx, as(m), c.ID, circle.JoinRequest{}); err != nil {
			e.t.Fatal(err)
		}
	}
	return c
}

// photoBytes is a small JPEG with something in it.
func photoBytes(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// heldPhoto posts a picture in a circle that reviews media: the post is
// held. It returns the post and the picture's id.
func (e *env) heldPhoto(author account.User, c circle.Circle, text string) (post.Post, string) {
	e.t.Helper()
	ctx := context.Background()
	up, err := e.deps.Media.Upload(ctx, as(author), photoBytes(e.t), "photo.jpg")
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := e.deps.Posts.Create(ctx, as(author), c.ID, post.Draft{Text: text, MediaIDs: []string{up.ID}})
	if err != nil {
		e.t.Fatal(err)
	}
	if p.Status != "held" {
		e.t.Fatalf("the post is %s, want held", p.Status)
	}
	return p, up.ID
}

func (e *env) one(q string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.db.QueryRow(context.Background(), q, args...).Scan(&s); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return s
}

func TestTheConsoleIsForStaffAndItsAdminPartsForAdmins(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	e.user("rev", account.RoleReviewer)
	e.user("boss", account.RoleAdmin)
	anon := e.browser()
	if res := anon.get("/admin/review"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/login?next=") {
		t.Fatalf("signed out: %d %s", res.status, res.header.Get("Location"))
	}
	staffPages := []string{"/admin", "/admin/review", "/admin/reports", "/admin/appeals", "/admin/verifications", "/admin/users", "/admin/users/mei"}
	adminPages := []string{"/admin/circles", "/admin/flags", "/admin/flags/circles", "/admin/audit"}
	mei := e.browser()
	mei.signIn("mei")
	for _, path := range append(staffPages, adminPages...) {
		res := mei.get(path)
		if res.status != http.StatusForbidden {
			t.Fatalf("a user opens %s: %d", path, res.status)
		}
		res.has(t, "This page is for", "Back to home")
	}
	rev := e.browser()
	rev.signIn("rev")
	for _, path := range staffPages {
		if res := rev.get(path); res.status != http.StatusOK {
			t.Fatalf("a reviewer opens %s: %d\n%s", path, res.status, res.body)
		}
	}
	for _, path := range adminPages {
		res := rev.get(path)
		if res.status != http.StatusForbidden {
			t.Fatalf("a reviewer opens %s: %d", path, res.status)
		}
		res.has(t, "This page is for admins.")
	}
	// The reviewer's console has no admin sections, and no money.
	res := rev.get("/admin")
	res.has(t, `href="/admin/review"`, "Posts and reports per day", "Review queue by waiting time")
	res.lacks(t, `href="/admin/flags"`, "Money moved per day", "Tips per day")
	// Nor may a reviewer act as an admin by posting the forms.
	rev.get("/admin/users/mei")
	if res := rev.post("/admin/users/mei/suspend", url.Values{"reason": {"spam"}, "days": {"1"}}); res.status != http.StatusForbidden {
		t.Fatalf("a reviewer suspends: %d", res.status)
	}
	boss := e.browser()
	boss.signIn("boss")
	for _, path := range append(staffPages, adminPages...) {
		res := boss.get(path)
		if res.status != http.StatusOK {
			t.Fatalf("an admin opens %s: %d\n%s", path, res.status, res.body)
		}
		res.has(t, `class="wide"`, `aria-label="Console sections"`)
	}
	// In Chinese too.
	boss.header.Set("Accept-Language", "zh-CN")
	boss.get("/admin").has(t, "审核队列", "每日资金流动")
}

func TestAHeldPictureWaitsBlurredAndTheReviewerDecides(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	e.user("rev", account.RoleReviewer)
	c := e.circleOf(owner, "Campus Diary", "media", mei)
	first, pic := e.heldPhoto(mei, c, "sunset over the lake")
	second, _ := e.heldPhoto(mei, c, "another one")
	item := e.one(`SELECT id FROM review_items WHERE target_id = $1`, first.ID)
	other := e.one(`SELECT id FROM review_items WHERE target_id = $1`, second.ID)

	rev := e.browser()
	rev.signIn("rev")
	res := rev.get("/admin/review")
	blurred := `src="/api/v1/media/` + pic + `/blurred"`
	res.has(t, "sunset over the lake", "The circle reviews posts before they appear", blurred,
		`href="/api/v1/media/`+pic+`?reveal=1"`, `data-reveal="/api/v1/media/`+pic+`?reveal=1"`, "review.js", `id="shortcuts"`, "Reveal picture")
	res.lacks(t, `src="/api/v1/media/`+pic+`"`, `src="/api/v1/media/`+pic+`/thumb"`, `src="/api/v1/media/`+pic+`?reveal=1"`)
	if pics := rev.get("/api/v1/media/" + pic + "/blurred"); pics.status != http.StatusOK || pics.header.Get("X-Quanzi-Blurred") != "1" {
		t.Fatalf("the blurred copy, with the web session: %d %v", pics.status, pics.header)
	}

	// Rejecting needs a reason: the form comes back with it explained,
	// the note kept, and nothing decided.
	rev.get("/admin/review")
	res = rev.post("/admin/review/"+other+"/reject", url.Values{"note": {"please crop it"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("reject without a reason: %d", res.status)
	}
	res.has(t, `id="reason-`+other+`-e"`, "Give one of these reasons", ">please crop it</textarea>", `<details class="reject" open>`)
	if st := e.one(`SELECT status FROM review_items WHERE id = $1`, other); st != "pending" {
		t.Fatalf("a refused rejection decided the item: %s", st)
	}

	notes := func() int {
		return e.count(`SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = 'review_decided'`, mei.ID)
	}
	res = rev.post("/admin/review/"+item+"/approve", url.Values{"back": {"/admin/review"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/review" {
		t.Fatalf("approve: %d %s\n%s", res.status, res.header.Get("Location"), res.body)
	}
	res = rev.follow(res)
	res.has(t, "Approved: the post is published and its author told.", "another one")
	res.lacks(t, "sunset over the lake")
	if st := e.one(`SELECT status FROM posts WHERE id = $1`, first.ID); st != "published" || notes() != 1 {
		t.Fatalf("after approval the post is %s, %d notes", st, notes())
	}
	// Deciding again is refused, and said so at the top of the page.
	res = rev.post("/admin/review/"+item+"/approve", url.Values{})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("approve twice: %d", res.status)
	}
	res.has(t, `class="alert" role="alert"`)

	rev.get("/admin/review")
	res = rev.follow(rev.post("/admin/review/"+other+"/reject", url.Values{"reason": {"spam"}, "note": {"looks like an advert"}}))
	res.has(t, "Rejected: the post stays hidden", "Nothing waits for review")
	if st, reason := e.one(`SELECT status FROM posts WHERE id = $1`, second.ID), e.one(`SELECT reason FROM review_items WHERE id = $1`, other); st == "published" || reason != "spam" || notes() != 2 {
		t.Fatalf("after rejection the post is %s, reason %q, %d notes", st, reason, notes())
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'review.%'`); n != 2 {
		t.Fatalf("%d review decisions audited, want 2", n)
	}

	// Mei appeals; the reviewer who rejected may not settle it, another may.
	x, err := e.deps.Moderation.FileAppeal(context.Background(), as(mei), moderation.AppealRequest{Kind: "review", ID: other, Text: "It is my own photo, not an advert."})
	if err != nil {
		t.Fatal(err)
	}
	rev.get("/admin/appeals").has(t, "It is my own photo, not an advert.", "Rejected post", "@mei")
	res = rev.post("/admin/appeals/"+x.ID+"/grant", url.Values{"note": {"fair enough"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("the first decider grants: %d", res.status)
	}
	res.has(t, ">fair enough</textarea>", `class="alert" role="alert"`)
	e.user("rev2", account.RoleReviewer)
	rev2 := e.browser()
	rev2.signIn("rev2")
	rev2.get("/admin/appeals")
	res = rev2.follow(rev2.post("/admin/appeals/"+x.ID+"/grant", url.Values{"note": {"fair enough"}}))
	res.has(t, "Appeal granted: the decision is undone.", "No appeals wait.")
	if st := e.one(`SELECT status FROM posts WHERE id = $1`, second.ID); st != "published" {
		t.Fatalf("after the appeal the post is %s", st)
	}
}

func TestVerificationClaimsAreDecidedFromTheQueue(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	e.user("rev", account.RoleReviewer)
	ctx := context.Background()
	student, err := e.deps.Accounts.ClaimAttribute(ctx, mei, account.Claim{Kind: "student", Value: json.RawMessage(`"Tsinghua University"`), Evidence: "Student card no. 2024-118"})
	if err != nil {
		t.Fatal(err)
	}
	year, err := e.deps.Accounts.ClaimAttribute(ctx, mei, account.Claim{Kind: "birth_year", Value: json.RawMessage(`2001`)})
	if err != nil {
		t.Fatal(err)
	}
	rev := e.browser()
	rev.signIn("rev")
	rev.get("/admin/verifications").has(t, "@mei", "Student card no. 2024-118", "Student", "Tsinghua University", "Birth year", "2001", "/admin/verifications/"+student.ID+"/approve")

	res := rev.post("/admin/verifications/"+year.ID+"/reject", url.Values{"reason": {"  "}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("reject without a reason: %d", res.status)
	}
	res.has(t, `id="reason-`+year.ID+`-e"`, "A reason is required to reject a verification")
	res = rev.post("/admin/verifications/"+student.ID+"/approve", url.Values{"expires": {"2001-01-01"}})
	res.has(t, `id="expires-`+student.ID+`-e"`, `value="2001-01-01"`)
	if st := e.one(`SELECT status FROM verifications WHERE id = $1`, student.ID); st != "pending" {
		t.Fatalf("a refused decision changed the claim: %s", st)
	}

	res = rev.follow(rev.post("/admin/verifications/"+student.ID+"/approve", url.Values{}))
	res.has(t, "Claim approved: the attribute is verified.")
	res = rev.follow(rev.post("/admin/verifications/"+year.ID+"/reject", url.Values{"reason": {"The year does not match the card."}}))
	res.has(t, "Claim rejected: the user sees your reason.", "No claims here.")
	if a, b := e.one(`SELECT status FROM verifications WHERE id = $1`, student.ID), e.one(`SELECT status FROM verifications WHERE id = $1`, year.ID); a != "approved" || b != "rejected" {
		t.Fatalf("claims: %s and %s", a, b)
	}
	rev.get("/admin/verifications?status=rejected").has(t, "The year does not match the card.", "Decided by @rev.")
}

func TestSuspendingAUserEndsTheirSession(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	e.user("boss", account.RoleAdmin)
	mei := e.browser()
	mei.signIn("mei")
	mei.get("/").has(t, "data-signed-in")

	boss := e.browser()
	boss.signIn("boss")
	boss.get("/admin/users?q=me").has(t, `href="/admin/users/mei"`, "in good standing")
	boss.get("/admin/users/mei").has(t, "Suspend account", "Import score")
	strikes := func() int { return e.count(`SELECT COUNT(*) FROM strikes`) }
	res := boss.post("/admin/users/mei/suspend", url.Values{"reason": {"spam"}, "days": {"a week"}, "note": {"Stop the adverts."}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("days in words: %d", res.status)
	}
	res.has(t, `id="s-days-e"`, `value="a week"`, ">Stop the adverts.</textarea>")
	if strikes() != 0 {
		t.Fatal("a refused suspension was written")
	}
	res = boss.follow(boss.post("/admin/users/mei/suspend", url.Values{"reason": {"spam"}, "days": {"7"}, "note": {"Stop the adverts."}}))
	res.has(t, "The account is suspended", "Lift suspension", "suspended")
	if strikes() != 1 {
		t.Fatalf("%d strikes", strikes())
	}
	if res := mei.get("/"); strings.Contains(res.body, "data-signed-in") {
		t.Fatal("the suspended user's session still works")
	}
	boss.get("/admin/users?q=mei").has(t, "suspended")
	res = boss.follow(boss.post("/admin/users/mei/unsuspend", url.Values{}))
	res.has(t, "The suspension is lifted", "Suspend account")
}

func TestCreditImportChangesTheScoreAndIsAudited(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	e.user("boss", account.RoleAdmin)
	boss := e.browser()
	boss.signIn("boss")
	boss.get("/admin/users/mei")
	audits := func() int {
		return e.count(`SELECT COUNT(*) FROM audit_log WHERE target_type = 'user' AND target_id = $1`, mei.ID)
	}
	before := audits()
	res := boss.post("/admin/users/mei/credit", url.Values{"score": {"2000"}, "source": {"Sesame"}, "reason": {"yearly check"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("score out of range: %d", res.status)
	}
	res.has(t, `id="c-score-e"`, "A credit score is from 350 to 950", `value="Sesame"`, ">yearly check</textarea>")
	if audits() != before || e.count(`SELECT COUNT(*) FROM credit_scores WHERE user_id = $1 AND source = 'Sesame'`, mei.ID) != 0 {
		t.Fatal("a refused import was written")
	}
	res = boss.follow(boss.post("/admin/users/mei/credit", url.Values{"score": {"720"}, "source": {"Sesame"}, "reason": {"yearly check"}}))
	res.has(t, "The credit score is now 720 (from external:Sesame).", "<strong>720</strong>")
	if s := e.one(`SELECT score FROM credit_scores WHERE user_id = $1`, mei.ID); s != "720" || audits() != before+1 {
		t.Fatalf("score %s, %d audit entries (was %d)", s, audits(), before)
	}
	// The entry shows in the audit log, found by who did it.
	boss.get("/admin/audit?actor=boss").has(t, "@boss", "credit")
	boss.get("/admin/audit?actor=nobody_here").has(t, "No entries match.")
	res = boss.get("/admin/audit?from=yesterday")
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad date: %d", res.status)
	}
	res.has(t, `id="a-from-e"`, `value="yesterday"`)
}

func TestAFlagsEditShowsInItsHistory(t *testing.T) {
	e := newEnv(t)
	e.user("boss", account.RoleAdmin)
	boss := e.browser()
	boss.signIn("boss")
	boss.get("/admin/flags").has(t, `href="/admin/flags/circles"`)
	res := boss.post("/admin/flags", url.Values{"key": {"Bad Key"}})
	res.has(t, `id="n-key-e"`, `value="Bad Key"`)
	res = boss.follow(boss.post("/admin/flags", url.Values{"key": {"beta"}, "description": {"The new composer"}}))
	res.has(t, "The flag beta was created", "Flag beta", "switched off")

	// A stage that is not one is explained next to the stages, with what
	// was typed kept, and nothing saved.
	res = boss.post("/admin/flags/beta", url.Values{"enabled": {"on"}, "percentage": {"25"}, "stages": {"tomorrow 50"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad stage: %d", res.status)
	}
	res.has(t, `id="f-stages-e"`, ">tomorrow 50</textarea>", `value="25"`)
	if f, _ := e.deps.Flags.Get(context.Background(), "beta"); f.Enabled || f.Percentage != 0 {
		t.Fatalf("a refused edit was saved: %+v", f)
	}
	res = boss.post("/admin/flags/beta", url.Values{"enabled": {"on"}, "percentage": {"25"}, "stages": {"2020-01-01 00:00 10\n2019-01-01 00:00 20"}})
	res.has(t, `id="f-stages-e"`, "Stages must be in time order")

	res = boss.follow(boss.post("/admin/flags/beta", url.Values{"enabled": {"on"}, "percentage": {"25"}, "description": {"The new composer"},
		"stages": {"2099-01-01 08:00 60"}, "guard_metric": {"reports_per_100_posts"}, "guard_threshold": {"5"}}))
	res.has(t, "The flag beta was saved.", "25%", "next: 60% at 2099-01-01 08:00", "Reports per 100 posts")
	f, err := e.deps.Flags.Get(context.Background(), "beta")
	if err != nil || !f.Enabled || f.Percentage != 25 || len(f.Stages) != 1 || f.Guard == nil {
		t.Fatalf("saved: %+v %v", f, err)
	}
	entries, err := audit.For(context.Background(), e.db, "flag", "beta")
	if err != nil {
		t.Fatal(err)
	}
	points := flagHistory(entries, f, e.db.Now())
	if len(points) != 2 || points[0].Value != 0 || points[1].Value != 25 {
		t.Fatalf("history: %+v", points)
	}
	res.has(t, `<path class="line"`, "Stage history of beta", "<td class=\"num\">25%</td>")

	// Paused, it stays where it stands.
	res = boss.follow(boss.post("/admin/flags/beta/pause", url.Values{}))
	res.has(t, "is paused where it stands", "Resume the stages")
	if f, _ := e.deps.Flags.Get(context.Background(), "beta"); f.PausedAt == nil {
		t.Fatal("not paused")
	}
	boss.get("/admin?flag=beta").has(t, "Stage history of beta")
}

func TestTheDashboardDrawsWhatHappened(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	fan := e.user("fan", account.RoleUser)
	e.user("boss", account.RoleAdmin)
	c := e.circleOf(owner, "Tips", "none", mei, fan)
	p, err := e.deps.Posts.Create(ctx, as(mei), c.ID, post.Draft{Text: "worth a tip"})
	if err != nil {
		t.Fatal(err)
	}
	top, receipt, err := e.deps.Wallet.ChargeTopup(ctx, fan, wallet.TopupRequest{Amount: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := e.deps.Wallet.CompleteTopup(ctx, tx, fan.ID, top, receipt)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, amount := range []int64{100, 300} {
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := e.deps.Posts.SendTip(ctx, tx, as(fan), p.ID, post.TipRequest{Amount: amount})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	today := days(e.db.Now(), 1)[0]
	count, amount, err := post.TipsPerDay(ctx, e.db, today, today.AddDate(0, 0, 1))
	if err != nil || count[today] != 2 || amount[today] != 400 {
		t.Fatalf("tips today: %v %v %v", count, amount, err)
	}

	boss := e.browser()
	boss.signIn("boss")
	res := boss.get("/admin")
	res.has(t, "Money moved per day", "Tips per day", "2 tips, ¥4.00 in all", "Posts and reports per day")
	tips := svgOf(t, res.body, "tips")
	bars := regexp.MustCompile(`<rect class="bar" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"><title>([^<]+)</title>`).FindAllStringSubmatch(tips, -1)
	if len(bars) != dashboardDays {
		t.Fatalf("%d bars, want one a day for %d days", len(bars), dashboardDays)
	}
	// Today's bar is the last and reaches the top of the scale (0 to 2);
	// the other days are empty.
	for i, b := range bars {
		want := "0"
		if i == len(bars)-1 {
			want = num(plotH)
		}
		if b[1] != want {
			t.Fatalf("bar %d (%s) is %s high, want %s", i, b[2], b[1], want)
		}
	}
	if !strings.HasSuffix(bars[len(bars)-1][2], ": 2") {
		t.Fatalf("today's tooltip: %s", bars[len(bars)-1][2])
	}
	// Money: the top-up and the two tips, ¥104.00 today.
	res.has(t, "¥104.00 in all")
	if n := strings.Count(svgOf(t, res.body, "posts-reports"), `<rect class="bar2"`); n != dashboardDays {
		t.Fatalf("%d report bars", n)
	}
}

// svgOf is the SVG of the chart with id on a page.
func svgOf(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `aria-labelledby="`+id+`-t `+id+`-d"`)
	if start < 0 {
		t.Fatalf("no chart %s on the page", id)
	}
	end := strings.Index(page[start:], "</svg>")
	return page[start : start+end]
}

func TestAdminsCloseAndReopenCirclesWithTheirCounts(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	e.user("boss", account.RoleAdmin)
	c := e.circleOf(owner, "Night_Market 100%", "media", mei)
	e.circleOf(owner, "Book club", "none")
	e.heldPhoto(mei, c, "a stall")
	boss := e.browser()
	boss.signIn("boss")
	res := boss.get("/admin/circles?q=" + url.QueryEscape("_market 100%"))
	res.has(t, "Night_Market 100%", "2 members · 1 waiting for review · 0 open reports", "open for use")
	res.lacks(t, "Book club")
	res = boss.post("/admin/circles/"+c.ID+"/close", url.Values{"note": {"fake goods"}, "back": {"/admin/circles"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("close without a reason: %d", res.status)
	}
	res.has(t, `id="creason-`+c.ID+`-e"`, ">fake goods</textarea>")
	if n := e.count(`SELECT COUNT(*) FROM circles WHERE shut_at IS NOT NULL`); n != 0 {
		t.Fatal("a refused closing closed the circle")
	}
	res = boss.follow(boss.post("/admin/circles/"+c.ID+"/close", url.Values{"reason": {"scam"}, "note": {"fake goods"}, "back": {"/admin/circles"}}))
	res.has(t, "The circle is closed", "closed by the platform", "Reopen circle", "Scam")
	res = boss.follow(boss.post("/admin/circles/"+c.ID+"/reopen", url.Values{}))
	res.has(t, "The circle is open again.")
	if n := e.count(`SELECT COUNT(*) FROM circles WHERE shut_at IS NOT NULL`); n != 0 {
		t.Fatal("still closed")
	}
}

func TestReportsAreUpheldOrDismissed(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	e.user("rev", account.RoleReviewer)
	ctx := context.Background()
	c := e.circleOf(owner, "Open talk", "none", mei, lin)
	bad, err := e.deps.Posts.Create(ctx, as(mei), c.ID, post.Draft{Text: "buy cheap watches"})
	if err != nil {
		t.Fatal(err)
	}
	fine, err := e.deps.Posts.Create(ctx, as(mei), c.ID, post.Draft{Text: "a fine post"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []post.Post{bad, fine} {
		if _, err := e.deps.Moderation.Report(ctx, as(lin), moderation.KindPost, p.ID, moderation.ReportRequest{Reason: "spam", Note: "an advert"}); err != nil {
			t.Fatal(err)
		}
	}
	badCase := e.one(`SELECT id FROM report_cases WHERE target_id = $1`, bad.ID)
	fineCase := e.one(`SELECT id FROM report_cases WHERE target_id = $1`, fine.ID)
	rev := e.browser()
	rev.signIn("rev")
	res := rev.get("/admin/reports")
	res.has(t, "buy cheap watches", "Spam × 1", "an advert", "Mute (hours)")
	res.lacks(t, "Suspend the account") // a reviewer suspends nobody
	res = rev.post("/admin/reports/"+badCase+"/uphold", url.Values{"action": {"mute"}, "hours": {"0"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a mute of 0 hours: %d", res.status)
	}
	res.has(t, `id="hours-`+badCase+`-e"`)
	res = rev.follow(rev.post("/admin/reports/"+badCase+"/uphold", url.Values{"action": {"mute"}, "hours": {"24"}, "days": {"3"}}))
	res.has(t, "Report upheld")
	res = rev.follow(rev.post("/admin/reports/"+fineCase+"/dismiss", url.Values{"note": {"nothing wrong"}}))
	res.has(t, "Report dismissed", "No open reports.")
	if a, b, st := e.one(`SELECT status FROM report_cases WHERE id = $1`, badCase), e.one(`SELECT status FROM report_cases WHERE id = $1`, fineCase),
		e.one(`SELECT status FROM posts WHERE id = $1`, bad.ID); a != "upheld" || b != "dismissed" || st != "deleted" {
		t.Fatalf("cases %s and %s, post %s", a, b, st)
	}
	if n := e.count(`SELECT COUNT(*) FROM strikes WHERE kind = 'mute' AND user_id = $1`, mei.ID); n != 1 {
		t.Fatalf("%d mutes", n)
	}
}
