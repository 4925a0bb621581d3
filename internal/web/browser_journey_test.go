package web

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quanzi/quanzi/internal/demo"
)

// TestBrowserJourney is the product's story in a real browser, through its
// pages only: a newcomer signs up and claims to be a woman; a reviewer
// verifies her; she tops up her wallet, joins Campus Diary and posts a
// photo, which waits in review until the reviewer approves it; another
// member tips the post and is refused a comment for his credit score, with
// the reason shown; and the author's open page shows the tip as it comes.
func TestBrowserJourney(t *testing.T) {
	e := newEnv(t)
	if _, err := demo.Seed(t.Context(), e.db, e.accounts, e.deps.Wallet, e.deps.Circles, e.deps.Posts, e.deps.Social); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "dorm.jpg")
	writeJPEG(t, photo)

	// Sign up (on a phone).
	mei := e.chrome(t, phone)
	mei.open("/signup")
	mei.fill("Handle", "meimei")
	mei.fill("Display name", "Mei Mei")
	mei.fill("Password", "a long enough password")
	mei.submit(`form[action="/signup"] button`)
	if !strings.HasSuffix(mei.url(), "/me") {
		t.Fatalf("after signing up: %s", mei.url())
	}

	// Claim a verified gender.
	mei.do(chromedp.SetValue(chromedp.CSS(`#f-kind`), "gender"))
	mei.fill("Claimed value", "female")
	mei.fill("Evidence for the reviewer (optional)", "Student card 2024-0117")
	mei.submit(`form[action="/me/verifications"] button`)
	if got := mei.text("main"); !strings.Contains(got, "pending") && !strings.Contains(got, "Pending") {
		t.Fatalf("the claim is not shown as pending:\n%s", got)
	}

	// The reviewer approves it from the console.
	rita := e.chrome(t)
	rita.signIn("rita", demo.Password)
	rita.open("/admin/verifications")
	rita.submit(`article:has(a[href="/admin/users/meimei"]) form[action$="/approve"] button`)
	mei.open("/me")
	if got := mei.text("main"); !strings.Contains(got, "Verified") && !strings.Contains(got, "verified") {
		t.Fatalf("the approved claim is not shown as verified:\n%s", got)
	}

	// Top up.
	mei.open("/wallet/topup")
	mei.fill("Amount (yuan)", "100")
	mei.submit(`form[action="/wallet/topup"] button`)
	if got := mei.text("main"); !strings.Contains(got, "¥100.00") {
		t.Fatalf("the wallet does not show the top-up:\n%s", got)
	}

	// Join Campus Diary and post a photo: it waits in review.
	mei.open("/c/campus-diary")
	mei.submit(`#join button[type=submit]`)
	mei.waitVisible(`#composer`)
	mei.fill("What would you like to share?", "Our dorm at sunset 宿舍的黄昏")
	mei.do(chromedp.SetUploadFiles(chromedp.CSS(`#f-pictures`), []string{photo}))
	mei.waitVisible(`#previews img`) // the preview, before anything is sent
	mei.submit(`#composer button[type=submit]`)
	postURL := mei.url()
	if !strings.Contains(postURL, "/p/") {
		t.Fatalf("after posting: %s\n%s", postURL, mei.text("main"))
	}
	postPath := postURL[strings.Index(postURL, "/p/"):]
	if got := mei.text("main"); !strings.Contains(got, "waits for review") {
		t.Fatalf("the held post does not say it waits:\n%s", got)
	}
	dawei := e.chrome(t)
	dawei.signIn("dawei", demo.Password)
	if status := dawei.open(postPath); status != 404 {
		t.Fatalf("another member opened the held post: %d", status)
	}

	// The reviewer sees it blurred, and approves it.
	rita.open("/admin/review")
	item := `article:has(a[href="/admin/users/meimei"])`
	if src := eval[string](rita, `document.querySelector('`+item+` img').getAttribute('src')`); !strings.HasSuffix(src, "/blurred") {
		t.Fatalf("the review queue shows %s, not the blurred picture", src)
	}
	rita.submit(item + ` form[data-approve] button`)

	// The author keeps the home page open; another member tips the post
	// and is refused a comment, with the reason.
	mei.open("/")
	if status := dawei.open(postPath); status != 200 {
		t.Fatalf("the approved post: %d", status)
	}
	if src := eval[string](dawei, `document.querySelector('main img').getAttribute('src')`); !strings.HasPrefix(src, "/api/v1/media/") {
		t.Fatalf("the post's picture is at %q", src)
	}
	if !eval[bool](dawei, `document.querySelector('main img').naturalWidth > 0`) {
		t.Fatal("the post's picture did not load for a member")
	}
	if got := dawei.text(`#cannot-comment`); !strings.Contains(got, "credit score of at least 750") || !strings.Contains(got, "701") {
		t.Fatalf("the refused comment says %q", got)
	}
	dawei.click(`a[data-dialog="tip-dialog"]`)
	dawei.waitVisible(`#tip-dialog`)
	dawei.click(`#tip input[name=amount][value="¥5.00"]`)
	dawei.submit(`#tip button[type=submit]`)
	if got := dawei.text("main"); !strings.Contains(got, "¥5.00") {
		t.Fatalf("after tipping:\n%s", got)
	}

	// The author sees the tip arrive without reloading.
	mei.waitVisible(`#toasts .toast`)
	if got := mei.text(`#toasts .toast`); !strings.Contains(got, "¥5.00") {
		t.Fatalf("the live notification says %q", got)
	}
	if got := mei.text(`#unread .n`); got == "" || got == "0" {
		t.Fatalf("the badge shows %q", got)
	}
}

// writeJPEG writes a photo-sized JPEG with something in it.
func writeJPEG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1200, 900))
	for y := 0; y < 900; y++ {
		for x := 0; x < 1200; x++ {
			img.Set(x, y, color.RGBA{uint8(x / 5), uint8(y / 4), uint8((x + y) / 9), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
}
