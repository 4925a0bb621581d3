package api

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/screen"
)

// listWord lists a phrase as token on the platform's list (circleID "")
// or a circle's.
func (e *env) listWord(token, circleID, phrase, action string) string {
	e.t.Helper()
	path := "/api/v1/admin/screening/words"
	if circleID != "" {
		path = "/api/v1/circles/" + circleID + "/screening/words"
	}
	r := e.ok(req{method: "POST", path: path, token: token, body: map[string]any{"phrase": phrase, "action": action, "note": "test"}}, 201)
	return r.json["id"].(string)
}

// picture records an uploaded picture of handle's with a perceptual hash
// and, unless nil, a classifier score, as the upload endpoint does.
func (e *env) picture(handle string, phash uint64, score *float64) string {
	e.t.Helper()
	id := e.upload(handle)
	if _, err := e.db.Exec(context.Background(), `UPDATE media SET phash = $1, score = $2 WHERE id = $3`, int64(phash), score, id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// queue is a circle's review queue (the platform's for ""), as cause
// and detail by target.
func (e *env) queue(token, circleID string) map[string]string {
	e.t.Helper()
	path := "/api/v1/review"
	if circleID != "" {
		path = "/api/v1/circles/" + circleID + "/review"
	}
	out := map[string]string{}
	for _, it := range e.ok(req{method: "GET", path: path, token: token}, 200).json["items"].([]any) {
		it := it.(map[string]any)
		d, _ := it["detail"].(string)
		out[it["target_id"].(string)] = it["kind"].(string) + " " + it["cause"].(string) + ": " + d
	}
	return out
}

// cases is the open cases in a circle by target: reports and screening.
func (e *env) cases(token, circleID string) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, it := range e.ok(req{method: "GET", path: "/api/v1/circles/" + circleID + "/reports", token: token}, 200).json["items"].([]any) {
		it := it.(map[string]any)
		s, _ := it["screening"].(string)
		out[it["target_id"].(string)] = fmt.Sprintf("%s %v reports; %s", it["kind"], it["reports"], s)
	}
	return out
}

func TestScreenWordListsBlockHoldAndFlagPostsAndComments(t *testing.T) {
	e := newEnv(t)
	boss := e.user("boss", account.RoleAdmin)
	rev := e.user("rev", account.RoleReviewer)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	other := e.user("other", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Careful words"})
	b := e.circle(other, map[string]any{"name": "Bananas"})
	e.join(mei, c)
	e.join(other, c)

	// Who may change and see the lists.
	body := map[string]any{"phrase": "casino", "action": "block"}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/screening/words", token: rev, body: body}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/screening/words", token: owner, body: body}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/admin/screening/words", token: mei}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/screening/words", token: mei, body: body}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/screening/words", token: other, body: body}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/screening/words", token: rev, body: body}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c + "/screening/words", token: mei}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/screening/words", body: body}), 401, "unauthenticated")
	if n := e.count("screen_words"); n != 0 {
		t.Fatalf("refused changes wrote %d phrases", n)
	}

	e.listWord(boss, "", "Ｃａｓｉｎｏ", "block") // listed normalized
	e.listWord(boss, "", "buy  followers", "hold")
	e.listWord(boss, "", "crypto", "flag")
	e.listWord(owner, c, "ass", "block")
	weixin := e.listWord(owner, c, "微信", "hold")
	e.listWord(other, b, "banana", "block")
	e.listWord(boss, b, "plantain", "block") // platform admins may change a circle's list

	// Bad input: a code and a sentence, nothing written.
	for _, bad := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"phrase": "  ", "action": "block"}, 422, "invalid"},
		{map[string]any{"phrase": strings.Repeat("x", 101), "action": "block"}, 422, "invalid"},
		{map[string]any{"phrase": "!!!", "action": "block"}, 422, "invalid"},
		{map[string]any{"phrase": "poker", "action": "ban"}, 422, "invalid"},
		{map[string]any{"phrase": "poker"}, 422, "invalid"},
		{map[string]any{"phrase": "CASINO", "action": "hold"}, 409, "already_listed"},
		{map[string]any{"phrase": "poker", "action": "block", "note": strings.Repeat("n", 501)}, 422, "invalid"},
		{map[string]any{"phrase": "poker", "action": "block", "colour": "red"}, 400, "unknown_field"},
	} {
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/screening/words", token: boss, body: bad.body}), bad.status, bad.code)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/screening/words", token: owner, body: map[string]any{"phrase": "ASS", "action": "flag"}}), 409, "already_listed")
	if n := e.count("screen_words"); n != 7 {
		t.Fatalf("the lists hold %d phrases, want 7", n)
	}
	g := e.ok(req{method: "GET", path: "/api/v1/admin/screening/words", token: rev}, 200)
	var global []string
	for _, it := range g.json["items"].([]any) {
		it := it.(map[string]any)
		global = append(global, it["phrase"].(string)+" "+it["action"].(string))
	}
	if fmt.Sprint(global) != "[buy followers hold casino block crypto flag]" {
		t.Fatalf("the platform's list, normalized, in phrase order: %v", global)
	}
	if l := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/screening/words?limit=1", token: owner}, 200); len(l.json["items"].([]any)) != 1 || l.json["next_cursor"] == "" {
		t.Fatalf("a circle's list pages: %s", l.body)
	}

	// Block: refused, naming the phrase and whose rule it is; nothing written.
	posts := e.count("posts")
	path := "/api/v1/circles/" + c + "/posts"
	r := e.do(req{method: "POST", path: path, token: mei, body: map[string]any{"text": "visit my c.a.s.i.n.o tonight"}})
	wantProblem(t, r, 422, "blocked_words")
	if d := r.json["detail"].(string); !strings.Contains(d, `"casino"`) || !strings.Contains(d, "anywhere") {
		t.Fatalf("the refusal names the phrase: %q", d)
	}
	r = e.do(req{method: "POST", path: path, token: mei, body: map[string]any{"text": "You ASS"}})
	wantProblem(t, r, 422, "blocked_words")
	if d := r.json["detail"].(string); d != `The text contains "ass", which this circle does not allow.` {
		t.Fatalf("the refusal: %q", d)
	}
	if n := e.count("posts"); n != posts {
		t.Fatalf("a blocked post was written")
	}

	// Words bound Latin phrases; another circle's list does not apply.
	classy := e.postIn(mei, c, map[string]any{"text": "first class service, banana bread"})
	if r := e.ok(req{method: "GET", path: "/api/v1/posts/" + classy, token: mei}, 200); r.json["status"] != "published" {
		t.Fatalf("class is not ass, and banana is another circle's word: %s", r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + b + "/posts", token: other, body: map[string]any{"text": "banana"}}), 422, "blocked_words")

	// Hold: held and queued with the cause and the phrase, even for the
	// circle's owner (whose own posts the circle does not review).
	held := e.postIn(mei, c, map[string]any{"text": "加我微 信聊"})
	bought := e.postIn(mei, c, map[string]any{"text": "B U Y followers here"})
	ownerHeld := e.postIn(owner, c, map[string]any{"text": "owners say 微信 too"})
	for _, id := range []string{held, bought, ownerHeld} {
		if r := e.ok(req{method: "GET", path: "/api/v1/posts/" + id, token: owner}, 200); r.json["status"] != "held" {
			t.Fatalf("a post with a hold phrase is held: %s", r.body)
		}
	}
	q := e.queue(owner, c)
	if len(q) != 3 || q[held] != `post screen_words: contains "微信" (the circle's list)` ||
		q[bought] != `post screen_words: contains "buy followers" (the platform's list)` {
		t.Fatalf("the review queue says why: %v", q)
	}
	if got := ids(e.do(req{method: "GET", path: path, token: other})); slices.Contains(got, held) || slices.Contains(got, ownerHeld) {
		t.Fatalf("held posts are out of the feed: %v", got)
	}

	// Flag: published, and a case with no reporter for the moderators.
	flagged := e.postIn(mei, c, map[string]any{"text": "Crypto tips inside"})
	if r := e.ok(req{method: "GET", path: "/api/v1/posts/" + flagged, token: other}, 200); r.json["status"] != "published" {
		t.Fatalf("a flagged post is published: %s", r.body)
	}
	if k := e.cases(owner, c); k[flagged] != `post 0 reports; screen_words: contains "crypto" (the platform's list)` {
		t.Fatalf("a flagged post opens a case: %v", k)
	}

	// Comments: blocked, held (until approved) and flagged alike.
	cpath := "/api/v1/posts/" + classy + "/comments"
	r = e.do(req{method: "POST", path: cpath, token: other, body: map[string]any{"text": "casino night!"}})
	wantProblem(t, r, 422, "blocked_words")
	if d := r.json["detail"].(string); !strings.HasPrefix(d, `The comment contains "casino"`) {
		t.Fatalf("the refusal: %q", d)
	}
	hc := e.ok(req{method: "POST", path: cpath, token: other, body: map[string]any{"text": "add me on 微信"}}, 201)
	if hc.json["status"] != "held" {
		t.Fatalf("a held comment says so: %s", hc.body)
	}
	heldComment := hc.json["id"].(string)
	fc := e.ok(req{method: "POST", path: cpath, token: other, body: map[string]any{"text": "crypto!"}}, 201).json["id"].(string)
	list := e.ok(req{method: "GET", path: cpath, token: mei}, 200)
	if got := ids(list); len(got) != 1 || got[0] != fc {
		t.Fatalf("only the flagged comment is out: %v", got)
	}
	if r := e.ok(req{method: "GET", path: "/api/v1/posts/" + classy, token: mei}, 200); r.json["comments"] != float64(1) {
		t.Fatalf("a held comment does not count yet: %s", r.body)
	}
	if q := e.queue(owner, c); q[heldComment] != `comment screen_words: contains "微信" (the circle's list)` {
		t.Fatalf("the held comment waits in the queue: %v", q)
	}
	if k := e.cases(owner, c); !strings.HasPrefix(k[fc], "comment 0 reports; screen_words") {
		t.Fatalf("the flagged comment has a case: %v", k)
	}
	var item string
	for _, it := range e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/review", token: owner}, 200).json["items"].([]any) {
		if it := it.(map[string]any); it["target_id"] == heldComment {
			item = it["id"].(string)
		}
	}
	e.ok(req{method: "POST", path: "/api/v1/review/" + item + "/approve", token: owner}, 200)
	if got := ids(e.ok(req{method: "GET", path: cpath, token: mei}, 200)); len(got) != 2 || got[0] != heldComment {
		t.Fatalf("an approved comment is published: %v", got)
	}
	if r := e.ok(req{method: "GET", path: "/api/v1/posts/" + classy, token: mei}, 200); r.json["comments"] != float64(2) {
		t.Fatalf("an approved comment counts: %s", r.body)
	}

	// Edits: a block phrase is refused; a hold phrase takes the post back
	// into review; a flag phrase opens a case; what was there before does
	// not count again.
	edit := func(id, text string) response {
		return e.do(req{method: "PATCH", path: "/api/v1/posts/" + id, token: mei, body: map[string]any{"text": text}})
	}
	wantProblem(t, edit(classy, "first class casino"), 422, "blocked_words")
	if r := e.ok(req{method: "GET", path: "/api/v1/posts/" + classy, token: mei}, 200); r.json["text"] != "first class service, banana bread" || r.json["edited_at"] != nil {
		t.Fatalf("a refused edit changed the post: %s", r.body)
	}
	if r := edit(flagged, "crypto tips inside, edited"); r.status != 200 || r.json["status"] != "published" {
		t.Fatalf("an edit keeping a flagged phrase: %d %s", r.status, r.body)
	}
	if r := edit(classy, "now with buy followers"); r.status != 200 || r.json["status"] != "held" {
		t.Fatalf("an edit with a hold phrase puts the post back into review: %d %s", r.status, r.body)
	}
	if q := e.queue(owner, c); q[classy] != `post screen_words: contains "buy followers" (the platform's list)` {
		t.Fatalf("the edited post waits in the queue: %v", q)
	}
	second := e.postIn(mei, c, map[string]any{"text": "plain words"})
	if r := edit(second, "plain crypto words"); r.status != 200 || r.json["status"] != "published" {
		t.Fatalf("an edit with a flag phrase stays published: %d %s", r.status, r.body)
	}
	if k := e.cases(owner, c); !strings.Contains(k[second], `"crypto"`) {
		t.Fatalf("a flagged edit opens a case: %v", k)
	}

	// Moments: the platform's list only.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "casino"}}), 422, "blocked_words")
	m := e.ok(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"text": "ass 微信 buy followers"}}, 201)
	if m.json["status"] != "held" {
		t.Fatalf("a moment with a platform hold phrase is held: %s", m.body)
	}
	if q := e.queue(rev, ""); q[m.json["id"].(string)] != `post screen_words: contains "buy followers" (the platform's list)` {
		t.Fatalf("circles' lists do not apply to moments: %v", q)
	}

	// Taking a phrase off: by phrase or id, moderators only, audited.
	wantProblem(t, e.do(req{method: "DELETE", path: "/api/v1/circles/" + c + "/screening/words/" + weixin, token: mei}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "DELETE", path: "/api/v1/circles/" + c + "/screening/words/poker", token: owner}), 404, "not_found")
	wantProblem(t, e.do(req{method: "DELETE", path: "/api/v1/admin/screening/words/" + weixin, token: boss}), 404, "not_found") // not on the platform's list
	e.ok(req{method: "DELETE", path: "/api/v1/circles/" + c + "/screening/words/%E5%BE%AE%E4%BF%A1", token: owner, body: map[string]any{"reason": "too broad"}}, 204)
	if r := e.ok(req{method: "POST", path: path, token: mei, body: map[string]any{"text": "微信 is fine now"}}, 201); r.json["status"] != "published" {
		t.Fatalf("a phrase taken off no longer holds: %s", r.body)
	}
	var audited []string
	for _, it := range e.ok(req{method: "GET", path: "/api/v1/admin/audit?action=screening.", token: boss}, 200).json["items"].([]any) {
		it := it.(map[string]any)
		audited = append(audited, it["action"].(string)+" by "+it["actor"].(string))
	}
	if len(audited) != 8 || audited[0] != "screening.word.delete by owner" || audited[7] != "screening.word.add by boss" {
		t.Fatalf("every change is audited: %v", audited)
	}
}

