package web

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// cpFile is a file chosen in the composer.
type cpFile struct {
	name string
	data []byte
}

// cpCompose sends the composer's form, as multipart, with the last page's
// CSRF token.
func (b *browser) cpCompose(path, text string, files ...cpFile) page {
	b.e.t.Helper()
	return b.multipart(path, url.Values{"text": {text}}, files...)
}

// multipart sends a form with pictures, as multipart, with the last
// page's CSRF token.
func (b *browser) multipart(path string, fields url.Values, files ...cpFile) page {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf())
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("pictures", f.name)
		if err != nil {
			b.e.t.Fatal(err)
		}
		w.Write(f.data)
	}
	if len(files) == 0 { // what a browser sends when no file is chosen
		mw.CreateFormFile("pictures", "")
	}
	mw.Close()
	return b.do("POST", path, &body, mw.FormDataContentType())
}

// cpJPEG is a small real photo.
func cpJPEG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		for y := 0; y < 48; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cpFund tops up a user's wallet.
func (e *env) cpFund(u account.User, amount int64) {
	e.t.Helper()
	ctx := context.Background()
	tp, receipt, err := e.deps.Wallet.ChargeTopup(ctx, u, wallet.TopupRequest{Amount: amount, Currency: ledger.Currency})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := e.deps.Wallet.CompleteTopup(ctx, tx, u.ID, tp, receipt)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) cpBalance(u account.User) int64 {
	e.t.Helper()
	w, err := e.deps.Wallet.Balance(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return w.Available + w.Held
}

var thumbURL = regexp.MustCompile(`/api/v1/media/[a-z2-7]{32}/thumb`)

func TestComposerPostsText(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)

	b := e.browser()
	b.signIn("mei")
	b.get("/c/morning-run").has(t, `<form id="composer"`, `enctype="multipart/form-data"`, `name="pictures" type="file" accept="image/*" multiple`)
	res := b.cpCompose("/c/morning-run/posts", "Ten laps around the lake today")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/c/morning-run" {
		t.Fatalf("posting: %d %s\n%s", res.status, res.header.Get("Location"), res.body)
	}
	res = b.follow(res)
	res.has(t, "Your post is up.", "Ten laps around the lake today")
	if n := e.count(`SELECT COUNT(*) FROM posts WHERE status = 'published'`); n != 1 {
		t.Fatalf("%d posts", n)
	}

	// Nothing to post is explained next to the text.
	b.get("/c/morning-run")
	res = b.cpCompose("/c/morning-run/posts", "  ")
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("an empty post: %d", res.status)
	}
	res.has(t, `id="e-text"`)

	// The home feed shows the post, with its like button.
	res = b.get("/")
	res.has(t, "Ten laps around the lake today", `action="/p/`)
}

func TestComposerPostsAPictureOnlyMembersSee(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	e.user("dawei", account.RoleUser)
	c := e.cpCircle(owner, "Index Fund Club", "index-fund-club", "finance", circle.Closed, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)

	b := e.browser()
	b.signIn("mei")
	b.get("/c/index-fund-club")
	res := b.follow(b.cpCompose("/c/index-fund-club/posts", "My chart", cpFile{"chart.jpg", cpJPEG(t)}))
	res.has(t, "Your post is up.", "My chart")
	thumb := thumbURL.FindString(res.body)
	if thumb == "" {
		t.Fatalf("no picture on the feed:\n%s", res.body)
	}
	if got := b.get(thumb); got.status != http.StatusOK || got.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("the member's picture: %d %s", got.status, got.header.Get("Content-Type"))
	}
	if n := e.count(`SELECT COUNT(*) FROM media WHERE post_id IS NOT NULL`); n != 1 {
		t.Fatalf("%d pictures in posts", n)
	}

	// Someone outside the closed circle, signed in with the same kind of
	// cookie, gets nothing.
	out := e.browser()
	out.signIn("dawei")
	if got := out.get(thumb); got.status != http.StatusNotFound {
		t.Fatalf("an outsider's picture: %d", got.status)
	}
	if got := e.browser().get(thumb); got.status != http.StatusNotFound {
		t.Fatalf("an anonymous picture: %d", got.status)
	}
}

