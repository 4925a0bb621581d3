package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/post"
)

// The helpers of the circles and posts tests are named cp… (circles and
// posts), apart from other parts' helpers.

// cpCircle creates a circle owned by owner.
func (e *env) cpCircle(owner account.User, name, slug, category, visibility string, pol circle.Policies, review string) circle.Circle {
	e.t.Helper()
	desc := "All about " + name + "."
	c, err := e.deps.Circles.Create(context.Background(), circle.Actor{User: owner}, circle.Settings{Name: &name, Slug: &slug,
		Category: &category, Visibility: &visibility, Description: &desc, Policies: &pol, Review: &review})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// cpScore gives a user a credit score, as an operator's import does.
func (e *env) cpScore(handle string, score int) {
	e.t.Helper()
	if _, err := e.accounts.ImportCredit(context.Background(), account.User{Role: account.RoleAdmin}, handle, score, "test", "test"); err != nil {
		e.t.Fatal(err)
	}
}

// cpJoin puts a user in a circle, through an invite code for a closed one.
func (e *env) cpJoin(u account.User, c circle.Circle) {
	e.t.Helper()
	ctx := context.Background()
	var jr circle.JoinRequest
	if c.Visibility == circle.Closed {
		owner, err := e.accounts.UserByHandle(ctx, e.db, c.Owner)
		if err != nil {
			e.t.Fatal(err)
		}
		inv, err := e.deps.Circles.CreateInvite(ctx, circle.Actor{User: owner}, c.ID, circle.InviteSettings{})
		if err != nil {
			e.t.Fatal(err)
		}
		jr.InviteCode = inv.Code
	}
	if _, err := e.deps.Circles.Join(ctx, circle.Actor{User: u}, c.ID, jr); err != nil {
		e.t.Fatal(err)
	}
}

// cpPost posts text in a circle as author.
func (e *env) cpPost(author account.User, c circle.Circle, text string) post.Post {
	e.t.Helper()
	p, err := e.deps.Posts.Create(context.Background(), circle.Actor{User: author}, c.ID, post.Draft{Text: text})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestDirectoryListsOpenCirclesAndNeverClosedOnes(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpCircle(owner, "Secret Runners", "secret-runners", "fitness", circle.Closed, circle.Policies{}, circle.ReviewNone)
	e.cpCircle(owner, "Cat People", "cat-people", "pets", circle.Open, circle.Policies{}, circle.ReviewNone)

	b := e.browser()
	res := b.get("/circles?q=run")
	if res.status != http.StatusOK {
		t.Fatalf("search: %d\n%s", res.status, res.body)
	}
	res.has(t, "Morning Run", `href="/c/morning-run"`, `value="run"`)
	res.lacks(t, "Secret Runners", "secret-runners", "Cat People")

	res = b.get("/circles")
	res.has(t, "Morning Run", "Cat People")
	res.lacks(t, "Secret Runners")

	res = b.get("/circles?category=pets")
	res.has(t, "Cat People", `aria-current="page">Pets`)
	res.lacks(t, "Morning Run")

	// Categories by their Chinese names on a Chinese page.
	b.header.Set("Accept-Language", "zh-CN")
	res = b.get("/circles")
	res.has(t, "健身", "宠物", "搜索圈子")

	// Signed in: the way to make a circle.
	e.user("mei", account.RoleUser)
	b = e.browser()
	b.signIn("mei")
	b.get("/circles").has(t, `href="/circles/new"`)
}

func TestCirclePageExplainsRulesAndWhyNot(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Campus Diary", "campus-diary", "campus", circle.Open,
		circle.Policies{Comment: `user.credit_score >= 750`}, circle.ReviewNone)
	e.cpScore("mei", 712)
	e.cpJoin(mei, c)

	// Anyone may read an open circle and its rules, in words.
	anon := e.browser()
	res := anon.get("/c/campus-diary")
	if res.status != http.StatusOK {
		t.Fatalf("anonymous: %d\n%s", res.status, res.body)
	}
	res.has(t, "Campus Diary", "Members: credit score at least 750", "Sign in to see what you may do here")
	res.lacks(t, `id="composer"`, "✓")

	b := e.browser()
	b.signIn("mei")
	res = b.get("/c/campus-diary")
	res.has(t, "Members: credit score at least 750",
		`<span class="explain small" data-action="comment">Commenting here needs a credit score of at least 750; yours is 712.</span>`,
		`id="composer"`, "You are a member")
	res.lacks(t, `id="join"`)

	// In Chinese, the rule and the refusal read in Chinese.
	b.header.Set("Accept-Language", "zh")
	res = b.get("/c/campus-diary")
	res.has(t, "成员：信用分不低于 750", "在这里评论需要信用分至少 750；你的是 712。")
}

func TestJoiningAnOpenCircle(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)

	b := e.browser()
	b.signIn("mei")
	res := b.get("/c/morning-run")
	res.has(t, `<form id="join" method="post" action="/c/morning-run/join"`)
	res.lacks(t, `id="composer"`)
	res = b.follow(b.post("/c/morning-run/join", url.Values{}))
	res.has(t, "Welcome to Morning Run!", `id="composer"`, "You are a member", "2 members")
	if n := e.count(`SELECT COUNT(*) FROM circle_members WHERE circle_id = $1`, c.ID); n != 2 {
		t.Fatalf("%d members, want 2", n)
	}

	// Leaving takes the reader out again.
	res = b.follow(b.post("/c/morning-run/leave", url.Values{}))
	res.has(t, "You have left Morning Run.", `id="join"`)

	// A circle that vets members takes a request, with the answer.
	yes, q := true, "How far do you run?"
	if _, err := e.deps.Circles.Update(context.Background(), circle.Actor{User: owner}, c.ID, circle.Settings{JoinApproval: &yes, JoinQuestion: &q}); err != nil {
		t.Fatal(err)
	}
	res = b.get("/c/morning-run")
	res.has(t, "How far do you run?", "Ask to join")
	res = b.post("/c/morning-run/join", url.Values{})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("no answer: %d", res.status)
	}
	res.has(t, `id="e-answer"`, "How far do you run?")
	res = b.follow(b.post("/c/morning-run/join", url.Values{"answer": {"5 km"}}))
	res.has(t, "Request sent.", "waiting for a moderator")
}

