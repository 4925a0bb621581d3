package api

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/store"
)

// postIn posts text in a circle as token and returns the post's id.
func (e *env) postIn(token, circleID string, body map[string]any) string {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/circles/" + circleID + "/posts", token: token, body: body})
	if r.status != 201 {
		e.t.Fatalf("posting: %d %s", r.status, r.body)
	}
	return r.json["id"].(string)
}

// join makes token a member of an open circle.
func (e *env) join(token, circleID string) {
	e.t.Helper()
	if r := e.do(req{method: "POST", path: "/api/v1/circles/" + circleID + "/members", token: token}); r.status != 201 {
		e.t.Fatalf("joining: %d %s", r.status, r.body)
	}
}

// fund tops up token's wallet.
func (e *env) fund(token string, amount int64) {
	e.t.Helper()
	if r := e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: token, body: map[string]any{"amount": amount}}); r.status != 201 {
		e.t.Fatalf("topping up: %d %s", r.status, r.body)
	}
}

// upload records a picture owned by handle, as the media part does after
// an upload, and returns its id.
func (e *env) upload(handle string) string {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.accounts.UserByHandle(ctx, e.db, handle)
	if err != nil {
		e.t.Fatal(err)
	}
	id := store.NewID(e.db.Now())
	if _, err := e.db.Exec(ctx, `INSERT INTO media (id, owner_id, mime, width, height, bytes, created_at) VALUES ($1, $2, 'image/jpeg', 800, 600, 1000, $3)`,
		id, u.ID, e.db.Now()); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func ids(r response) []string {
	var out []string
	items, _ := r.json["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func TestPostsCommentsLikesAndTheCircleFeed(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Runners"})
	e.join(mei, c)
	e.join(lin, c)
	first := e.postIn(mei, c, map[string]any{"text": "  Morning run, 10 km  "})
	pic := e.upload("mei")
	second := e.postIn(mei, c, map[string]any{"text": "With a picture", "media_ids": []string{pic}})

	got := e.do(req{method: "GET", path: "/api/v1/posts/" + second, token: lin})
	if got.status != 200 || got.json["status"] != "published" || len(got.json["media"].([]any)) != 1 {
		t.Fatalf("get: %d %s", got.status, got.body)
	}
	if media := got.json["media"].([]any)[0].(map[string]any); media["id"] != pic || media["url"] != "/api/v1/media/"+pic {
		t.Fatalf("media: %v", media)
	}
	if got := e.do(req{method: "GET", path: "/api/v1/posts/" + first}); got.json["text"] != "Morning run, 10 km" {
		t.Fatalf("the text is trimmed and readable by the anonymous in an open circle: %s", got.body)
	}

	// Likes: once each, and taken back once.
	if r := e.do(req{method: "POST", path: "/api/v1/posts/" + first + "/like", token: lin}); r.status != 200 || r.json["likes"] != 1.0 {
		t.Fatalf("like: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + first + "/like", token: lin}), 409, "already_liked")
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + first, token: lin}); r.json["me"].(map[string]any)["liked"] != true {
		t.Fatalf("liked by me: %s", r.body)
	}
	e.do(req{method: "POST", path: "/api/v1/posts/" + first + "/like", token: owner})
	e.do(req{method: "DELETE", path: "/api/v1/posts/" + first + "/like", token: owner})
	wantProblem(t, e.do(req{method: "DELETE", path: "/api/v1/posts/" + first + "/like", token: owner}), 409, "not_liked")

	// Comments with one level of replies.
	top := e.do(req{method: "POST", path: "/api/v1/posts/" + first + "/comments", token: lin, body: map[string]any{"text": "Nice pace"}})
	if top.status != 201 {
		t.Fatalf("comment: %d %s", top.status, top.body)
	}
	reply := e.do(req{method: "POST", path: "/api/v1/posts/" + first + "/comments", token: mei, body: map[string]any{"text": "Thanks!", "reply_to": top.json["id"]}})
	if reply.status != 201 || reply.json["reply_to"] != top.json["id"] {
		t.Fatalf("reply: %d %s", reply.status, reply.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + first + "/comments", token: lin, body: map[string]any{"text": "deeper", "reply_to": reply.json["id"]}}), 422, "reply_too_deep")
	list := e.do(req{method: "GET", path: "/api/v1/posts/" + first + "/comments"})
	items := list.json["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["replies"] != 1.0 || len(items[0].(map[string]any)["latest_replies"].([]any)) != 1 {
		t.Fatalf("comments: %s", list.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + first, token: lin}); r.json["comments"] != 2.0 || r.json["likes"] != 1.0 {
		t.Fatalf("counts: %s", r.body)
	}

	// Edits within the window keep the history.
	wantProblem(t, e.do(req{method: "PATCH", path: "/api/v1/posts/" + first, token: lin, body: map[string]any{"text": "mine now"}}), 403, "forbidden")
	if r := e.do(req{method: "PATCH", path: "/api/v1/posts/" + first, token: mei, body: map[string]any{"text": "Morning run, 12 km"}}); r.status != 200 || r.json["edited_at"] == nil {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + first + "/edits"}); len(r.json["items"].([]any)) != 1 || r.json["items"].([]any)[0].(map[string]any)["text"] != "Morning run, 10 km" {
		t.Fatalf("history: %s", r.body)
	}

	// The feed: newest first, pinned on top of the first page; hot puts
	// the liked and commented post first.
	third := e.postIn(lin, c, map[string]any{"text": "third"})
	feed := e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts?limit=2", token: lin})
	if got := ids(feed); fmt.Sprint(got) != fmt.Sprint([]string{third, second}) || feed.json["next_cursor"] == "" {
		t.Fatalf("page 1: %v %s", got, feed.body)
	}
	more := e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts?limit=2&cursor=" + feed.json["next_cursor"].(string), token: lin})
	if got := ids(more); fmt.Sprint(got) != fmt.Sprint([]string{first}) || more.json["next_cursor"] != "" {
		t.Fatalf("page 2: %v %s", got, more.body)
	}
	hot := e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts?sort=hot", token: lin})
	if got := ids(hot); got[0] != first {
		t.Fatalf("hot: %v", got)
	}
	wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/posts/" + third + "/pin", token: mei}), 403, "forbidden")
	if r := e.do(req{method: "PUT", path: "/api/v1/posts/" + first + "/pin", token: owner}); r.status != 200 || r.json["pinned"] != true {
		t.Fatalf("pin: %d %s", r.status, r.body)
	}
	feed = e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: lin})
	if pinned := feed.json["pinned"].([]any); len(pinned) != 1 || pinned[0].(map[string]any)["id"] != first {
		t.Fatalf("pinned: %s", feed.body)
	}

	// Deleting hides the post everywhere; a moderator's deletion is audited.
	audits := e.count("audit_log")
	if r := e.do(req{method: "DELETE", path: "/api/v1/posts/" + third, token: owner, body: map[string]any{"reason": "off topic"}}); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if e.count("audit_log") != audits+1 {
		t.Fatal("a moderator's deletion was not audited")
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + third, token: lin}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + third + "/comments", token: mei, body: map[string]any{"text": "hello?"}}), 404, "not_found")
	if got := ids(e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: lin})); len(got) != 2 {
		t.Fatalf("the deleted post is still in the feed: %v", got)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/users/lin/posts", token: mei})); len(got) != 0 {
		t.Fatalf("the deleted post is still in its author's list: %v", got)
	}
}

