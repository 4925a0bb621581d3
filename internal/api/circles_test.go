package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
)

// verify gives a user approved attributes and a credit score, as a
// reviewer and an operator would.
func (e *env) verify(handle string, attrs map[string]any, score int) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.accounts.UserByHandle(ctx, e.db, handle)
	if err != nil {
		e.t.Fatal(err)
	}
	boss := account.User{ID: "", Role: account.RoleAdmin}
	reviewer, err := e.accounts.UserByHandle(ctx, e.db, "reviewer")
	if err != nil {
		e.user("reviewer", account.RoleReviewer)
		reviewer, _ = e.accounts.UserByHandle(ctx, e.db, "reviewer")
	}
	for kind, v := range attrs {
		raw, _ := json.Marshal(v)
		c, err := e.accounts.ClaimAttribute(ctx, u, account.Claim{Kind: kind, Value: raw})
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.accounts.Approve(ctx, reviewer, c.ID, account.Decision{}); err != nil {
			e.t.Fatal(err)
		}
	}
	if score > 0 {
		if _, err := e.accounts.ImportCredit(ctx, boss, handle, score, "test", "test"); err != nil {
			e.t.Fatal(err)
		}
	}
}

// circle creates a circle as token and returns its id.
func (e *env) circle(token string, body map[string]any) string {
	e.t.Helper()
	if body["category"] == nil {
		body["category"] = "campus"
	}
	r := e.do(req{method: "POST", path: "/api/v1/circles", token: token, body: body})
	if r.status != 201 {
		e.t.Fatalf("creating a circle: %d %s", r.status, r.body)
	}
	return r.json["id"].(string)
}

func (e *env) count(table string) int {
	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestAClosedCircleIsInvisibleToEveryOutsider: to the anonymous, an
// outsider, an applicant, a banned user and a removed member, a closed
// circle answers exactly like one that does not exist — on every path.
func TestAClosedCircleIsInvisibleToEveryOutsider(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	member := e.user("member", account.RoleUser)
	tokens := map[string]string{
		"outsider":  e.user("outsider", account.RoleUser),
		"applicant": e.user("applicant", account.RoleUser),
		"banned":    e.user("banned", account.RoleUser),
		"removed":   e.user("removed", account.RoleUser),
		"anonymous": "",
	}
	id := e.circle(owner, map[string]any{"name": "Secret Garden 秘密花园", "slug": "secret-garden", "visibility": "closed",
		"description": "hidden orchids", "category": "travel"})
	inv := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/invites", token: owner, body: map[string]any{}})
	code := inv.json["code"].(string)
	ask := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/invites", token: owner, body: map[string]any{"requires_approval": true}})
	for _, tok := range []string{member, tokens["banned"], tokens["removed"]} {
		if r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: tok, body: map[string]any{"invite_code": code}}); r.status != 201 {
			t.Fatalf("joining with the code: %d %s", r.status, r.body)
		}
	}
	if r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: tokens["applicant"],
		body: map[string]any{"invite_code": ask.json["code"]}}); r.status != 202 || r.json["status"] != "pending" {
		t.Fatalf("asking to join: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/bans", token: owner, body: map[string]any{"handle": "banned", "reason": "spam"}}); r.status != 201 {
		t.Fatalf("ban: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "DELETE", path: "/api/v1/circles/" + id + "/members/removed", token: owner}); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.body)
	}
	// What a circle that does not exist looks like, path by path.
	missing := "01zzzzzzzzzzzzzzzzzzzzzzzz"
	paths := []string{"", "/members", "/invites", "/join-requests", "/bans"}
	for who, tok := range tokens {
		for _, ref := range []string{id, "secret-garden"} {
			for _, p := range paths {
				got := e.do(req{method: "GET", path: "/api/v1/circles/" + ref + p, token: tok})
				want := e.do(req{method: "GET", path: "/api/v1/circles/" + missing + p, token: tok})
				if got.status != want.status || got.json["code"] != want.json["code"] ||
					strings.ReplaceAll(fmt.Sprint(got.json["detail"]), ref, missing) != fmt.Sprint(want.json["detail"]) {
					t.Errorf("%s GET …/%s%s: %d %s; a missing circle: %d %s", who, ref, p, got.status, got.body, want.status, want.body)
				}
			}
		}
		if tok == "" {
			continue
		}
		// Nor can they act on it.
		for _, r := range []req{
			{method: "POST", path: "/api/v1/circles/" + id + "/members", body: map[string]any{}},
			{method: "POST", path: "/api/v1/circles/" + id + "/members", body: map[string]any{"invite_code": "WRONGCODE2"}},
			{method: "POST", path: "/api/v1/circles/" + id + "/invites", body: map[string]any{}},
			{method: "PATCH", path: "/api/v1/circles/" + id, body: map[string]any{"name": "mine now"}},
		} {
			r.token = tok
			if got := e.do(r); got.status != 404 || got.json["code"] != "not_found" {
				t.Errorf("%s %s %s: %d %s", who, r.method, r.path, got.status, got.body)
			}
		}
	}
	// The directory neither lists nor counts it.
	for _, q := range []string{"secret", "garden", "秘密", "花园", "orchids"} {
		if r := e.do(req{method: "GET", path: "/api/v1/circles?q=" + url.QueryEscape(q)}); len(r.json["items"].([]any)) != 0 {
			t.Errorf("searching %q finds the closed circle: %s", q, r.body)
		}
	}
	cats := e.do(req{method: "GET", path: "/api/v1/circle-categories"})
	for _, c := range cats.json["items"].([]any) {
		if c := c.(map[string]any); c["key"] == "travel" && c["circles"] != float64(0) {
			t.Errorf("the travel category counts the closed circle: %v", c)
		}
	}
	// Its members see it, with the house rules.
	if r := e.do(req{method: "GET", path: "/api/v1/circles/secret-garden", token: member}); r.status != 200 || r.json["me"].(map[string]any)["role"] != "member" {
		t.Fatalf("a member: %d %s", r.status, r.body)
	}
	// The banned cannot come back, not even with a fresh code.
	fresh := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/invites", token: owner, body: map[string]any{}})
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: tokens["banned"],
		body: map[string]any{"invite_code": fresh.json["code"]}}), 403, "banned")
}

