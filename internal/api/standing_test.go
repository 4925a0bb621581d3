package api

import (
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

// Each node keeps users' standings in circles (circle's standings cache).
// Every change of a standing must show on the very next read: each step
// below reads first, so that the standing is cached when it changes.
func TestEveryChangeOfStandingShowsOnTheNextRead(t *testing.T) {
	e := newEnv(t)
	owner, mei, rev := e.user("owner", account.RoleUser), e.user("mei", account.RoleUser), e.user("rev", account.RoleReviewer)
	c := e.circle(owner, map[string]any{"name": "Careful", "join_approval": true, "join_question": "Why?"})
	path := "/api/v1/circles/" + c
	me := func(tok string) map[string]any {
		t.Helper()
		return e.ok(req{method: "GET", path: path, token: tok}, 200).json["me"].(map[string]any)
	}
	want := func(after, tok, role string) {
		t.Helper()
		if got := me(tok)["role"]; got != role {
			t.Fatalf("after %s: role %v, want %s", after, got, role)
		}
	}
	ok := func(method, p, tok string, body any) response {
		t.Helper()
		r := e.do(req{method: method, path: p, token: tok, body: body})
		if r.status/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, p, r.status, r.body)
		}
		return r
	}
	want("creating the circle", owner, "owner")
	want("nothing", mei, "none")

	rid := ok("POST", path+"/members", mei, map[string]any{"answer": "I like it"}).json["request"].(map[string]any)["id"].(string)
	want("a request", mei, "pending")
	ok("POST", path+"/join-requests/"+rid+"/deny", owner, map[string]any{"reason": "not yet"})
	want("a denial", mei, "none")
	rid = ok("POST", path+"/members", mei, map[string]any{"answer": "again"}).json["request"].(map[string]any)["id"].(string)
	want("a second request", mei, "pending")
	ok("POST", path+"/join-requests/"+rid+"/approve", owner, nil)
	want("an approval", mei, "member")

	ok("PUT", path+"/members/mei", owner, map[string]any{"role": "moderator"})
	want("a new role", mei, "moderator")
	ok("POST", path+"/owner", owner, map[string]any{"handle": "mei"})
	want("the hand-over", mei, "owner")
	want("the hand-over", owner, "admin")
	ok("POST", path+"/owner", mei, map[string]any{"handle": "owner"})
	want("the hand-back", owner, "owner")
	ok("PUT", path+"/members/mei", owner, map[string]any{"role": "member"})
	want("a lower role", mei, "member")

	st := ok("POST", path+"/strikes", owner, map[string]any{"handle": "mei", "reason": "spam", "mute_hours": 24}).json["id"]
	if me(mei)["muted_until"] == nil {
		t.Fatal("after a mute: not muted")
	}
	appeal := ok("POST", "/api/v1/appeals", mei, map[string]any{"kind": "strike", "id": st, "text": "Wrong person."}).json["id"].(string)
	ok("POST", "/api/v1/appeals/"+appeal+"/grant", rev, nil)
	if m := me(mei)["muted_until"]; m != nil {
		t.Fatalf("after the strike was revoked: muted until %v", m)
	}

	ok("DELETE", path+"/members/mei", owner, nil)
	want("a removal", mei, "none")
	ok("POST", path+"/bans", owner, map[string]any{"handle": "mei", "reason": "spam"})
	if me(mei)["banned"] == nil {
		t.Fatal("after a ban: not banned")
	}
	ok("DELETE", path+"/bans/mei", owner, nil)
	if b := me(mei)["banned"]; b != nil {
		t.Fatalf("after the ban was lifted: banned %v", b)
	}

	// Joining an open circle at once, and creating one.
	open := e.circle(owner, map[string]any{"name": "Open"})
	if got := e.ok(req{method: "GET", path: "/api/v1/circles/" + open, token: mei}, 200).json["me"].(map[string]any)["role"]; got != "none" {
		t.Fatalf("before joining: %v", got)
	}
	e.join(mei, open)
	if got := e.ok(req{method: "GET", path: "/api/v1/circles/" + open, token: mei}, 200).json["me"].(map[string]any)["role"]; got != "member" {
		t.Fatalf("after joining: %v", got)
	}
	mine := e.circle(mei, map[string]any{"name": "Mei's own"})
	if got := e.ok(req{method: "GET", path: "/api/v1/circles/" + mine, token: mei}, 200).json["me"].(map[string]any)["role"]; got != "owner" {
		t.Fatalf("after creating a circle: %v", got)
	}
}