func TestTipsMoveMoneyOnceWithinTheCirclesLimits(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	author := e.user("author", account.RoleUser)
	fan := e.user("fan", account.RoleUser)
	other := e.user("other", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Tipping", "tips": map[string]any{"fee_bps": 500, "min": 100, "max": 1000, "daily_cap": 1500}})
	for _, tok := range []string{author, fan, other} {
		e.join(tok, c)
	}
	p := e.postIn(author, c, map[string]any{"text": "worth a tip"})
	e.fund(fan, 5_000)
	tips, entries := e.count("tips"), e.count("journal_entries")

	path := "/api/v1/posts/" + p + "/tips"
	for _, bad := range []struct {
		token  string
		body   any
		status int
		code   string
	}{
		{fan, map[string]any{"amount": 0}, 422, "invalid"},
		{fan, map[string]any{"amount": -5}, 422, "invalid"},
		{fan, `{"amount": 1.5}`, 400, "wrong_type"},
		{fan, map[string]any{"amount": 99}, 422, "tip_out_of_range"},
		{fan, map[string]any{"amount": 1001}, 422, "tip_out_of_range"},
		{author, map[string]any{"amount": 500}, 422, "own_post"},
		{other, map[string]any{"amount": 500}, 422, "insufficient_funds"},
	} {
		wantProblem(t, e.do(req{method: "POST", path: path, token: bad.token, body: bad.body}), bad.status, bad.code)
	}
	if e.count("tips") != tips || e.count("journal_entries") != entries {
		t.Fatal("a refused tip wrote")
	}

	key := map[string]string{"Idempotency-Key": "tip-1"}
	r := e.do(req{method: "POST", path: path, token: fan, body: map[string]any{"amount": 1000, "anonymous": true}, header: key})
	if r.status != 201 || r.json["fee"] != 50.0 || r.json["to"] != "author" {
		t.Fatalf("tip: %d %s", r.status, r.body)
	}
	again := e.do(req{method: "POST", path: path, token: fan, body: map[string]any{"amount": 1000, "anonymous": true}, header: key})
	if again.status != 201 || again.json["id"] != r.json["id"] || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", again.status, again.body)
	}
	if w := e.ok(req{method: "GET", path: "/api/v1/wallet", token: author}, 200); e.balance(fan) != 4_000 || w.json["available"] != 0.0 || w.json["held"] != 950.0 {
		t.Fatalf("balances: fan %v, author %s (the tip held for a day)", e.balance(fan), w.body)
	}
	if r.json["status"] != "held" || r.json["release_at"] == nil {
		t.Fatalf("a tip says it is held, and until when: %s", r.body)
	}
	var fees int64
	if err := e.db.QueryRow(context.Background(), `SELECT available FROM ledger_accounts WHERE id = 'sys_fees'`).Scan(&fees); err != nil || fees != 50 {
		t.Fatalf("fees: %d, %v", fees, err)
	}
	// The daily cap in the circle: 500 of 1,500 left.
	cap := e.do(req{method: "POST", path: path, token: fan, body: map[string]any{"amount": 600}})
	wantProblem(t, cap, 422, "tip_cap_reached")
	if !strings.Contains(cap.json["detail"].(string), "¥5.00") {
		t.Fatalf("the cap refusal does not say what is left: %s", cap.body)
	}
	if r := e.do(req{method: "POST", path: path, token: fan, body: map[string]any{"amount": 500, "anonymous": true}}); r.status != 201 {
		t.Fatalf("a tip within the cap: %d %s", r.status, r.body)
	}

	// The board: the anonymous tipper is named to the author and to
	// themselves only.
	board := func(tok string) map[string]any {
		r := e.do(req{method: "GET", path: path, token: tok})
		if r.status != 200 || r.json["total"] != 1500.0 || r.json["count"] != 2.0 {
			t.Fatalf("board: %d %s", r.status, r.body)
		}
		return r.json["top"].([]any)[0].(map[string]any)
	}
	if top := board(other); top["anonymous"] != true || top["handle"] != nil {
		t.Fatalf("to another member: %v", top)
	}
	if top := board(author); top["handle"] != "fan" {
		t.Fatalf("to the author: %v", top)
	}
	if top := board(fan); top["handle"] != "fan" {
		t.Fatalf("to the tipper: %v", top)
	}
	e.ledgerOK()
}