func TestScreenHashBlockListRefusesNearPictures(t *testing.T) {
	e := newEnv(t)
	boss := e.user("boss", account.RoleAdmin)
	rev := e.user("rev", account.RoleReviewer)
	mei := e.user("mei", account.RoleUser)
	c := e.circle(mei, map[string]any{"name": "Pictures"})
	const listed = uint64(0x8f3a00c2e1d4b597)
	flip := func(h uint64, n int) uint64 { return h ^ (1<<n - 1) } // n bits differ

	// A picture from a removed post is listed by its id.
	old := e.picture("mei", 0x0123456789abcdef, nil)
	gone := e.postIn(mei, c, map[string]any{"text": "soon gone", "media_ids": []string{old}})
	e.ok(req{method: "DELETE", path: "/api/v1/posts/" + gone, token: mei}, 204)
	unhashed := e.upload("mei")

	path := "/api/v1/admin/screening/hashes"
	for _, bad := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"hash": "8f3a00c2e1d4b59", "label": "x"}, 422, "invalid"},
		{map[string]any{"hash": "8f3a00c2e1d4b59z", "label": "x"}, 422, "invalid"},
		{map[string]any{"hash": "8f3a00c2e1d4b597"}, 422, "invalid"},
		{map[string]any{"label": "neither"}, 422, "invalid"},
		{map[string]any{"hash": "8f3a00c2e1d4b597", "media_id": old, "label": "both"}, 422, "invalid"},
		{map[string]any{"media_id": "nosuchpicture", "label": "x"}, 422, "media_not_found"},
		{map[string]any{"media_id": unhashed, "label": "x"}, 422, "invalid"},
	} {
		wantProblem(t, e.do(req{method: "POST", path: path, token: boss, body: bad.body}), bad.status, bad.code)
	}
	wantProblem(t, e.do(req{method: "POST", path: path, token: rev, body: map[string]any{"hash": "8f3a00c2e1d4b597", "label": "x"}}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "GET", path: path, token: mei}), 403, "forbidden")
	if n := e.count("screen_hashes"); n != 0 {
		t.Fatalf("refused requests listed %d hashes", n)
	}
	h := e.ok(req{method: "POST", path: path, token: boss, body: map[string]any{"hash": "8F3A00C2E1D4B597", "label": "known abuse image"}}, 201)
	if h.json["hash"] != "8f3a00c2e1d4b597" {
		t.Fatalf("the listed hash: %s", h.body)
	}
	byID := e.ok(req{method: "POST", path: path, token: boss, body: map[string]any{"media_id": old, "label": "from a removed post"}}, 201)
	if byID.json["hash"] != "0123456789abcdef" || byID.json["media_id"] != old {
		t.Fatalf("listed by picture: %s", byID.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: path, token: boss, body: map[string]any{"hash": "0123456789abcdef", "label": "again"}}), 409, "already_listed")
	if l := e.ok(req{method: "GET", path: path, token: rev}, 200); len(l.json["items"].([]any)) != 2 {
		t.Fatalf("reviewers see the list: %s", l.body)
	}
	// A hash with few bits set: a picture not hashed (0) must not match it.
	e.ok(req{method: "POST", path: path, token: boss, body: map[string]any{"hash": "0000000000000003", "label": "near zero"}}, 201)

	// Within the distance: refused, naming the picture; beyond it: posted.
	fine := e.picture("mei", 0xffff0000ffff0000, nil)
	near := e.picture("mei", flip(listed, screen.HashDistance), nil)
	posts := e.count("posts")
	r := e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/posts", token: mei, body: map[string]any{"text": "look", "media_ids": []string{fine, near}}})
	wantProblem(t, r, 422, "blocked_image")
	if d := r.json["detail"].(string); !strings.HasPrefix(d, "Picture 2 ") {
		t.Fatalf("the refusal names the picture: %q", d)
	}
	if e.count("posts") != posts {
		t.Fatal("a blocked post was written")
	}
	var attached int
	e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM media WHERE post_id IS NOT NULL AND id IN ($1, $2)`, fine, near).Scan(&attached)
	if attached != 0 {
		t.Fatal("a blocked post's pictures were attached")
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/moments", token: mei, body: map[string]any{"media_ids": []string{near}}}), 422, "blocked_image")
	far := e.picture("mei", flip(listed, screen.HashDistance+1), nil)
	e.postIn(mei, c, map[string]any{"text": "look", "media_ids": []string{fine, far, unhashed}})

	// Taken off: the near picture goes out; audited.
	wantProblem(t, e.do(req{method: "DELETE", path: path + "/" + h.json["id"].(string), token: rev}), 403, "forbidden")
	wantProblem(t, e.do(req{method: "DELETE", path: path + "/nosuch", token: boss}), 404, "not_found")
	e.ok(req{method: "DELETE", path: path + "/" + h.json["id"].(string), token: boss, body: map[string]any{"reason": "listed by mistake"}}, 204)
	e.postIn(mei, c, map[string]any{"media_ids": []string{near}})
	if n := len(e.ok(req{method: "GET", path: "/api/v1/admin/audit?action=screening.hash.", token: boss}, 200).json["items"].([]any)); n != 4 {
		t.Fatalf("%d hash changes audited, want 4", n)
	}
}

func TestScreenClassifierScoresHoldPosts(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Photos"})
	e.join(mei, c)

	// Without a classifier, an unscored picture goes out.
	plain := e.postIn(mei, c, map[string]any{"media_ids": []string{e.picture("mei", 1<<40, nil)}})
	if r := e.ok(req{method: "GET", path: "/api/v1/posts/" + plain, token: mei}, 200); r.json["status"] != "published" {
		t.Fatalf("no classifier, no hold: %s", r.body)
	}

	// A classifier on loopback scores "hot" pictures high.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		score := 0.05
		if strings.Contains(string(b), "hot") {
			score = 0.97
		}
		fmt.Fprintf(w, `{"score": %v}`, score)
	}))
	defer srv.Close()
	cl := &screen.Classifier{URL: srv.URL, Hold: 0.8}
	e.api.Screen.Classifier = cl
	// upload scores a picture as the upload endpoint does: a failure
	// leaves the score NULL.
	upload := func(cl *screen.Classifier, data string) string {
		var score *float64
		if s, err := cl.Score(context.Background(), []byte(data), "image/jpeg"); err == nil {
			score = &s
		}
		return e.picture("mei", 1<<41, score)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := &screen.Classifier{URL: "http://" + ln.Addr().String(), Hold: 0.8}
	ln.Close()
	if _, err := down.Score(context.Background(), []byte("x"), "image/jpeg"); err == nil {
		t.Fatal("an unreachable classifier gave a score")
	}

	cool := e.postIn(mei, c, map[string]any{"text": "cool", "media_ids": []string{upload(cl, "cool picture")}})
	hot := e.postIn(mei, c, map[string]any{"text": "hot", "media_ids": []string{upload(cl, "cool picture"), upload(cl, "hot picture")}})
	unscored := e.postIn(mei, c, map[string]any{"text": "unscored", "media_ids": []string{upload(down, "hot picture")}})
	want := map[string]string{cool: "published", hot: "held", unscored: "held"}
	for id, status := range want {
		if r := e.ok(req{method: "GET", path: "/api/v1/posts/" + id, token: mei}, 200); r.json["status"] != status {
			t.Fatalf("%s: %s, want %s", r.json["text"], r.json["status"], status)
		}
	}
	q := e.queue(owner, c)
	if len(q) != 2 || q[hot] != "post classifier: picture 2: the classifier scored it 0.97 (it holds at 0.80)" ||
		q[unscored] != "post classifier_unavailable: picture 1: the classifier did not score it" {
		t.Fatalf("the queue says why: %v", q)
	}
	if n := e.count("review_items"); n != 2 {
		t.Fatalf("%d review items, want 2", n)
	}
	var s *float64
	if err := e.db.QueryRow(context.Background(), `SELECT score FROM media WHERE post_id = $1`, cool).Scan(&s); err != nil || s == nil || *s != 0.05 {
		t.Fatalf("the stored score: %v %v", s, err)
	}
}

func TestScreenFlagsInAReviewedCircleTellItsReviewer(t *testing.T) {
	e := newEnv(t)
	boss := e.user("boss", account.RoleAdmin)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Reviewed", "review": "all"})
	e.join(mei, c)
	e.listWord(boss, "", "crypto", "flag")

	// A member's post waits for review anyway: no case, but the reviewer
	// is told what screening found.
	p := e.postIn(mei, c, map[string]any{"text": "crypto talk"})
	if q := e.queue(owner, c); q[p] != `post circle_review: screening flagged it: contains "crypto" (the platform's list)` {
		t.Fatalf("the queue: %v", q)
	}
	// The owner's own post goes out (the circle's moderators are its
	// reviewers) but is not exempt from screening: a case is opened.
	own := e.postIn(owner, c, map[string]any{"text": "crypto from the owner"})
	if k := e.cases(owner, c); len(k) != 1 || !strings.HasPrefix(k[own], "post 0 reports; screen_words") {
		t.Fatalf("cases: %v", k)
	}
}
