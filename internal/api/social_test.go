package api

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

// socialTables are every table the social part writes.
var socialTables = []string{"friend_requests", "friendships", "follows", "blocks", "conversations", "conversation_members", "messages", "social_settings"}

func (e *env) socialCounts() map[string]int {
	out := map[string]int{}
	for _, t := range socialTables {
		out[t] = e.count(t)
	}
	return out
}

func (e *env) ok(r req, status int) response {
	e.t.Helper()
	got := e.do(r)
	if got.status != status {
		e.t.Fatalf("%s %s: %d %s, want %d", r.method, r.path, got.status, got.body, status)
	}
	return got
}

// befriend makes two users friends over the API.
func (e *env) befriend(a, b, bHandle string) {
	e.t.Helper()
	r := e.ok(req{method: "POST", path: "/api/v1/friends/requests", token: a, body: map[string]any{"to": bHandle}}, 201)
	e.ok(req{method: "POST", path: "/api/v1/friends/requests/" + r.json["id"].(string) + "/accept", token: b}, 200)
}

func itemHandles(r response, key string) []string {
	var out []string
	items, _ := r.json["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if key == "" {
			out = append(out, m["handle"].(string))
		} else {
			out = append(out, m[key].(map[string]any)["handle"].(string))
		}
	}
	return out
}

func TestSocialFriendsOverHTTP(t *testing.T) {
	e := newEnv(t)
	ana, ben := e.user("ana", account.RoleUser), e.user("ben", account.RoleUser)
	r := e.ok(req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "@ben", "message": "hi"}}, 201)
	id := r.json["id"].(string)
	if r.json["status"] != "pending" || r.json["from"].(map[string]any)["handle"] != "ana" || r.json["message"] != "hi" {
		t.Fatalf("request: %s", r.body)
	}
	in := e.ok(req{method: "GET", path: "/api/v1/friends/requests", token: ben}, 200)
	if got := itemHandles(in, "from"); !slices.Equal(got, []string{"ana"}) {
		t.Fatalf("ben's incoming: %s", in.body)
	}
	out := e.ok(req{method: "GET", path: "/api/v1/friends/requests?box=outgoing", token: ana}, 200)
	if got := itemHandles(out, "to"); !slices.Equal(got, []string{"ben"}) {
		t.Fatalf("ana's outgoing: %s", out.body)
	}
	acc := e.ok(req{method: "POST", path: "/api/v1/friends/requests/" + id + "/accept", token: ben}, 200)
	if acc.json["status"] != "accepted" {
		t.Fatalf("accept: %s", acc.body)
	}
	for tok, want := range map[string]string{ana: "ben", ben: "ana"} {
		if got := itemHandles(e.ok(req{method: "GET", path: "/api/v1/friends", token: tok}, 200), ""); !slices.Equal(got, []string{want}) {
			t.Fatalf("friends: %v, want %s", got, want)
		}
	}
	e.ok(req{method: "DELETE", path: "/api/v1/friends/ana", token: ben}, 204)
	if got := e.ok(req{method: "GET", path: "/api/v1/friends", token: ana}, 200); len(itemHandles(got, "")) != 0 {
		t.Fatalf("still friends: %s", got.body)
	}
	wantProblem(t, e.do(req{method: "DELETE", path: "/api/v1/friends/ana", token: ben}), 404, "not_found")

	// A request to one who already asked accepts theirs: 200, not 201.
	theirs := e.ok(req{method: "POST", path: "/api/v1/friends/requests", token: ben, body: map[string]any{"to": "ana"}}, 201)
	mine := e.ok(req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "ben"}}, 200)
	if mine.json["id"] != theirs.json["id"] || mine.json["status"] != "accepted" {
		t.Fatalf("crossing request: %s", mine.body)
	}
	// Declining and cancelling.
	cyd := e.user("cyd", account.RoleUser)
	d := e.ok(req{method: "POST", path: "/api/v1/friends/requests", token: cyd, body: map[string]any{"to": "ana"}}, 201)
	if r := e.ok(req{method: "POST", path: "/api/v1/friends/requests/" + d.json["id"].(string) + "/decline", token: ana}, 200); r.json["status"] != "declined" {
		t.Fatalf("decline: %s", r.body)
	}
	c := e.ok(req{method: "POST", path: "/api/v1/friends/requests", token: cyd, body: map[string]any{"to": "ana"}}, 201)
	e.ok(req{method: "DELETE", path: "/api/v1/friends/requests/" + c.json["id"].(string), token: cyd}, 204)
	if got := e.ok(req{method: "GET", path: "/api/v1/friends/requests", token: ana}, 200); len(itemHandles(got, "from")) != 0 {
		t.Fatalf("ana's incoming after decline and cancel: %s", got.body)
	}
}

func TestSocialBadInputIsRefusedAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	ana, ben := e.user("ana", account.RoleUser), e.user("ben", account.RoleUser)
	cyd, dan := e.user("cyd", account.RoleUser), e.user("dan", account.RoleUser)
	e.user("gone", account.RoleUser)
	admin := account.User{Role: account.RoleAdmin}
	if _, err := e.accounts.SetStatus(t.Context(), admin, "gone", account.StatusDisabled, "test"); err != nil {
		t.Fatal(err)
	}
	pending := e.ok(req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "ben"}}, 201).json["id"].(string)
	decided := e.ok(req{method: "POST", path: "/api/v1/friends/requests", token: cyd, body: map[string]any{"to": "ben"}}, 201).json["id"].(string)
	e.ok(req{method: "POST", path: "/api/v1/friends/requests/" + decided + "/decline", token: ben}, 200)
	e.befriend(ana, cyd, "cyd")
	e.ok(req{method: "PUT", path: "/api/v1/blocks/ana", token: dan}, 200)
	conv := e.ok(req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "cyd", "text": "hi"}}, 201).
		json["conversation"].(map[string]any)["id"].(string)
	e.ok(req{method: "PUT", path: "/api/v1/me/message-settings", token: ben, body: map[string]any{"from_strangers": false}}, 200)
	before := e.socialCounts()

	for _, c := range []struct {
		name   string
		r      req
		status int
		code   string
		in     string // words the detail must contain
	}{
		{"friend yourself", req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "ana"}}, 422, "invalid", "yourself"},
		{"friend twice", req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "ben"}}, 409, "friend_request_pending", "@ben"},
		{"friend nobody", req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "nobody"}}, 404, "not_found", "@nobody"},
		{"friend no handle", req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{}}, 422, "invalid", "handle"},
		{"friend disabled", req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "gone"}}, 422, "user_unavailable", "disabled"},
		{"friend a friend", req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "cyd"}}, 409, "already_friends", "already friends"},
		{"friend the blocker", req{method: "POST", path: "/api/v1/friends/requests", token: ana, body: map[string]any{"to": "dan"}}, 403, "blocked", "one of you has blocked the other"},
		{"friend the blocked", req{method: "POST", path: "/api/v1/friends/requests", token: dan, body: map[string]any{"to": "ana"}}, 403, "blocked", "one of you has blocked the other"},
		{"long note", req{method: "POST", path: "/api/v1/friends/requests", token: cyd, body: map[string]any{"to": "dan", "message": strings.Repeat("字", 201)}}, 422, "invalid", "200"},
		{"accept your own", req{method: "POST", path: "/api/v1/friends/requests/" + pending + "/accept", token: ana}, 403, "forbidden", "@ben"},
		{"accept another's", req{method: "POST", path: "/api/v1/friends/requests/" + pending + "/accept", token: cyd}, 404, "not_found", "friend request"},
		{"decline another's", req{method: "POST", path: "/api/v1/friends/requests/" + pending + "/decline", token: dan}, 404, "not_found", "friend request"},
		{"cancel theirs", req{method: "DELETE", path: "/api/v1/friends/requests/" + pending, token: ben}, 403, "forbidden", "decline"},
		{"accept decided", req{method: "POST", path: "/api/v1/friends/requests/" + decided + "/accept", token: ben}, 409, "already_decided", "declined"},
		{"follow yourself", req{method: "PUT", path: "/api/v1/follows/ana", token: ana}, 422, "invalid", "yourself"},
		{"follow nobody", req{method: "PUT", path: "/api/v1/follows/nobody", token: ana}, 404, "not_found", "@nobody"},
		{"follow the blocker", req{method: "PUT", path: "/api/v1/follows/dan", token: ana}, 403, "blocked", "follow each other"},
		{"unfollow unfollowed", req{method: "DELETE", path: "/api/v1/follows/ben", token: ana}, 404, "not_found", "@ben"},
		{"block yourself", req{method: "PUT", path: "/api/v1/blocks/ana", token: ana}, 422, "invalid", "yourself"},
		{"unblock unblocked", req{method: "DELETE", path: "/api/v1/blocks/ben", token: ana}, 404, "not_found", "@ben"},
		{"empty message", req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "cyd", "text": "  \n "}}, 422, "invalid", "text"},
		{"long message", req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "cyd", "text": strings.Repeat("字", 2001)}}, 422, "invalid", "2000"},
		{"message yourself", req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "ana", "text": "hi"}}, 422, "invalid", "yourself"},
		{"message nobody", req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "nobody", "text": "hi"}}, 404, "not_found", "@nobody"},
		{"message closed", req{method: "POST", path: "/api/v1/messages", token: dan, body: map[string]any{"to": "ben", "text": "hi"}}, 403, "messages_closed", "only from friends"},
		{"message the blocker", req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "dan", "text": "hi"}}, 403, "blocked", "message"},
		{"message as a number", req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "cyd", "text": 5}}, 400, "wrong_type", "text"},
		{"message unknown field", req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "cyd", "text": "hi", "urgent": true}}, 400, "unknown_field", "urgent"},
		{"reply empty", req{method: "POST", path: "/api/v1/conversations/" + conv + "/messages", token: cyd, body: map[string]any{"text": ""}}, 422, "invalid", "text"},
		{"reply not yours", req{method: "POST", path: "/api/v1/conversations/" + conv + "/messages", token: ben, body: map[string]any{"text": "hi"}}, 404, "not_found", "conversation"},
		{"bad box", req{method: "GET", path: "/api/v1/conversations?box=spam", token: ana}, 422, "invalid", "inbox"},
		{"bad request box", req{method: "GET", path: "/api/v1/friends/requests?box=sideways", token: ana}, 422, "invalid", "incoming"},
		{"tampered cursor", req{method: "GET", path: "/api/v1/friends?cursor=" + url.QueryEscape("not-ours"), token: ana}, 400, "invalid_cursor", "cursor"},
		{"tampered message cursor", req{method: "GET", path: "/api/v1/conversations/" + conv + "/messages?cursor=WyJ4Il0", token: ana}, 400, "invalid_cursor", "cursor"},
		{"bad limit", req{method: "GET", path: "/api/v1/users/ana/followers?limit=1000", token: ana}, 422, "invalid", "limit"},
		{"followers of nobody", req{method: "GET", path: "/api/v1/users/nobody/followers", token: ana}, 404, "not_found", "@nobody"},
		{"settings without a value", req{method: "PUT", path: "/api/v1/me/message-settings", token: ana, body: map[string]any{}}, 422, "invalid", "from_strangers"},
		{"settings not a bool", req{method: "PUT", path: "/api/v1/me/message-settings", token: ana, body: map[string]any{"from_strangers": "no"}}, 400, "wrong_type", "from_strangers"},
		{"signed out", req{method: "GET", path: "/api/v1/friends"}, 401, "unauthenticated", "Sign in"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.r)
			wantProblem(t, r, c.status, c.code)
			if d, _ := r.json["detail"].(string); !strings.Contains(d, c.in) {
				t.Errorf("the detail %q does not mention %q", d, c.in)
			}
		})
	}
	if after := e.socialCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refusals wrote:\nbefore %v\nafter  %v", before, after)
	}
}