func TestConcurrentTipsSettleEachOnceWithinCapsAndFunds(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	author := e.user("author", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Busy tips", "tips": map[string]any{"fee_bps": 1000, "min": 100, "max": 1000, "daily_cap": 1500}})
	e.join(author, c)
	p := e.postIn(author, c, map[string]any{"text": "tip me, all of you"})
	const fans, each = 10, 3
	toks := make([]string, fans+1)
	for i := range toks {
		toks[i] = e.user(fmt.Sprintf("fan%02d", i), account.RoleUser)
		e.join(toks[i], c)
		if i < fans {
			e.fund(toks[i], 2_000)
		} else {
			e.fund(toks[i], 50) // too little for any tip
		}
	}
	// Every fan tips 3 × ¥6.00 at once; a day's cap of ¥15.00 in the
	// circle lets two through.
	path := "/api/v1/posts/" + p + "/tips"
	type sent struct {
		tok, key string
		body     map[string]any
		got      response
	}
	var all []*sent
	for i, tok := range toks {
		for j := range each {
			all = append(all, &sent{tok: tok, key: fmt.Sprintf("tip-%d-%d", i, j), body: map[string]any{"amount": 600, "anonymous": j == 0}})
		}
	}
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.got = e.do(req{method: "POST", path: path, token: s.tok, body: s.body, header: map[string]string{"Idempotency-Key": s.key}})
		}()
	}
	wg.Wait()
	ok := map[string]int{}
	for _, s := range all {
		switch {
		case s.got.status == 201:
			ok[s.tok]++
		case s.got.status == 422 && (s.got.json["code"] == "tip_cap_reached" || s.got.json["code"] == "insufficient_funds"):
		default:
			t.Fatalf("%s: %d %s", s.key, s.got.status, s.got.body)
		}
	}
	for i, tok := range toks {
		if want := map[bool]int{true: 2, false: 0}[i < fans]; ok[tok] != want {
			t.Fatalf("fan %d had %d tips through, want %d", i, ok[tok], want)
		}
	}
	// The metrics count the batches and the tips they settled: every tip
	// that went through, and no more calls than were sent.
	m := e.do(req{method: "GET", path: "/metrics"}).body
	batches, settled := metricValue(t, m, "quanzi_tip_batches_total"), metricValue(t, m, "quanzi_tips_settled_total")
	if settled < 2*fans || settled > float64(len(all)) || batches < 1 || batches > settled {
		t.Fatalf("metrics: %v tip batches settled %v tips; %d went through of %d sent", batches, settled, 2*fans, len(all))
	}
	// A retry of any of them gets the same answer and moves nothing.
	entries := e.count("journal_entries")
	for _, s := range all {
		again := e.do(req{method: "POST", path: path, token: s.tok, body: s.body, header: map[string]string{"Idempotency-Key": s.key}})
		if again.status != s.got.status || !bytes.Equal(again.body, s.got.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%s replayed as %d %s, first %d %s", s.key, again.status, again.body, s.got.status, s.got.body)
		}
	}
	if e.count("journal_entries") != entries {
		t.Fatal("replays moved money")
	}
	const tips = 2 * fans
	board := e.ok(req{method: "GET", path: path, token: author}, 200)
	if board.json["count"] != float64(tips) || board.json["total"] != float64(tips*600) || e.count("tips") != tips {
		t.Fatalf("board %s, %d tip rows; want %d tips", board.body, e.count("tips"), tips)
	}
	for _, top := range board.json["top"].([]any) {
		if tt := top.(map[string]any); tt["tips"] != 2.0 || tt["total"] != 1200.0 || tt["anonymous"] != false {
			t.Fatalf("a tipper's total: %v (two tips, one of them named)", tt)
		}
	}
	if w := e.ok(req{method: "GET", path: "/api/v1/wallet", token: author}, 200); w.json["held"] != float64(tips*540) {
		t.Fatalf("the author holds %s, want %d", w.body, tips*540)
	}
	notes := e.ok(req{method: "GET", path: "/api/v1/notifications?limit=100", token: author}, 200)
	items := notes.json["items"].([]any)
	if len(items) != tips {
		t.Fatalf("%d notifications for %d tips", len(items), tips)
	}
	for i, it := range items { // newest first, numbered without gaps
		if n := it.(map[string]any); n["seq"] != float64(tips-i) || n["kind"] != "tip" {
			t.Fatalf("notification %d: %v", i, n)
		}
	}
	e.ledgerOK()
}

