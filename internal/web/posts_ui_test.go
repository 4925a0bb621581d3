package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/post"
)

// The helpers of these tests are named pu… (posts UI).

// puComment comments on a post as author, or replies with replyTo.
func (e *env) puComment(author account.User, postID, replyTo, text string) post.Comment {
	e.t.Helper()
	c, err := e.deps.Posts.AddComment(context.Background(), circle.Actor{User: author}, postID, post.NewComment{Text: text, ReplyTo: replyTo})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// puReplyBox matches a comment's reply box and what it holds.
func puReplyBox(commentID string) *regexp.Regexp {
	return regexp.MustCompile(`<textarea id="f-reply-` + commentID + `" name="reply_text"[^>]*>([^<]*)</textarea>`)
}

func TestPostsUIRepliesUnderComments(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	chen := e.user("chen", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)
	e.cpJoin(chen, c)
	p := e.cpPost(owner, c, "Hill repeats at dawn")
	top := e.puComment(chen, p.ID, "", "Which hill?")

	b := e.browser()
	b.signIn("mei")
	res := b.get("/p/" + p.ID)
	res.has(t, `<li id="c-`+top.ID+`">`, `<details class="reply">`, `action="/p/`+p.ID+`/replies"`,
		`name="reply_to" value="`+top.ID+`"`, `<label for="f-reply-`+top.ID+`">Your reply to chen</label>`)
	res = b.post("/p/"+p.ID+"/replies", url.Values{"reply_to": {top.ID}, "reply_text": {"The one by the lake"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/p/"+p.ID+"#c-"+top.ID {
		t.Fatalf("a reply: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	res = b.follow(res)
	res.has(t, "Your reply is up.", `<ul class="list replies"><li id="c-`)
	if n := e.count(`SELECT COUNT(*) FROM comments WHERE parent_id = $1 AND body = 'The one by the lake'`, top.ID); n != 1 {
		t.Fatalf("%d replies written", n)
	}
	var replyID string
	if err := e.db.QueryRow(t.Context(), `SELECT id FROM comments WHERE parent_id = $1`, top.ID).Scan(&replyID); err != nil {
		t.Fatal(err)
	}
	// One level: the reply has no reply box, and a forged reply to it is
	// refused with nothing written.
	res.lacks(t, `name="reply_to" value="`+replyID+`"`)
	res = b.post("/p/"+p.ID+"/replies", url.Values{"reply_to": {replyID}, "reply_text": {"deeper"}})
	if res.status < 400 {
		t.Fatalf("a reply to a reply: %d", res.status)
	}
	res.has(t, "Replies go one level deep")
	// A reply without the comment it answers is not taken for a comment.
	if got := b.post("/p/"+p.ID+"/replies", url.Values{"reply_text": {"orphan"}}); got.status != http.StatusBadRequest {
		t.Fatalf("a reply to nothing: %d", got.status)
	}
	if n := e.count(`SELECT COUNT(*) FROM comments WHERE body IN ('deeper', 'orphan')`); n != 0 {
		t.Fatalf("a reply to a reply was written")
	}

	// With more replies than the newest three, the comment links to all
	// of them, the oldest included.
	for _, text := range []string{"Second reply", "Third reply", "Fourth reply"} {
		e.puComment(owner, p.ID, top.ID, text)
	}
	res = b.get("/p/" + p.ID)
	res.has(t, "Fourth reply", `href="/p/`+p.ID+`/c/`+top.ID+`#replies">Show all 4 replies</a>`)
	res.lacks(t, "The one by the lake")
	res = b.get("/p/" + p.ID + "/c/" + top.ID)
	if res.status != http.StatusOK {
		t.Fatalf("the replies page: %d", res.status)
	}
	res.has(t, "Replies to chen", "Which hill?", "The one by the lake", "Second reply", "Fourth reply",
		`name="from" value="thread"`, `<details class="reply" open>`)
	// Replying there comes back there.
	res = b.post("/p/"+p.ID+"/replies", url.Values{"reply_to": {top.ID}, "reply_text": {"Fifth reply"}, "from": {"thread"}})
	if res.header.Get("Location") != "/p/"+p.ID+"/c/"+top.ID+"#replies" {
		t.Fatalf("a reply from the replies page goes to %q", res.header.Get("Location"))
	}
	b.follow(res).has(t, "Fifth reply")
	// A reply's own page is not a thread.
	if got := b.get("/p/" + p.ID + "/c/" + replyID); got.status != http.StatusNotFound {
		t.Fatalf("the replies page of a reply: %d", got.status)
	}

	// Signed out: the replies are shown, no reply box.
	anon := e.browser()
	res = anon.get("/p/" + p.ID)
	res.has(t, "Fourth reply")
	res.lacks(t, `name="reply_text"`)
	anon.get("/p/"+p.ID+"/c/"+top.ID).has(t, "Sign in to reply", "The one by the lake")
}

func TestPostsUIReplyRefusedIsExplainedNextToTheBox(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	chen := e.user("chen", account.RoleUser)
	c := e.cpCircle(owner, "Campus Diary", "campus-diary", "campus", circle.Open, circle.Policies{Comment: `user.credit_score >= 750`}, circle.ReviewNone)
	e.cpScore("mei", 712)
	e.cpScore("chen", 780)
	e.cpJoin(mei, c)
	e.cpJoin(chen, c)
	p := e.cpPost(owner, c, "Exam week survival kit")
	other := e.cpPost(owner, c, "Library hours")
	// chen comments with his session, which carries his credit score.
	ok := e.browser()
	ok.signIn("chen")
	var top, elsewhere post.Comment
	for _, c := range []struct {
		to   *post.Comment
		post string
		text string
	}{{&top, p.ID, "Bring snacks."}, {&elsewhere, other.ID, "Open till ten"}} {
		ok.get("/p/" + c.post)
		if res := ok.post("/p/"+c.post+"/comments", url.Values{"text": {c.text}}); res.status != http.StatusSeeOther {
			t.Fatalf("chen's comment: %d", res.status)
		}
		if err := e.db.QueryRow(t.Context(), `SELECT id FROM comments WHERE body = $1`, c.text).Scan(&c.to.ID); err != nil {
			t.Fatal(err)
		}
	}

	b := e.browser()
	b.signIn("mei")
	res := b.get("/p/" + p.ID)
	res.lacks(t, `name="reply_text"`) // she may not comment, so no reply box
	const why = "Commenting here needs a credit score of at least 750; yours is 712."
	res = b.post("/p/"+p.ID+"/replies", url.Values{"reply_to": {top.ID}, "reply_text": {"And water!"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a refused reply: %d\n%s", res.status, res.body)
	}
	res.has(t, `<p class="err explain" id="e-reply-`+top.ID+`" role="alert">`+why+`</p>`, `<details class="reply" open>`)
	if m := puReplyBox(top.ID).FindStringSubmatch(res.body); m == nil || m[1] != "And water!" {
		t.Fatalf("the reply box after a refusal: %v", m)
	}
	// From the replies page, the same, there.
	res = b.post("/p/"+p.ID+"/replies", url.Values{"reply_to": {top.ID}, "reply_text": {"And tea!"}, "from": {"thread"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a refused reply on the replies page: %d", res.status)
	}
	res.has(t, "Replies to chen", why)
	if m := puReplyBox(top.ID).FindStringSubmatch(res.body); m == nil || m[1] != "And tea!" {
		t.Fatalf("the reply box on the replies page: %v", m)
	}
	if n := e.count(`SELECT COUNT(*) FROM comments WHERE parent_id IS NOT NULL`); n != 0 {
		t.Fatalf("%d replies written after refusals", n)
	}

	// An empty reply by someone who may comment is explained in its box.
	ok.get("/p/"+p.ID).has(t, `name="reply_to" value="`+top.ID+`"`)
	res = ok.post("/p/"+p.ID+"/replies", url.Values{"reply_to": {top.ID}, "reply_text": {"   "}})
	res.has(t, `id="e-reply-`+top.ID+`" role="alert">A comment needs some text.</p>`)
	// A comment of another post is not one to reply to here.
	if got := ok.post("/p/"+p.ID+"/replies", url.Values{"reply_to": {elsewhere.ID}, "reply_text": {"x"}}); got.status != http.StatusNotFound {
		t.Fatalf("a reply to another post's comment: %d", got.status)
	}
	if n := e.count(`SELECT COUNT(*) FROM comments WHERE parent_id IS NOT NULL`); n != 0 {
		t.Fatalf("%d replies written after refusals", n)
	}

	// In Chinese, the rule's explanation is Chinese.
	zh := e.browser()
	zh.header.Set("Accept-Language", "zh-CN")
	zh.signIn("mei")
	zh.get("/p/" + p.ID)
	res = zh.post("/p/"+p.ID+"/replies", url.Values{"reply_to": {top.ID}, "reply_text": {"好"}})
	res.has(t, `id="e-reply-`+top.ID+`" role="alert">`, "750")
	res.lacks(t, why)
}

func TestPostsUIModeratorsPinAndUnpin(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)
	var ps []post.Post
	for _, text := range []string{"Route one", "Route two", "Route three", "Route four"} {
		ps = append(ps, e.cpPost(mei, c, text))
	}
	pinned := func(id string) int {
		return e.count(`SELECT COUNT(*) FROM posts WHERE id = $1 AND pinned_at IS NOT NULL`, id)
	}

	// A member sees no pin button, and a forged pin is refused.
	m := e.browser()
	m.signIn("mei")
	m.get("/p/"+ps[0].ID).lacks(t, `/pin"`, `/unpin"`, "Moderating this post")
	res := m.post("/p/"+ps[0].ID+"/pin", url.Values{})
	if res.status != http.StatusForbidden {
		t.Fatalf("a member's pin: %d", res.status)
	}
	res.has(t, "Only moderators, admins and the owner of Morning Run may pin posts.")
	if pinned(ps[0].ID) != 0 {
		t.Fatal("a member pinned a post")
	}

	b := e.browser()
	b.signIn("lina")
	b.get("/p/"+ps[0].ID).has(t, "Moderating this post", `action="/p/`+ps[0].ID+`/pin"`)
	for _, p := range ps[:3] {
		b.get("/p/" + p.ID)
		res := b.post("/p/"+p.ID+"/pin", url.Values{})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/p/"+p.ID {
			t.Fatalf("pinning: %d %q", res.status, res.header.Get("Location"))
		}
		b.follow(res).has(t, "The post is pinned to the top of its circle.", `action="/p/`+p.ID+`/unpin"`)
	}
	// A fourth is one too many: explained on the page, nothing pinned.
	b.get("/p/" + ps[3].ID)
	res = b.post("/p/"+ps[3].ID+"/pin", url.Values{})
	if res.status != http.StatusConflict {
		t.Fatalf("a fourth pin: %d", res.status)
	}
	res.has(t, `<p class="alert" role="alert">This circle already has 3 pinned posts, the most it may have. Unpin one of them first, then pin this one.</p>`)
	if pinned(ps[3].ID) != 0 {
		t.Fatal("a fourth post was pinned")
	}

	// In the circle's pinned posts, moderators have Unpin; members not.
	res = b.get("/c/morning-run")
	res.has(t, `action="/p/`+ps[0].ID+`/unpin" class="unpin"`, `name="next" value="/c/morning-run"`)
	m.get("/c/morning-run").lacks(t, `/unpin"`)
	res = b.post("/p/"+ps[0].ID+"/unpin", url.Values{"next": {"/c/morning-run"}})
	if res.header.Get("Location") != "/c/morning-run" {
		t.Fatalf("unpinning from the circle goes to %q", res.header.Get("Location"))
	}
	b.follow(res).has(t, "The post is no longer pinned.")
	if pinned(ps[0].ID) != 0 || pinned(ps[1].ID) != 1 {
		t.Fatal("unpinning changed the wrong posts")
	}
	// A member's forged unpin is refused too.
	m.get("/c/morning-run")
	if res := m.post("/p/"+ps[1].ID+"/unpin", url.Values{}); res.status != http.StatusForbidden || pinned(ps[1].ID) != 1 {
		t.Fatalf("a member's unpin: %d", res.status)
	}
}

// puSettingsForm is the settings form as its page fills it, with changes.
func puSettingsForm(t *testing.T, body string, changes url.Values) url.Values {
	t.Helper()
	form := url.Values{}
	for _, m := range regexp.MustCompile(`<input id="f-([\w]+)" name="([\w]+)" type="text"(?: inputmode="\w+")? value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		form.Set(m[2], htmlUnescape(m[3]))
	}
	for _, m := range regexp.MustCompile(`(?s)<textarea id="f-[\w]+" name="([\w]+)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	for _, m := range regexp.MustCompile(`<input type="radio" name="(\w+)" value="(\w+)" checked>`).FindAllStringSubmatch(body, -1) {
		form.Set(m[1], m[2])
	}
	for _, m := range regexp.MustCompile(`(?s)<select id="f-\w+" name="(\w+)".*?</select>`).FindAllStringSubmatch(body, -1) {
		if sel := regexp.MustCompile(`<option value="([^"]*)" selected>`).FindStringSubmatch(m[0]); sel != nil {
			form.Set(m[1], sel[1])
		}
	}
	for k, v := range changes {
		form[k] = v
	}
	return form
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#39;", "'", "&#34;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(s)
}

func TestPostsUICircleSettings(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{Post: `user.credit_score >= 600`}, circle.ReviewNone)
	e.cpJoin(mei, c)

	b := e.browser()
	b.signIn("lina")
	b.get("/c/morning-run").has(t, `href="/c/morning-run/settings"`)
	res := b.get("/c/morning-run/settings")
	if res.status != http.StatusOK {
		t.Fatalf("the settings page: %d\n%s", res.status, res.body)
	}
	// The rule in force is shown as its ready-made rule, with its number.
	res.has(t, `name="name" type="text" value="Morning Run"`, `name="tip_min" type="text" value="1.00"`, `name="tip_max" type="text" value="500.00"`,
		`<option value="min_credit" selected>`, `name="n_post" type="text" inputmode="numeric" value="600"`, `name="tip_hold_hours" type="text" value="24"`,
		`action="/c/morning-run/archive"`)

	// A largest tip under the smallest is explained next to it, what was
	// typed kept, and nothing is written.
	form := puSettingsForm(t, res.body, url.Values{"name": {"Dawn Runners"}, "tip_min": {"5"}, "tip_max": {"2"}})
	res = b.post("/c/morning-run/settings", form)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad tip range: %d\n%s", res.status, res.body)
	}
	res.has(t, `<p class="err" id="e-tip_max">The largest tip is from the smallest (¥5.00) to`, `value="Dawn Runners"`, `name="tip_max" type="text" value="2"`)
	// A rule that does not compile, next to its rule.
	res = b.post("/c/morning-run/settings", puSettingsForm(t, res.body, url.Values{"tip_max": {"50"}, "rule_comment": {"user.credit_score >="}}))
	res.has(t, `id="e-rule_comment"`)
	// A fee out of range, in the form's own words.
	res = b.post("/c/morning-run/settings", puSettingsForm(t, res.body, url.Values{"rule_comment": {""}, "tip_fee": {"45"}}))
	res.has(t, `<p class="err" id="e-tip_fee">The fee is a percentage from 0 to 30, such as 2.5.</p>`)
	if n := e.count(`SELECT COUNT(*) FROM circles WHERE name = 'Morning Run' AND tip_max = 50000 AND policy_comment = ''`); n != 1 {
		t.Fatal("a refused form changed the circle")
	}

	// Saved: every setting the form holds.
	form = puSettingsForm(t, res.body, url.Values{"tip_fee": {"2.5"}, "preset_comment": {"min_credit"}, "n_comment": {"700"},
		"description": {"We run at 6."}, "review": {"all"}, "slow_mode_seconds": {"60"}, "tip_hold_hours": {"0"}})
	res = b.post("/c/morning-run/settings", form)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/c/morning-run" {
		t.Fatalf("saving: %d %q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	b.follow(res).has(t, "The circle&#39;s settings are saved.", "<h1>Dawn Runners</h1>", "We run at 6.", "credit score of at least 700")
	if n := e.count(`SELECT COUNT(*) FROM circles WHERE name = 'Dawn Runners' AND tip_min = 500 AND tip_max = 5000 AND tip_fee_bps = 250
		AND review = 'all' AND slow_mode_seconds = 60 AND tip_hold_hours = 0 AND policy_comment = 'user.credit_score >= 700'
		AND policy_post = 'user.credit_score >= 600'`); n != 1 {
		t.Fatal("the settings were not all saved")
	}
	// A new address moves the circle.
	res = b.get("/c/morning-run/settings")
	res = b.post("/c/morning-run/settings", puSettingsForm(t, res.body, url.Values{"slug": {"dawn-runners"}}))
	if res.header.Get("Location") != "/c/dawn-runners" {
		t.Fatalf("a new address goes to %q", res.header.Get("Location"))
	}

	// Archived by the owner: the form gives way to bringing it back.
	b.get("/c/dawn-runners/settings")
	b.follow(b.post("/c/dawn-runners/archive", url.Values{})).has(t, "Dawn Runners is archived")
	res = b.get("/c/dawn-runners/settings")
	res.has(t, "This circle is archived", `action="/c/dawn-runners/unarchive"`)
	res.lacks(t, `<form id="circle-settings"`)
	b.follow(b.post("/c/dawn-runners/unarchive", url.Values{})).has(t, "Dawn Runners is back")
	if n := e.count(`SELECT COUNT(*) FROM circles WHERE slug = 'dawn-runners' AND archived_at IS NULL`); n != 1 {
		t.Fatal("the circle is still archived")
	}
}

func TestPostsUICircleSettingsAreForOwnersAndAdmins(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	e.user("dawei", account.RoleUser)
	open := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpCircle(owner, "Index Fund Club", "index-fund-club", "finance", circle.Closed, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, open)
	e.cpJoin(ana, open)
	if _, err := e.deps.Circles.SetRole(t.Context(), circle.Actor{User: owner}, open.ID, "ana", circle.RoleAdmin); err != nil {
		t.Fatal(err)
	}

	// A member: no link, and the page and its forms are refused.
	m := e.browser()
	m.signIn("mei")
	m.get("/c/morning-run").lacks(t, `/settings"`)
	res := m.get("/c/morning-run/settings")
	if res.status != http.StatusForbidden {
		t.Fatalf("a member's settings page: %d", res.status)
	}
	res.has(t, "Only admins and the owner of Morning Run may change the circle&#39;s settings.")
	if got := m.post("/c/morning-run/settings", url.Values{"name": {"Mine now"}}); got.status != http.StatusForbidden {
		t.Fatalf("a member's settings form: %d", got.status)
	}
	if got := m.post("/c/morning-run/archive", url.Values{}); got.status != http.StatusForbidden {
		t.Fatalf("a member's archive: %d", got.status)
	}
	// Someone outside a closed circle is told it does not exist.
	out := e.browser()
	out.signIn("dawei")
	if got := out.get("/c/index-fund-club/settings"); got.status != http.StatusNotFound {
		t.Fatalf("an outsider's settings page of a closed circle: %d", got.status)
	}
	// Signed out: to the sign-in page.
	if got := e.browser().get("/c/morning-run/settings"); got.status != http.StatusSeeOther {
		t.Fatalf("signed out: %d", got.status)
	}

	// An admin edits the settings but may not archive.
	a := e.browser()
	a.signIn("ana")
	a.get("/c/morning-run").has(t, `href="/c/morning-run/settings"`)
	res = a.get("/c/morning-run/settings")
	res.has(t, `<form id="circle-settings"`, "Only the circle&#39;s owner can archive it")
	res.lacks(t, `action="/c/morning-run/archive"`)
	res = a.post("/c/morning-run/settings", puSettingsForm(t, res.body, url.Values{"description": {"Admins were here."}}))
	if res.status != http.StatusSeeOther {
		t.Fatalf("an admin's save: %d\n%s", res.status, res.body)
	}
	if got := a.post("/c/morning-run/archive", url.Values{}); got.status != http.StatusForbidden {
		t.Fatalf("an admin's archive: %d", got.status)
	}
	if n := e.count(`SELECT COUNT(*) FROM circles WHERE slug = 'morning-run' AND archived_at IS NULL AND description = 'Admins were here.'`); n != 1 {
		t.Fatal("the admin's change or the refused archive went wrong")
	}

	// In Chinese, the refusal is Chinese.
	zh := e.browser()
	zh.header.Set("Accept-Language", "zh-CN")
	zh.signIn("mei")
	zh.get("/c/morning-run/settings").has(t, "只有Morning Run的管理员和圈主可以修改圈子设置。")
}

// puShare sends the moment composer's form, as multipart.
func (b *browser) puShare(text, audience string, files ...cpFile) page {
	b.e.t.Helper()
	return b.multipart("/moments", url.Values{"text": {text}, "audience": {audience}}, files...)
}

func TestPostsUIMomentsWithPictures(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	e.user("carl", account.RoleUser)
	req, err := e.deps.Social.RequestFriend(t.Context(), mei, "ana", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.deps.Social.AcceptFriend(t.Context(), ana, req.ID); err != nil {
		t.Fatal(err)
	}

	b := e.browser()
	b.signIn("mei")
	b.get("/moments").has(t, `enctype="multipart/form-data"`, `name="pictures" type="file" accept="image/*" multiple data-max="9"`, `id="previews"`, "/post.js")

	// A picture that is not one: explained, the text kept, nothing shared.
	res := b.puShare("Picnic", "friends", cpFile{"good.jpg", cpJPEG(t)}, cpFile{"notes.jpg", []byte("words, not a picture")})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad picture: %d\n%s", res.status, res.body)
	}
	res.has(t, `<p class="err" id="e-pictures">notes.jpg: `, ">Picnic</textarea>")
	var ten []cpFile
	for range 10 {
		ten = append(ten, cpFile{"p.jpg", cpJPEG(t)})
	}
	b.puShare("Too many", "friends", ten...).has(t, `id="e-pictures"`, "at most 9 pictures")
	if n := e.count(`SELECT COUNT(*) FROM posts`) + e.count(`SELECT COUNT(*) FROM media`); n != 0 {
		t.Fatalf("%d posts and pictures kept after refusals", n)
	}

	// Two pictures and no text is a moment.
	res = b.puShare("", "friends", cpFile{"a.jpg", cpJPEG(t)}, cpFile{"b.jpg", cpJPEG(t)})
	if res.status != http.StatusSeeOther {
		t.Fatalf("a moment with pictures: %d\n%s", res.status, res.body)
	}
	res = b.follow(res)
	res.has(t, "Your moment is shared.", `class="pics n2"`)
	thumbs := thumbURL.FindAllString(res.body, -1)
	if len(thumbs) != 2 {
		t.Fatalf("%d pictures on the moments page", len(thumbs))
	}
	var id string
	if err := e.db.QueryRow(t.Context(), `SELECT id FROM posts`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT COUNT(*) FROM media WHERE post_id = $1`, id); n != 2 {
		t.Fatalf("%d pictures in the moment", n)
	}
	b.get("/p/"+id).has(t, `class="pics n2"`, "Picture 2 of 2")

	// A friend sees them; a stranger gets neither the moment nor its pictures.
	friend := e.browser()
	friend.signIn("ana")
	friend.get("/moments").has(t, thumbs[0], thumbs[1])
	if got := friend.get(thumbs[0]); got.status != http.StatusOK {
		t.Fatalf("a friend's picture: %d", got.status)
	}
	stranger := e.browser()
	stranger.signIn("carl")
	stranger.get("/moments").lacks(t, thumbs[0])
	if got := stranger.get(thumbs[0]); got.status != http.StatusNotFound {
		t.Fatalf("a stranger's picture: %d", got.status)
	}
}