func TestSocialBlockCutsTiesAndRefusesBothWaysOverHTTP(t *testing.T) {
	e := newEnv(t)
	ana, ben := e.user("ana", account.RoleUser), e.user("ben", account.RoleUser)
	e.befriend(ana, ben, "ben")
	e.ok(req{method: "PUT", path: "/api/v1/follows/ben", token: ana}, 200)
	e.ok(req{method: "PUT", path: "/api/v1/follows/ana", token: ben}, 200)
	conv := e.ok(req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "ben", "text": "hey"}}, 201).
		json["conversation"].(map[string]any)["id"].(string)

	b := e.ok(req{method: "PUT", path: "/api/v1/blocks/ana", token: ben}, 200)
	if b.json["handle"] != "ana" {
		t.Fatalf("block: %s", b.body)
	}
	e.ok(req{method: "PUT", path: "/api/v1/blocks/ana", token: ben}, 200) // again: no change
	for _, tok := range []string{ana, ben} {
		if got := itemHandles(e.ok(req{method: "GET", path: "/api/v1/friends", token: tok}, 200), ""); len(got) != 0 {
			t.Fatalf("friends after a block: %v", got)
		}
	}
	for _, p := range []string{"/api/v1/users/ana/followers", "/api/v1/users/ana/following", "/api/v1/users/ben/followers", "/api/v1/users/ben/following"} {
		if got := itemHandles(e.ok(req{method: "GET", path: p, token: ana}, 200), ""); len(got) != 0 {
			t.Fatalf("%s after a block: %v", p, got)
		}
	}
	details := map[string][]string{}
	for _, side := range []struct{ tok, me, other string }{{ana, "ana", "ben"}, {ben, "ben", "ana"}} {
		for _, r := range []req{
			{method: "POST", path: "/api/v1/friends/requests", body: map[string]any{"to": side.other}},
			{method: "PUT", path: "/api/v1/follows/" + side.other},
			{method: "POST", path: "/api/v1/messages", body: map[string]any{"to": side.other, "text": "hi"}},
			{method: "POST", path: "/api/v1/conversations/" + conv + "/messages", body: map[string]any{"text": "hi"}},
		} {
			r.token = side.tok
			got := e.do(r)
			wantProblem(t, got, 403, "blocked")
			details[side.me] = append(details[side.me], strings.ReplaceAll(got.json["detail"].(string), "@"+side.other, "@X"))
		}
	}
	if !slices.Equal(details["ana"], details["ben"]) {
		t.Fatalf("the refusals differ by who blocked:\n%q\n%q", details["ana"], details["ben"])
	}
	// Only the blocker sees the block.
	if got := itemHandles(e.ok(req{method: "GET", path: "/api/v1/blocks", token: ben}, 200), ""); !slices.Equal(got, []string{"ana"}) {
		t.Fatalf("ben's blocks: %v", got)
	}
	if got := itemHandles(e.ok(req{method: "GET", path: "/api/v1/blocks", token: ana}, 200), ""); len(got) != 0 {
		t.Fatalf("ana's blocks: %v", got)
	}
	// The old conversation is still there for both.
	for _, tok := range []string{ana, ben} {
		e.ok(req{method: "GET", path: "/api/v1/conversations/" + conv + "/messages", token: tok}, 200)
	}
	e.ok(req{method: "DELETE", path: "/api/v1/blocks/ana", token: ben}, 204)
	e.ok(req{method: "PUT", path: "/api/v1/follows/ben", token: ana}, 200)
	e.ok(req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "ben", "text": "sorry"}}, 201)
}