// metricValue reads one unlabelled series from a Prometheus text page.
func metricValue(t *testing.T, page []byte, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in the metrics:\n%s", name, page)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func TestAClosedCirclesPostsAreSeenByItsMembersOnly(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	outsider := e.user("outsider", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Secret garden", "visibility": "closed"})
	p := e.postIn(owner, c, map[string]any{"text": "members only"})
	e.fund(outsider, 1_000)
	unknown := store.NewID(e.db.Now())
	for _, path := range []string{"/api/v1/posts/%s", "/api/v1/posts/%s/comments", "/api/v1/posts/%s/tips", "/api/v1/posts/%s/edits"} {
		for _, tok := range []string{"", outsider} {
			hidden := e.do(req{method: "GET", path: fmt.Sprintf(path, p), token: tok})
			missing := e.do(req{method: "GET", path: fmt.Sprintf(path, unknown), token: tok})
			wantProblem(t, hidden, 404, "not_found")
			if strings.ReplaceAll(hidden.json["detail"].(string), p, unknown) != missing.json["detail"] {
				t.Fatalf("%s: %q differs from %q", path, hidden.json["detail"], missing.json["detail"])
			}
		}
	}
	for _, w := range []struct {
		path string
		body any
	}{{"/like", nil}, {"/comments", map[string]any{"text": "hi"}}, {"/tips", map[string]any{"amount": 100}}} {
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + p + w.path, token: outsider, body: w.body}), 404, "not_found")
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: outsider}), 404, "not_found")
	if got := ids(e.do(req{method: "GET", path: "/api/v1/users/owner/posts", token: outsider})); len(got) != 0 {
		t.Fatalf("the author's list shows an outsider a closed circle's post: %v", got)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/users/owner/posts", token: owner})); len(got) != 1 {
		t.Fatalf("the author's own list: %v", got)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/feed", token: owner})); len(got) != 1 || got[0] != p {
		t.Fatalf("a member's home feed: %v", got)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/feed", token: outsider})); len(got) != 0 {
		t.Fatalf("an outsider's home feed: %v", got)
	}
}