func TestComposerHeldPostWaitsForReview(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	e.user("dawei", account.RoleUser)
	c := e.cpCircle(owner, "Cat People", "cat-people", "pets", circle.Open, circle.Policies{}, circle.ReviewMedia)
	e.cpJoin(mei, c)

	b := e.browser()
	b.signIn("mei")
	b.get("/c/cat-people")
	res := b.cpCompose("/c/cat-people/posts", "Our new kitten", cpFile{"kitten.jpg", cpJPEG(t)})
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !regexp.MustCompile(`^/p/\w+$`).MatchString(loc) {
		t.Fatalf("a held post: %d %q", res.status, loc)
	}
	res = b.follow(res)
	res.has(t, "Your post waits for review; only you and the moderators can see it until it is approved.",
		"Our new kitten", `class="pill warn">Post in review`)
	if got := e.browser().get(loc); got.status != http.StatusNotFound {
		t.Fatalf("a held post to the anonymous: %d", got.status)
	}
	other := e.browser()
	other.signIn("dawei")
	other.get("/c/cat-people").lacks(t, "Our new kitten")
}

func TestComposerRefusesABadPictureAndKeepsTheText(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)

	b := e.browser()
	b.signIn("mei")
	b.get("/c/morning-run")
	res := b.cpCompose("/c/morning-run/posts", "Look at my route", cpFile{"good.jpg", cpJPEG(t)}, cpFile{"x.jpg", []byte("these are words, not a picture")})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad picture: %d\n%s", res.status, res.body)
	}
	res.has(t, `<p class="err" id="e-pictures">x.jpg: `, ">Look at my route</textarea>")
	if n := e.count(`SELECT COUNT(*) FROM posts`); n != 0 {
		t.Fatalf("%d posts after a refused picture", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM media`); n != 0 {
		t.Fatalf("%d pictures kept after a refused post", n)
	}

	// Ten pictures are one too many.
	var ten []cpFile
	for range 10 {
		ten = append(ten, cpFile{"p.jpg", cpJPEG(t)})
	}
	res = b.cpCompose("/c/morning-run/posts", "Too many", ten...)
	res.has(t, `id="e-pictures"`, "at most 9 pictures")
	if n := e.count(`SELECT COUNT(*) FROM media`); n != 0 {
		t.Fatalf("%d pictures kept", n)
	}
}

func TestCommentRefusedByTheCreditRuleIsExplained(t *testing.T) {
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

	b := e.browser()
	b.signIn("mei")
	res := b.get("/p/" + p.ID)
	res.has(t, `<p class="explain" id="cannot-comment">Commenting here needs a credit score of at least 750; yours is 712.</p>`)
	res.lacks(t, `<form id="comment"`)
	// Sent anyway, the comment is refused with the same words, text kept.
	res = b.post("/p/"+p.ID+"/comments", url.Values{"text": {"Great list!"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a refused comment: %d", res.status)
	}
	res.has(t, "Commenting here needs a credit score of at least 750; yours is 712.")
	if n := e.count(`SELECT COUNT(*) FROM comments`); n != 0 {
		t.Fatalf("%d comments after a refusal", n)
	}

	ok := e.browser()
	ok.signIn("chen")
	ok.get("/p/"+p.ID).has(t, `<form id="comment"`)
	res = ok.follow(ok.post("/p/"+p.ID+"/comments", url.Values{"text": {"Bring snacks."}}))
	res.has(t, "Your comment is up.", "Bring snacks.", "1 comment")
}

func TestTipMovesMoneyOnceWhenSentTwice(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)
	e.cpFund(mei, 10_000)
	p := e.cpPost(owner, c, "Sunrise over the lake")

	b := e.browser()
	b.signIn("mei")
	res := b.get("/p/" + p.ID)
	res.has(t, `<dialog id="tip-dialog"`, `<form id="tip" method="post" action="/p/`+p.ID+`/tips"`, `href="/p/`+p.ID+`/tip" data-dialog="tip-dialog"`)
	key := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(res.body)
	if key == nil {
		t.Fatal("the tip form has no idempotency key")
	}
	form := url.Values{"amount": {"¥5.00"}, "idempotency_key": {key[1]}}
	first := b.post("/p/"+p.ID+"/tips", form)
	second := b.post("/p/"+p.ID+"/tips", form)
	for _, r := range []page{first, second} {
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/p/"+p.ID {
			t.Fatalf("a tip: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
		}
	}
	b.follow(second).has(t, "You tipped ¥5.00.", "¥5.00 tipped by 1")
	if got := e.cpBalance(mei); got != 9_500 {
		t.Fatalf("mei has %d after one ¥5 tip sent twice, want 9500", got)
	}
	if got := e.cpBalance(owner); got != 500 {
		t.Fatalf("lina has %d, want 500", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM tips`); n != 1 {
		t.Fatalf("%d tips", n)
	}

	// Without JavaScript: the tip page, with a custom amount out of range
	// explained next to it.
	res = b.get("/p/" + p.ID + "/tip")
	res.has(t, `<form id="tip"`, `name="pin"`)
	res = b.post("/p/"+p.ID+"/tips", url.Values{"amount": {"custom"}, "custom": {"0.50"}, "idempotency_key": {"k-" + key[1][:10]}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a tip below the minimum: %d", res.status)
	}
	res.has(t, `id="e-custom"`, `value="0.50"`)
	// Over ¥200 needs the PIN.
	res = b.post("/p/"+p.ID+"/tips", url.Values{"amount": {"custom"}, "custom": {"300"}})
	res.has(t, `id="e-pin"`)
	if got := e.cpBalance(mei); got != 9_500 {
		t.Fatalf("refused tips moved money: %d", got)
	}
	// The author cannot tip their own post.
	own := e.browser()
	own.signIn("lina")
	own.get("/p/"+p.ID).lacks(t, `<dialog id="tip-dialog"`, `data-dialog="tip-dialog"`, "cannot-tip")
}

func TestLikeToggles(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)
	p := e.cpPost(owner, c, "Hill repeats")

	b := e.browser()
	b.signIn("mei")
	b.get("/p/"+p.ID).has(t, `name="like" value="1"`, `aria-pressed="false"`)
	res := b.post("/p/"+p.ID+"/like", url.Values{"like": {"1"}, "next": {"/c/morning-run"}})
	if res.header.Get("Location") != "/c/morning-run" {
		t.Fatalf("liking goes back to %q", res.header.Get("Location"))
	}
	res = b.get("/p/" + p.ID)
	res.has(t, `name="like" value="0"`, `aria-pressed="true"`)
	if n := e.count(`SELECT like_count FROM posts WHERE id = $1`, p.ID); n != 1 {
		t.Fatalf("%d likes", n)
	}
	// A second like (another tab) changes nothing.
	b.post("/p/"+p.ID+"/like", url.Values{"like": {"1"}})
	b.post("/p/"+p.ID+"/like", url.Values{"like": {"0"}})
	if n := e.count(`SELECT like_count FROM posts WHERE id = $1`, p.ID); n != 0 {
		t.Fatalf("%d likes after taking it back", n)
	}
	b.get("/p/"+p.ID).has(t, `name="like" value="1"`)
}