func TestClosedCircleShowsNothingToOutsiders(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Index Fund Club", "index-fund-club", "finance", circle.Closed, circle.Policies{}, circle.ReviewNone)
	p := e.cpPost(owner, c, "My secret portfolio")

	for _, who := range []string{"", "mei"} {
		b := e.browser()
		if who != "" {
			b.signIn(who)
		}
		res := b.get("/c/index-fund-club")
		if res.status != http.StatusNotFound {
			t.Fatalf("%q: the closed circle's page: %d", who, res.status)
		}
		res.lacks(t, "Index Fund Club", "My secret portfolio", "All about")
		res.has(t, "Have an invite code?")
		// The same page as for a circle that does not exist.
		other := b.get("/c/no-such-circle")
		if strings.ReplaceAll(other.body, "no-such-circle", "X") != strings.ReplaceAll(res.body, "index-fund-club", "X") {
			t.Fatalf("%q: a closed circle's 404 differs from a missing one's", who)
		}
		res = b.get("/p/" + p.ID)
		if res.status != http.StatusNotFound {
			t.Fatalf("%q: the closed circle's post: %d", who, res.status)
		}
		res.lacks(t, "My secret portfolio")
	}

	// A wrong code says nothing; the right one lets mei in.
	b := e.browser()
	b.signIn("mei")
	b.get("/c/index-fund-club")
	res := b.post("/c/index-fund-club/join", url.Values{"invite_code": {"WRONGCODE2"}})
	if res.status != http.StatusNotFound {
		t.Fatalf("a wrong code: %d", res.status)
	}
	res.has(t, `id="e-invite_code"`, `value="WRONGCODE2"`)
	res.lacks(t, "Index Fund Club")
	inv, err := e.deps.Circles.CreateInvite(context.Background(), circle.Actor{User: owner}, c.ID, circle.InviteSettings{})
	if err != nil {
		t.Fatal(err)
	}
	res = b.follow(b.post("/c/index-fund-club/join", url.Values{"invite_code": {inv.Code}}))
	res.has(t, "Welcome to Index Fund Club!", "My secret portfolio", "Invitation only")
	b.get("/p/"+p.ID).has(t, "My secret portfolio")
}

func TestCreatingACircleExplainsABadRule(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	b := e.browser()
	b.signIn("mei")
	res := b.get("/circles/new")
	res.has(t, "Credit score at least N", `name="rule_comment"`)

	form := url.Values{"name": {"Night Owls"}, "slug": {"night-owls"}, "category": {"reading"}, "visibility": {"open"},
		"review": {"none"}, "preset_post": {"min_credit"}, "n_post": {"700"}, "rule_comment": {"user.credit_score >="}}
	res = b.post("/circles/new", form)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad rule: %d", res.status)
	}
	res.has(t, `id="e-rule_comment"`, `value="Night Owls"`)
	if n := e.count(`SELECT COUNT(*) FROM circles`); n != 0 {
		t.Fatalf("%d circles after a refused form", n)
	}
	zh := e.browser()
	zh.header.Set("Accept-Language", "zh-CN")
	zh.signIn("mei")
	zh.get("/circles/new")
	zhForm := url.Values{}
	for k, v := range form {
		if k != "csrf" {
			zhForm[k] = v
		}
	}
	zh.post("/circles/new", zhForm).has(t, "规则在 1:21（行:列）处有问题：规则提前结束了，缺了些什么。")

	form.Set("rule_comment", "")
	form.Set("preset_comment", "min_credit") // and no number
	res = b.post("/circles/new", form)
	res.has(t, `id="e-rule_comment"`, "This rule needs a number")

	form.Set("n_comment", "750")
	res = b.follow(b.post("/circles/new", form))
	res.has(t, "Night Owls is ready.", "Members: credit score at least 700", "Members: credit score at least 750")
}