func TestReviewHoldsPostsOutOfSight(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Photo diary", "review": "media"})
	e.join(mei, c)
	e.join(lin, c)
	text := e.postIn(mei, c, map[string]any{"text": "words only"})
	held := e.postIn(mei, c, map[string]any{"text": "a photo", "media_ids": []string{e.upload("mei")}})
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + held, token: mei}); r.json["status"] != "held" {
		t.Fatalf("the author sees the post in review: %s", r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + held, token: owner}); r.status != 200 {
		t.Fatalf("a moderator sees the post in review: %d", r.status)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + held, token: lin}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/posts/" + held + "/tips", token: owner, body: map[string]any{"amount": 100}}), 409, "post_in_review")
	for _, tok := range []string{mei, lin, owner} {
		if got := ids(e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: tok})); fmt.Sprint(got) != fmt.Sprint([]string{text}) {
			t.Fatalf("the feed shows a post in review: %v", got)
		}
		if got := ids(e.do(req{method: "GET", path: "/api/v1/feed", token: tok})); fmt.Sprint(got) != fmt.Sprint([]string{text}) {
			t.Fatalf("the home feed shows a post in review: %v", got)
		}
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/users/mei/posts", token: mei})); len(got) != 2 {
		t.Fatalf("the author's own list includes the post in review: %v", got)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/users/mei/posts", token: lin})); len(got) != 1 {
		t.Fatalf("others do not see it in the author's list: %v", got)
	}
}