func TestSocialMessageRequestsAndTheOffSwitchOverHTTP(t *testing.T) {
	e := newEnv(t)
	ana, ben, cyd := e.user("ana", account.RoleUser), e.user("ben", account.RoleUser), e.user("cyd", account.RoleUser)
	if r := e.ok(req{method: "GET", path: "/api/v1/me/message-settings", token: ben}, 200); r.json["from_strangers"] != true {
		t.Fatalf("default settings: %s", r.body)
	}
	sent := e.ok(req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "ben", "text": "  hello  "}}, 201)
	conv := sent.json["conversation"].(map[string]any)
	if sent.json["message"].(map[string]any)["text"] != "hello" || conv["status"] != "pending" || conv["box"] != "inbox" {
		t.Fatalf("sent: %s", sent.body)
	}
	id := conv["id"].(string)
	if r := e.ok(req{method: "GET", path: "/api/v1/conversations", token: ben}, 200); len(r.json["items"].([]any)) != 0 {
		t.Fatalf("a stranger's message in ben's inbox: %s", r.body)
	}
	reqs := e.ok(req{method: "GET", path: "/api/v1/conversations?box=requests", token: ben}, 200)
	items := reqs.json["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("ben's requests: %s", reqs.body)
	}
	first := items[0].(map[string]any)
	if first["id"] != id || first["unread"] != float64(1) || first["latest"].(map[string]any)["text"] != "hello" || first["with"].(map[string]any)["handle"] != "ana" {
		t.Fatalf("ben's request: %s", reqs.body)
	}
	acc := e.ok(req{method: "POST", path: "/api/v1/conversations/" + id + "/accept", token: ben}, 200)
	if acc.json["box"] != "inbox" || acc.json["status"] != "accepted" {
		t.Fatalf("accept: %s", acc.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/conversations/" + id + "/accept", token: ben}), 409, "already_decided")
	if r := e.ok(req{method: "POST", path: "/api/v1/conversations/" + id + "/read", token: ben}, 200); r.json["unread"] != float64(0) {
		t.Fatalf("read: %s", r.body)
	}
	e.ok(req{method: "POST", path: "/api/v1/conversations/" + id + "/messages", token: ben, body: map[string]any{"text": "hi ana"}}, 201)
	if r := e.ok(req{method: "GET", path: "/api/v1/conversations/" + id, token: ana}, 200); r.json["unread"] != float64(1) || r.json["latest"].(map[string]any)["from"] != "ben" {
		t.Fatalf("ana's view: %s", r.body)
	}

	// cyd's request, declined: cyd is told plainly, and writes nothing.
	d := e.ok(req{method: "POST", path: "/api/v1/messages", token: cyd, body: map[string]any{"to": "ben", "text": "buy now"}}, 201)
	did := d.json["conversation"].(map[string]any)["id"].(string)
	if r := e.ok(req{method: "POST", path: "/api/v1/conversations/" + did + "/decline", token: ben}, 200); r.json["box"] != "declined" {
		t.Fatalf("decline: %s", r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/messages", token: cyd, body: map[string]any{"to": "ben", "text": "please"}}), 403, "message_request_declined")

	// The off switch: strangers are refused, accepted conversations go on.
	if r := e.ok(req{method: "PUT", path: "/api/v1/me/message-settings", token: ben, body: map[string]any{"from_strangers": false}}, 200); r.json["from_strangers"] != false {
		t.Fatalf("closing: %s", r.body)
	}
	dee := e.user("dee", account.RoleUser)
	r := e.do(req{method: "POST", path: "/api/v1/messages", token: dee, body: map[string]any{"to": "ben", "text": "hi"}})
	wantProblem(t, r, 403, "messages_closed")
	e.ok(req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "ben", "text": "still here"}}, 201)
	e.befriend(dee, ben, "ben")
	e.ok(req{method: "POST", path: "/api/v1/messages", token: dee, body: map[string]any{"to": "ben", "text": "friends now"}}, 201)
	inbox := e.ok(req{method: "GET", path: "/api/v1/conversations", token: ben}, 200)
	if got := itemHandles(inbox, "with"); !slices.Equal(got, []string{"dee", "ana"}) {
		t.Fatalf("ben's inbox, latest first: %v", got)
	}
}

func TestSocialConversationsArePrivateOverHTTP(t *testing.T) {
	e := newEnv(t)
	ana, ben, cyd := e.user("ana", account.RoleUser), e.user("ben", account.RoleUser), e.user("cyd", account.RoleUser)
	e.befriend(ana, ben, "ben")
	id := e.ok(req{method: "POST", path: "/api/v1/messages", token: ana, body: map[string]any{"to": "ben", "text": "secret"}}, 201).
		json["conversation"].(map[string]any)["id"].(string)
	missing := "01zzzzzzzzzzzzzzzzzzzzzzzz"
	for _, r := range []req{
		{method: "GET", path: "/api/v1/conversations/%s"},
		{method: "GET", path: "/api/v1/conversations/%s/messages"},
		{method: "POST", path: "/api/v1/conversations/%s/messages", body: map[string]any{"text": "let me in"}},
		{method: "POST", path: "/api/v1/conversations/%s/accept"},
		{method: "POST", path: "/api/v1/conversations/%s/decline"},
		{method: "POST", path: "/api/v1/conversations/%s/read"},
	} {
		theirs, none := r, r
		theirs.path, none.path = fmt.Sprintf(r.path, id), fmt.Sprintf(r.path, missing)
		theirs.token, none.token = cyd, cyd
		got, want := e.do(theirs), e.do(none)
		wantProblem(t, got, 404, "not_found")
		if strings.ReplaceAll(got.json["detail"].(string), id, "X") != strings.ReplaceAll(want.json["detail"].(string), missing, "X") {
			t.Errorf("%s %s: %s differs from a missing conversation's %s", r.method, r.path, got.body, want.body)
		}
		if strings.Contains(string(got.body), "secret") || strings.Contains(string(got.body), "ana") {
			t.Errorf("%s %s leaks: %s", r.method, r.path, got.body)
		}
	}
	for _, box := range []string{"inbox", "requests", "declined"} {
		if r := e.ok(req{method: "GET", path: "/api/v1/conversations?box=" + box, token: cyd}, 200); len(r.json["items"].([]any)) != 0 {
			t.Fatalf("cyd's %s: %s", box, r.body)
		}
	}
	if r := e.ok(req{method: "GET", path: "/api/v1/conversations/" + id, token: ben}, 200); r.json["unread"] != float64(1) {
		t.Fatalf("ben's unread after cyd's attempts: %s", r.body)
	}
}

func TestSocialListsPageOverHTTP(t *testing.T) {
	e := newEnv(t)
	star := e.user("star", account.RoleUser)
	var want []string
	for i := range 5 {
		h := fmt.Sprintf("fan%d", i)
		tok := e.user(h, account.RoleUser)
		e.ok(req{method: "PUT", path: "/api/v1/follows/star", token: tok}, 200)
		want = append(want, h)
		e.ok(req{method: "POST", path: "/api/v1/messages", token: tok, body: map[string]any{"to": "star", "text": "hi " + h}}, 201)
	}
	var got []string
	path := "/api/v1/users/star/followers?limit=2"
	for pages := 0; ; pages++ {
		r := e.ok(req{method: "GET", path: path, token: star}, 200)
		got = append(got, itemHandles(r, "")...)
		next := r.json["next_cursor"].(string)
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("the pages do not end")
		}
		path = "/api/v1/users/star/followers?limit=2&cursor=" + url.QueryEscape(next)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("followers over pages: %v, want %v", got, want)
	}
	// Message requests page the same way, with no repeats.
	got = nil
	path = "/api/v1/conversations?box=requests&limit=2"
	for {
		r := e.ok(req{method: "GET", path: path, token: star}, 200)
		got = append(got, itemHandles(r, "with")...)
		next := r.json["next_cursor"].(string)
		if next == "" {
			break
		}
		path = "/api/v1/conversations?box=requests&limit=2&cursor=" + url.QueryEscape(next)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("requests over pages: %v, want %v", got, want)
	}
}
