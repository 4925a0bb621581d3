package api

import (
	"bytes"
	"context"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
)

// TestRightsAndPreviewsInChinese: a rule's denial reaches the web app in
// Chinese through circle.Right, while the API and its problem documents
// stay in English; a preview describes its rule in both languages.
func TestRightsAndPreviewsInChinese(t *testing.T) {
	e := newEnv(t)
	owner := e.user("mei", account.RoleUser)
	e.verify("mei", map[string]any{"gender": "female"}, 800)
	wei := e.user("wei", account.RoleUser)
	e.verify("wei", map[string]any{"gender": "male"}, 712)
	id := e.circle(owner, map[string]any{"name": "Campus Diary", "policies": map[string]any{
		"join": `user.credit_score >= 750`, "comment": `user.verified.gender == "female"`}})
	sess, err := e.accounts.Authenticate(context.Background(), wei)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.api.Circles.Get(context.Background(), circle.ActorOf(sess), id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]circle.Right{
		"join": {Reason: "Joining here needs a credit score of at least 750; yours is 712.",
			ReasonZH: "加入这个圈子需要信用分至少 750；你的是 712。"},
		// Not a member: the circle's own sentence, with its Chinese.
		"comment": {Reason: "Only members may take part in Campus Diary (commenting); join it first.",
			ReasonZH: "只有 Campus Diary 的成员才能评论；请先加入。"},
	}
	for act, w := range want {
		if got := c.Me.Rights[act]; got != w {
			t.Errorf("%s: %+v, want %+v", act, got, w)
		}
	}
	r := e.do(req{method: "GET", path: "/api/v1/circles/" + id, token: wei})
	if r.status != 200 || bytes.Contains(r.body, []byte("需要")) || bytes.Contains(r.body, []byte("reason_zh")) {
		t.Errorf("the API shows a Chinese reason: %s", r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: wei})
	wantProblem(t, r, 403, "policy_denied")
	if bytes.Contains(r.body, []byte("需要")) || len(r.json) != 7 {
		t.Errorf("the problem document changed: %s", r.body)
	}
	pv := e.do(req{method: "POST", path: "/api/v1/policies/preview", token: owner,
		body: map[string]any{"action": "comment", "rule": `user.verified.gender == "female" && user.credit_score >= 750`}})
	if pv.status != 200 || pv.json["description"] != "verified women only and credit score at least 750" ||
		pv.json["description_zh"] != "仅限认证女性，且信用分不低于 750" {
		t.Errorf("preview: %d %s", pv.status, pv.body)
	}
	pv = e.do(req{method: "POST", path: "/api/v1/policies/preview", token: owner,
		body: map[string]any{"action": "comment", "rule": ""}})
	if _, ok := pv.json["description_zh"]; pv.status != 200 || ok {
		t.Errorf("preview of the empty rule: %d %s", pv.status, pv.body)
	}
}