func TestTheCommentRuleIsExplained(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	low := e.user("low", account.RoleUser)
	e.verify("low", nil, 700)
	c := e.circle(owner, map[string]any{"name": "Credit club", "policies": map[string]any{"comment": "user.credit_score >= 750"}})
	e.join(low, c)
	p := e.postIn(owner, c, map[string]any{"text": "rules"})
	r := e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: low, body: map[string]any{"text": "may I?"}})
	wantProblem(t, r, 403, "policy_denied")
	if d := r.json["detail"].(string); !strings.Contains(d, "750") || !strings.Contains(d, "700") {
		t.Fatalf("the refusal does not name the condition: %q", d)
	}
	got := e.do(req{method: "GET", path: "/api/v1/posts/" + p, token: low})
	right := got.json["me"].(map[string]any)["rights"].(map[string]any)["comment"].(map[string]any)
	if right["allowed"] != false || !strings.Contains(right["reason"].(string), "750") {
		t.Fatalf("the comment right: %v", right)
	}
}

func TestPostBadInputIsRefusedAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Strict"})
	e.join(mei, c)
	used := e.upload("mei")
	e.postIn(mei, c, map[string]any{"text": "uses it", "media_ids": []string{used}})
	theirs := e.upload("owner")
	var ten []string
	for range 10 {
		ten = append(ten, "x")
	}
	posts, media := e.count("posts"), e.count("media WHERE post_id IS NOT NULL")
	path := "/api/v1/circles/" + c + "/posts"
	for _, bad := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"text": "   "}, 422, "empty_post"},
		{map[string]any{}, 422, "empty_post"},
		{map[string]any{"text": strings.Repeat("字", 5001)}, 422, "text_too_long"},
		{map[string]any{"text": "x", "media_ids": ten}, 422, "too_many_media"},
		{map[string]any{"text": "x", "media_ids": []string{theirs}}, 422, "media_not_found"},
		{map[string]any{"text": "x", "media_ids": []string{"nope"}}, 422, "media_not_found"},
		{map[string]any{"text": "x", "media_ids": []string{used}}, 409, "media_in_use"},
		{map[string]any{"text": "x", "audience": "public"}, 422, "invalid"},
		{map[string]any{"text": 5}, 400, "wrong_type"},
		{map[string]any{"text": "x", "colour": "red"}, 400, "unknown_field"},
	} {
		wantProblem(t, e.do(req{method: "POST", path: path, token: mei, body: bad.body}), bad.status, bad.code)
	}
	// Someone else's picture fails the whole post, even after a good one.
	good := e.upload("mei")
	wantProblem(t, e.do(req{method: "POST", path: path, token: mei, body: map[string]any{"text": "x", "media_ids": []string{good, theirs}}}), 422, "media_not_found")
	if e.count("posts") != posts || e.count("media WHERE post_id IS NOT NULL") != media {
		t.Fatal("a refused post wrote")
	}
	wantProblem(t, e.do(req{method: "GET", path: path + "?cursor=" + store.Cursor("zzz")[:10] + "x", token: mei}), 400, "invalid_cursor")
	wantProblem(t, e.do(req{method: "GET", path: path + "?sort=loud", token: mei}), 422, "invalid")
	wantProblem(t, e.do(req{method: "POST", path: path, body: map[string]any{"text": "anon"}}), 401, "unauthenticated")
	outsider := e.user("outsider", account.RoleUser)
	wantProblem(t, e.do(req{method: "POST", path: path, token: outsider, body: map[string]any{"text": "let me in"}}), 403, "forbidden")
}

func TestMomentsReachTheirAudience(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	public := e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "sunny", "audience": "public"}})
	private := e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "diary", "audience": "private"}})
	if public.status != 201 || private.status != 201 || public.json["circle"] != nil || public.json["audience"] != "public" {
		t.Fatalf("moments: %d %s / %d %s", public.status, public.body, private.status, private.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/posts/" + public.json["id"].(string), token: lin}); r.status != 200 {
		t.Fatalf("a public moment: %d", r.status)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + private.json["id"].(string), token: lin}), 404, "not_found")
	if got := ids(e.do(req{method: "GET", path: "/api/v1/users/mei/posts", token: lin})); len(got) != 1 {
		t.Fatalf("another user sees the public moment only: %v", got)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/feed", token: mei})); len(got) != 2 {
		t.Fatalf("the author's home feed has both: %v", got)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "x", "audience": "list", "to": []string{"lin"}}}), 422, "invalid") // not friends
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "x", "audience": "everyone"}}), 422, "invalid")
}