func TestReportingAPost(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)
	p := e.cpPost(owner, c, "Buy my shoes")

	b := e.browser()
	b.signIn("mei")
	b.get("/p/"+p.ID).has(t, `<form id="report"`)
	res := b.post("/p/"+p.ID+"/reports", url.Values{"note": {"ads"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a report without a reason: %d", res.status)
	}
	res.has(t, `id="e-reason"`, ">ads</textarea>")
	res = b.follow(b.post("/p/"+p.ID+"/reports", url.Values{"reason": {"spam"}}))
	res.has(t, "Thank you. The moderators will look at this post")
	if n := e.count(`SELECT COUNT(*) FROM report_cases`); n != 1 {
		t.Fatalf("%d report cases", n)
	}
}

func TestAuthorEditsAndDeletesTheirPost(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)
	p := e.cpPost(mei, c, "Tempo run at 6")

	other := e.browser()
	other.signIn("lina")
	other.get("/p/"+p.ID).lacks(t, `<form id="edit"`)

	b := e.browser()
	b.signIn("mei")
	b.get("/p/"+p.ID).has(t, `<form id="edit"`, `action="/p/`+p.ID+`/delete"`)
	res := b.post("/p/"+p.ID+"/edit", url.Values{"edit_text": {strings.Repeat("x", 5001)}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a text too long: %d", res.status)
	}
	res.has(t, `id="e-edit_text"`, "<details open>")
	res = b.follow(b.post("/p/"+p.ID+"/edit", url.Values{"edit_text": {"Tempo run at 7"}}))
	res.has(t, "Your post is updated.", "Tempo run at 7", "edited")

	res = b.post("/p/"+p.ID+"/delete", url.Values{})
	if res.header.Get("Location") != "/c/morning-run" {
		t.Fatalf("deleting goes to %q", res.header.Get("Location"))
	}
	b.follow(res).has(t, "The post is deleted.")
	if got := b.get("/p/" + p.ID); got.status != http.StatusNotFound {
		t.Fatalf("a deleted post: %d", got.status)
	}
}
