package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
)

// TestCapabilitySentencesWithValuesInChinese: refusals the capabilities
// build with numbers and names in them — a tip over the circle's maximum
// or past its daily cap, a picture whose name lies about its content, a
// join question unanswered, slow mode — read in Chinese on a Chinese page,
// next to their field, and change nothing.
func TestCapabilitySentencesWithValuesInChinese(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	name, slug, cat, vis, desc, review := "晨跑团", "morning-run", "fitness", circle.Open, "Runs at dawn.", circle.ReviewNone
	tips := circle.Tips{Min: 100, Max: 2_000, DailyCap: 3_000}
	slow := int64(600)
	c, err := e.deps.Circles.Create(ctx, circle.Actor{User: owner}, circle.Settings{Name: &name, Slug: &slug, Category: &cat,
		Visibility: &vis, Description: &desc, Review: &review, Tips: &tips, SlowMode: &slow})
	if err != nil {
		t.Fatal(err)
	}
	e.cpJoin(mei, c)
	e.cpFund(mei, 10_000)
	p := e.cpPost(owner, c, "Sunrise over the lake")

	b := e.browser()
	b.header.Set("Accept-Language", "zh-CN")
	b.signIn("mei")

	// Over the circle's largest tip.
	b.get("/p/" + p.ID + "/tip")
	res := b.post("/p/"+p.ID+"/tips", url.Values{"amount": {"custom"}, "custom": {"50"}, "idempotency_key": {"zh-tip-1"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a tip over the maximum: %d", res.status)
	}
	res.has(t, `id="e-custom">这里每次打赏 ¥1.00 到 ¥20.00；¥50.00 不在这个范围内。`, `value="50"`)
	res.lacks(t, "A tip here is from")

	// Past the daily cap: ¥20 goes, then ¥15 is more than the ¥10 left.
	b.get("/p/" + p.ID + "/tip")
	if res := b.post("/p/"+p.ID+"/tips", url.Values{"amount": {"custom"}, "custom": {"20"}, "idempotency_key": {"zh-tip-2"}}); res.status != http.StatusSeeOther {
		t.Fatalf("a tip within the limits: %d\n%s", res.status, res.body)
	}
	b.get("/p/" + p.ID + "/tip")
	res = b.post("/p/"+p.ID+"/tips", url.Values{"amount": {"custom"}, "custom": {"15"}, "idempotency_key": {"zh-tip-3"}})
	res.has(t, `id="e-custom">你在这里每天最多打赏 ¥30.00；今天还剩 ¥10.00，不够 ¥15.00。`)
	if n := e.count(`SELECT COUNT(*) FROM tips`); n != 1 {
		t.Fatalf("%d tips, want the one within the limits", n)
	}
	if got := e.cpBalance(mei); got != 8_000 {
		t.Fatalf("mei has %d, want 8000", got)
	}

	// A JPEG named .png, in the composer.
	b.get("/c/morning-run")
	res = b.cpCompose("/c/morning-run/posts", "看我的路线", cpFile{"route.png", cpJPEG(t)})
	res.has(t, `id="e-pictures">route.png：文件名是 .png，内容却是 JPEG 图片；请改名或发送正确的文件。`, ">看我的路线</textarea>")
	if n := e.count(`SELECT COUNT(*) FROM posts WHERE author_id = $1`, mei.ID); n != 0 {
		t.Fatalf("%d posts after a refused picture", n)
	}

	// Slow mode: a second post within ten minutes waits, in words.
	if _, err := e.deps.Posts.Create(ctx, circle.Actor{User: mei}, c.ID, post.Draft{Text: "first"}); err != nil {
		t.Fatal(err)
	}
	b.get("/c/morning-run")
	res = b.cpCompose("/c/morning-run/posts", "second", cpFile{})
	res.has(t, "晨跑团 开启了慢速模式：每 10 分钟 只能发一次帖子或评论。请再等 ", ">second</textarea>")

	// A join question left unanswered.
	approval, question := true, "你每周跑几次？"
	trail, err := e.deps.Circles.Create(ctx, circle.Actor{User: owner}, circle.Settings{Name: zhPtr("越野跑"), Slug: zhPtr("trail-run"), Category: &cat,
		Visibility: &vis, Description: &desc, Review: &review, JoinApproval: &approval, JoinQuestion: &question})
	if err != nil {
		t.Fatal(err)
	}
	b.get("/c/trail-run")
	res = b.post("/c/trail-run/join", url.Values{"answer": {""}})
	res.has(t, `id="e-answer">越野跑 想知道：你每周跑几次？`)
	if n := e.count(`SELECT COUNT(*) FROM circle_join_requests WHERE circle_id = $1`, trail.ID); n != 0 {
		t.Fatalf("%d join requests after a refused one", n)
	}
}

// TestRefusalsCarryChinese: the refusals with values say the same in
// Chinese, so the API (Accept-Language: zh) and the web app can show it.
func TestRefusalsCarryChinese(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	long := make([]byte, post.MaxText+1)
	for i := range long {
		long[i] = 'a'
	}
	_, err := e.deps.Posts.Create(ctx, circle.Actor{User: mei}, c.ID, post.Draft{Text: "hello"})
	wantZH(t, err, "只有 Morning Run 的成员才能发帖；请先加入。")
	e.cpJoin(mei, c)
	_, err = e.deps.Posts.Create(ctx, circle.Actor{User: mei}, c.ID, post.Draft{Text: string(long)})
	wantZH(t, err, "内容有 5001 个字符，最多允许 5000 个。")
	_, err = e.deps.Circles.Join(ctx, circle.Actor{User: mei}, c.ID, circle.JoinRequest{})
	wantZH(t, err, "你已经是 Morning Run 的成员了。")
	_, err = e.deps.Posts.Create(ctx, circle.Actor{User: mei}, c.ID, post.Draft{Text: "x", MediaIDs: make([]string, post.MaxMedia+1)})
	wantZH(t, err, "一条帖子最多 9 张图片；这条有 10 张。")
	_, err = e.deps.Media.Upload(ctx, circle.Actor{User: mei}, []byte("<html>not a picture</html>"), "x.gif")
	wantZH(t, err, "这个文件看起来是 text/html，不是我们接受的图片：请发送 JPEG、PNG、GIF 或 WebP 图片。")
}

func wantZH(t *testing.T, err error, want string) {
	t.Helper()
	e := errs.As(err)
	if got := e.In("zh"); got != want {
		t.Fatalf("%v\nin Chinese: %q\n      want: %q", err, got, want)
	}
}

func zhPtr[T any](v T) *T { return &v }