func TestTheHomeFeedPagesWithoutGapsOrRepeats(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	var circles []string
	for i := range 3 {
		circles = append(circles, e.circle(mei, map[string]any{"name": fmt.Sprintf("Circle %d", i)}))
	}
	var want []string
	for i := range 14 {
		if i%4 == 3 {
			r := e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": fmt.Sprint("moment ", i)}})
			want = append(want, r.json["id"].(string))
			continue
		}
		want = append(want, e.postIn(mei, circles[i%3], map[string]any{"text": fmt.Sprint("post ", i)}))
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		r := e.do(req{method: "GET", path: "/api/v1/feed?limit=4&cursor=" + cursor, token: mei})
		if r.status != 200 || pages > 5 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		got = append(got, ids(r)...)
		if cursor = r.json["next_cursor"].(string); cursor == "" {
			break
		}
	}
	// Newest first: ids sort by their millisecond, then at random within it.
	sort.Sort(sort.Reverse(sort.StringSlice(want)))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("feed:\n got %v\nwant %v", got, want)
	}
}

func TestBlocksCutFeedsCommentsAndTipsBothWays(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	troll := e.user("troll", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Public square"})
	e.join(mei, c)
	e.join(troll, c)
	e.fund(troll, 5_000)
	e.fund(mei, 5_000)
	meis := e.postIn(mei, c, map[string]any{"text": "hello"})
	trolls := e.postIn(troll, c, map[string]any{"text": "bait"})
	top := e.do(req{method: "POST", path: "/api/v1/posts/" + meis + "/comments", token: owner, body: map[string]any{"text": "welcome"}})
	if r := e.do(req{method: "PUT", path: "/api/v1/blocks/troll", token: mei}); r.status != 200 {
		t.Fatalf("block: %d %s", r.status, r.body)
	}
	tips := e.count("tips")
	// Neither side can reach the other: not the blocked, not the blocker.
	for _, w := range []struct {
		token, post, path string
		body              any
	}{
		{troll, meis, "/comments", map[string]any{"text": "hi"}},
		{troll, meis, "/comments", map[string]any{"text": "hi", "reply_to": top.json["id"]}},
		{troll, meis, "/like", nil},
		{troll, meis, "/tips", map[string]any{"amount": 100}},
		{mei, trolls, "/comments", map[string]any{"text": "go away"}},
		{mei, trolls, "/tips", map[string]any{"amount": 100}},
	} {
		r := e.do(req{method: "POST", path: "/api/v1/posts/" + w.post + w.path, token: w.token, body: w.body})
		wantProblem(t, r, 403, "blocked")
		if strings.Contains(r.json["detail"].(string), "mei blocked") {
			t.Fatalf("the refusal tells who blocked whom: %s", r.body)
		}
	}
	if e.count("tips") != tips {
		t.Fatal("a tip through a block was written")
	}
	// Feeds leave the other out, both ways; others still see both.
	for _, v := range []struct {
		token string
		want  []string
	}{{mei, []string{meis}}, {troll, []string{trolls}}, {owner, []string{trolls, meis}}} {
		if got := ids(e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: v.token})); fmt.Sprint(got) != fmt.Sprint(v.want) {
			t.Fatalf("circle feed: got %v, want %v", got, v.want)
		}
		if got := ids(e.do(req{method: "GET", path: "/api/v1/feed", token: v.token})); fmt.Sprint(got) != fmt.Sprint(v.want) {
			t.Fatalf("home feed: got %v, want %v", got, v.want)
		}
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/users/mei/posts", token: troll})); len(got) != 0 {
		t.Fatalf("the blocked user sees the blocker's posts on their page: %v", got)
	}
	// Comments by the blocked are hidden from the blocker.
	e.do(req{method: "DELETE", path: "/api/v1/blocks/troll", token: mei})
	e.do(req{method: "POST", path: "/api/v1/posts/" + meis + "/comments", token: troll, body: map[string]any{"text": "sorry"}})
	e.do(req{method: "PUT", path: "/api/v1/blocks/troll", token: mei})
	if got := ids(e.do(req{method: "GET", path: "/api/v1/posts/" + meis + "/comments", token: mei})); len(got) != 1 {
		t.Fatalf("the blocker still sees the blocked user's comment: %v", got)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/posts/" + meis + "/comments", token: owner})); len(got) != 2 {
		t.Fatalf("others see every comment: %v", got)
	}
}