func TestRulesDecideAndExplainEachRight(t *testing.T) {
	e := newEnv(t)
	owner := e.user("mei", account.RoleUser)
	e.verify("mei", map[string]any{"gender": "female"}, 800)
	wei := e.user("wei", account.RoleUser)
	e.verify("wei", map[string]any{"gender": "male"}, 712)
	id := e.circle(owner, map[string]any{"name": "Campus Diary 校园日记", "policies": map[string]any{
		"post": `user.verified.gender == "female"`, "comment": `user.credit_score >= 750`}})
	if r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: wei}); r.status != 201 {
		t.Fatalf("joining an open circle: %d %s", r.status, r.body)
	}
	r := e.do(req{method: "GET", path: "/api/v1/circles/" + id, token: wei})
	rights := r.json["me"].(map[string]any)["rights"].(map[string]any)
	post, comment := rights["post"].(map[string]any), rights["comment"].(map[string]any)
	if post["allowed"] != false || !strings.Contains(post["reason"].(string), "female") || !strings.Contains(post["reason"].(string), "male") {
		t.Errorf("wei's right to post: %v", post)
	}
	if comment["allowed"] != false || !strings.Contains(comment["reason"].(string), "750") || !strings.Contains(comment["reason"].(string), "712") {
		t.Errorf("wei's right to comment: %v", comment)
	}
	if tip := rights["tip"].(map[string]any); tip["allowed"] != true {
		t.Errorf("wei's right to tip: %v", tip)
	}
	mine := e.do(req{method: "GET", path: "/api/v1/circles/" + id, token: owner}).json["me"].(map[string]any)["rights"].(map[string]any)
	if mine["post"].(map[string]any)["allowed"] != true || mine["comment"].(map[string]any)["allowed"] != true {
		t.Errorf("mei's rights: %v", mine)
	}
	// Before saving a rule, the owner sees whom it would shut out.
	pv := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/policies/preview", token: owner,
		body: map[string]any{"action": "comment", "rule": "user.credit_score >= 750"}})
	members, _ := pv.json["members"].(map[string]any)
	if pv.status != 200 || members["checked"] != float64(2) || members["excluded"] != float64(1) ||
		!strings.Contains(fmt.Sprint(members["examples"]), "712") {
		t.Fatalf("preview: %d %s", pv.status, pv.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/policies/preview", token: wei,
		body: map[string]any{"action": "comment", "rule": "true"}}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/policies/preview", token: wei,
		body: map[string]any{"action": "shout", "rule": "true"}}), 422, "invalid")
	if r := e.do(req{method: "GET", path: "/api/v1/policy-presets"}); !strings.Contains(string(r.body), `user.verified.gender == \"female\"`) {
		t.Fatalf("presets: %s", r.body)
	}
	// A join rule refuses with its reason, and writes nothing.
	strict := e.circle(owner, map[string]any{"name": "Credit Club", "policies": map[string]any{"join": `user.credit_score >= 750`}})
	before := e.count("circle_members")
	r = e.do(req{method: "POST", path: "/api/v1/circles/" + strict + "/members", token: wei})
	wantProblem(t, r, 403, "policy_denied")
	if d := r.json["detail"].(string); !strings.Contains(d, "750") || !strings.Contains(d, "712") {
		t.Errorf("the join refusal does not explain itself: %s", d)
	}
	if e.count("circle_members") != before {
		t.Error("a refused join wrote a membership")
	}
}

func TestCircleBadInputIsRefusedAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	other := e.user("other", account.RoleUser)
	id := e.circle(owner, map[string]any{"name": "Taken", "slug": "taken"})
	circles, members := e.count("circles"), e.count("circle_members")
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
		in     string // a word the detail must contain
	}{
		{map[string]any{"name": "x", "category": "campus", "policies": map[string]any{"post": `user.credit_score >=`}}, 422, "invalid_policy", "1:"},
		{map[string]any{"name": "x", "category": "campus", "policies": map[string]any{"post": `usr.credit_score > 1`}}, 422, "invalid_policy", "usr"},
		{map[string]any{"name": "x", "category": "campus", "policies": map[string]any{"post": `user.credit_score > "high"`}}, 422, "invalid_policy", ""},
		{map[string]any{"name": "", "category": "campus"}, 422, "invalid", "name"},
		{map[string]any{"name": strings.Repeat("长", 41), "category": "campus"}, 422, "invalid", "40"},
		{map[string]any{"name": "Taken again", "slug": "taken", "category": "campus"}, 409, "slug_taken", "taken"},
		{map[string]any{"name": "x", "category": "astrology"}, 422, "unknown_category", "astrology"},
		{map[string]any{"name": "x", "category": "campus", "visibility": "secret"}, 422, "invalid", "open"},
	} {
		r := e.do(req{method: "POST", path: "/api/v1/circles", token: owner, body: c.body})
		wantProblem(t, r, c.status, c.code)
		if !strings.Contains(r.json["detail"].(string), c.in) {
			t.Errorf("%v: the detail %q does not mention %q", c.body, r.json["detail"], c.in)
		}
	}
	// Invites that can no longer be used.
	closed := e.circle(owner, map[string]any{"name": "Closed one", "visibility": "closed"})
	once := e.do(req{method: "POST", path: "/api/v1/circles/" + closed + "/invites", token: owner, body: map[string]any{"max_uses": 1}})
	revoked := e.do(req{method: "POST", path: "/api/v1/circles/" + closed + "/invites", token: owner, body: map[string]any{}})
	e.do(req{method: "POST", path: "/api/v1/circles/" + closed + "/invites/" + revoked.json["id"].(string) + "/revoke", token: owner})
	if r := e.do(req{method: "POST", path: "/api/v1/circles/" + closed + "/members", token: other, body: map[string]any{"invite_code": once.json["code"]}}); r.status != 201 {
		t.Fatalf("first use of a one-time code: %d %s", r.status, r.body)
	}
	third := e.user("third", account.RoleUser)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + closed + "/members", token: third, body: map[string]any{"invite_code": once.json["code"]}}), 410, "invite_used_up")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + closed + "/members", token: third, body: map[string]any{"invite_code": revoked.json["code"]}}), 410, "invite_revoked")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + closed + "/members", token: other, body: map[string]any{}}), 409, "already_member")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: owner}), 409, "already_member")
	// Roles: nobody changes their own.
	e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: other})
	e.do(req{method: "PUT", path: "/api/v1/circles/" + id + "/members/other", token: owner, body: map[string]any{"role": "admin"}})
	wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/circles/" + id + "/members/other", token: other, body: map[string]any{"role": "moderator"}}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/circles/" + id + "/members/owner", token: other, body: map[string]any{"role": "member"}}), 403, "forbidden")
	if e.count("circles") != circles+1 || e.count("circle_members") != members+3 {
		t.Fatalf("refusals wrote: %d circles (want %d), %d memberships (want %d)", e.count("circles"), circles+1, e.count("circle_members"), members+3)
	}
}

func TestJoinRequestsAreDecidedOnceInBulk(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	id := e.circle(owner, map[string]any{"name": "New Moms 新手妈妈", "category": "mother-baby", "join_approval": true, "join_question": "How old is your baby?"})
	var ids []string
	for i := range 4 {
		tok := e.user(fmt.Sprintf("mom%d", i), account.RoleUser)
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: tok, body: map[string]any{}}), 422, "invalid")
		r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: tok, body: map[string]any{"answer": "3 months"}})
		if r.status != 202 {
			t.Fatalf("request: %d %s", r.status, r.body)
		}
		ids = append(ids, r.json["request"].(map[string]any)["id"].(string))
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: tok, body: map[string]any{"answer": "again"}}), 409, "request_pending")
	}
	if r := e.do(req{method: "GET", path: "/api/v1/circles/" + id + "/join-requests", token: owner}); len(r.json["items"].([]any)) != 4 {
		t.Fatalf("queue: %s", r.body)
	}
	if r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/join-requests/" + ids[0] + "/approve", token: owner}); r.status != 200 || r.json["status"] != "approved" {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	// Deciding a decided request again changes nothing, even in a batch.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/join-requests/decide", token: owner,
		body: map[string]any{"ids": []string{ids[1], ids[0]}, "approve": true}}), 409, "already_decided")
	r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/join-requests/decide", token: owner,
		body: map[string]any{"ids": ids[1:], "approve": false, "ban": true, "reason": "bots"}})
	if r.status != 200 || len(r.json["items"].([]any)) != 3 {
		t.Fatalf("deny and ban: %d %s", r.status, r.body)
	}
	if got := e.do(req{method: "GET", path: "/api/v1/circles/" + id + "/bans", token: owner}); len(got.json["items"].([]any)) != 3 {
		t.Fatalf("bans: %s", got.body)
	}
	if c := e.do(req{method: "GET", path: "/api/v1/circles/" + id, token: owner}); c.json["member_count"] != float64(2) {
		t.Fatalf("member count: %v", c.json["member_count"])
	}
}

func TestDirectorySearchFindsChineseAndEnglish(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	e.circle(owner, map[string]any{"name": "Morning Run 晨跑俱乐部", "category": "fitness", "description": "西湖边跑步 running by the lake"})
	e.circle(owner, map[string]any{"name": "Cat People 猫奴之家", "category": "pets", "description": "晒猫 cats and kittens"})
	e.circle(owner, map[string]any{"name": "健身房打卡", "category": "fitness", "description": "gym check-ins"})
	for q, want := range map[string]string{"晨跑": "Morning Run 晨跑俱乐部", "猫": "Cat People 猫奴之家", "kitten": "Cat People 猫奴之家",
		"健身房": "健身房打卡", "RUNNING lake": "Morning Run 晨跑俱乐部", "gym": "健身房打卡"} {
		r := e.do(req{method: "GET", path: "/api/v1/circles?q=" + url.QueryEscape(q)})
		items, _ := r.json["items"].([]any)
		if r.status != 200 || len(items) == 0 || items[0].(map[string]any)["name"] != want {
			t.Errorf("search %q: %d %s; want %s first", q, r.status, r.body, want)
		}
	}
	if r := e.do(req{method: "GET", path: "/api/v1/circles?category=fitness&sort=new"}); len(r.json["items"].([]any)) != 2 {
		t.Errorf("fitness: %s", r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/circles?q=zzzz"}); len(r.json["items"].([]any)) != 0 {
		t.Errorf("a search for nothing: %s", r.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles?sort=loudest"}), 422, "invalid")
	for _, q := range []string{"\"", "*", "AND", "'", "(", "NEAR("} {
		if r := e.do(req{method: "GET", path: "/api/v1/circles?q=" + url.QueryEscape(q)}); r.status != 200 {
			t.Errorf("search %q: %d %s", q, r.status, r.body)
		}
	}
}

// A verified student status reaches rules as true, whatever school the
// claim named.
func TestStudentRuleSeesVerifiedStudents(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	stu := e.user("stu", account.RoleUser)
	e.verify("stu", map[string]any{"student": "复旦大学 Fudan University"}, 0)
	other := e.user("other", account.RoleUser)
	id := e.circle(owner, map[string]any{"name": "Campus only", "policies": map[string]any{"join": "user.verified.student == true"}})
	if r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: stu}); r.status != 201 {
		t.Fatalf("a verified student joining: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: other}), 403, "policy_denied")
}

func TestAnExpiredInviteIsRefused(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	late := e.user("late", account.RoleUser)
	id := e.circle(owner, map[string]any{"name": "Night Owls", "visibility": "closed"})
	now := time.Now().UTC()
	inv := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/invites", token: owner,
		body: map[string]any{"expires_at": now.Add(time.Hour).Format(time.RFC3339)}})
	if inv.status != 201 {
		t.Fatalf("invite: %d %s", inv.status, inv.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/invites", token: owner,
		body: map[string]any{"expires_at": now.Add(-time.Hour).Format(time.RFC3339)}}), 422, "invalid")
	e.db.Clock = func() time.Time { return now.Add(2 * time.Hour) }
	members := e.count("circle_members")
	r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: late, body: map[string]any{"invite_code": inv.json["code"]}})
	wantProblem(t, r, 410, "invite_expired")
	if e.count("circle_members") != members {
		t.Fatal("an expired invite let someone in")
	}
}