func TestMomentsForFriendsAndLists(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	bob := e.user("bob", account.RoleUser)
	stranger := e.user("stranger", account.RoleUser)
	e.befriend(mei, lin, "lin")
	e.befriend(mei, bob, "bob")
	friends := e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "for friends"}})
	list := e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "for lin", "audience": "list", "to": []string{"@Lin"}}})
	if friends.status != 201 || friends.json["audience"] != "friends" || list.status != 201 {
		t.Fatalf("moments: %s / %s", friends.body, list.body)
	}
	fid, lid := friends.json["id"].(string), list.json["id"].(string)
	for _, v := range []struct {
		token string
		want  []string
	}{{lin, []string{lid, fid}}, {bob, []string{fid}}, {stranger, nil}} {
		if got := ids(e.do(req{method: "GET", path: "/api/v1/feed", token: v.token})); fmt.Sprint(got) != fmt.Sprint(v.want) {
			t.Fatalf("home feed: got %v, want %v", got, v.want)
		}
		if got := ids(e.do(req{method: "GET", path: "/api/v1/users/mei/posts", token: v.token})); fmt.Sprint(got) != fmt.Sprint(v.want) {
			t.Fatalf("mei's page: got %v, want %v", got, v.want)
		}
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + lid, token: bob}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "x", "audience": "list", "to": []string{"stranger"}}}), 422, "invalid")
	// The friendship ends, and so does the view of friends' moments.
	if r := e.do(req{method: "DELETE", path: "/api/v1/friends/mei", token: bob}); r.status != 204 {
		t.Fatalf("unfriend: %d %s", r.status, r.body)
	}
	if got := ids(e.do(req{method: "GET", path: "/api/v1/feed", token: bob})); len(got) != 0 {
		t.Fatalf("an old friend's feed: %v", got)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/posts/" + fid, token: bob}), 404, "not_found")
}

func TestLikesCommentsRepliesAndTipsNotifyTheirPeople(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Chatty"})
	e.join(mei, c)
	e.join(lin, c)
	e.fund(lin, 1_000)
	p := e.postIn(mei, c, map[string]any{"text": "notify me"})
	e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/like", token: lin})
	e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/like", token: mei}) // one's own: no notification
	top := e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: owner, body: map[string]any{"text": "first"}})
	e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: lin, body: map[string]any{"text": "agreed", "reply_to": top.json["id"]}})
	if r := e.do(req{method: "POST", path: "/api/v1/posts/" + p + "/tips", token: lin, body: map[string]any{"amount": 300, "anonymous": true}}); r.status != 201 {
		t.Fatalf("tip: %d %s", r.status, r.body)
	}
	kinds := func(tok string) []string {
		r := e.do(req{method: "GET", path: "/api/v1/notifications", token: tok})
		var out []string
		for _, it := range r.json["items"].([]any) {
			n := it.(map[string]any)
			k := n["kind"].(string)
			if n["post_id"] != p {
				t.Fatalf("a notification without its post: %v", n)
			}
			if a, ok := n["amount"].(float64); ok {
				k += fmt.Sprint(":", a)
			}
			out = append(out, k+"@"+n["actor"].(map[string]any)["handle"].(string))
		}
		sort.Strings(out)
		return out
	}
	// The author hears of the like, both comments and the tip (who sent
	// an anonymous tip is no secret to its recipient); the commenter of
	// the reply.
	if got := kinds(mei); fmt.Sprint(got) != "[comment@lin comment@owner like@lin tip:300@lin]" {
		t.Fatalf("the author's notifications: %v", got)
	}
	if got := kinds(owner); fmt.Sprint(got) != "[reply@lin]" {
		t.Fatalf("the commenter's notifications: %v", got)
	}
}
