package web

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/demo"
)

// screenshots is the list of pages TestScreenshots photographs, each at
// phone and at desktop width, into <name>-phone.png and <name>-desktop.png.
// A page that answers 404 although it should not is skipped with a note
// (it belongs to a part of the app not built yet), so the list can name
// every page the app will have.
var screenshots = []struct {
	name string
	path string // "{post}": the newest post in Campus Diary
	as   string // the demo user signed in; "": nobody
	lang string // "zh": in Chinese; "": English
	code int    // the status the page answers with; 0: 200
}{
	{name: "welcome", path: "/"},
	{name: "welcome-zh", path: "/", lang: "zh"},
	{name: "login", path: "/login"},
	{name: "signup", path: "/signup"},
	{name: "not-found", path: "/no/such/page", code: http.StatusNotFound},
	{name: "home", path: "/", as: "xiaomei"},
	{name: "home-zh", path: "/", as: "xiaomei", lang: "zh"},
	{name: "circles", path: "/circles", as: "xiaomei"},
	{name: "circle", path: "/c/campus-diary", as: "xiaomei"},
	{name: "circle-zh", path: "/c/campus-diary", as: "dawei", lang: "zh"},
	{name: "post", path: "/p/{post}", as: "xiaomei"},
	{name: "wallet", path: "/wallet", as: "xiaomei"},
	{name: "wallet-history", path: "/wallet/history", as: "xiaomei"},
	{name: "me", path: "/me", as: "chenxi"},
	{name: "messages", path: "/messages", as: "xiaomei"},
	{name: "credit", path: "/me/credit", as: "xiaomei"},
	{name: "notifications", path: "/notifications", as: "xiaomei"},
	{name: "admin", path: "/admin", as: "admin"},
	{name: "review", path: "/admin/review", as: "rita"},
	{name: "flags", path: "/admin/flags", as: "admin"},
}

// TestScreenshots saves PNGs of the pages above, with the demo data, into
// the folder QUANZI_SCREENSHOTS names (skipped without it). The images in
// docs/screenshots come from scripts/screenshots, which installs the CJK
// and emoji fonts first.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("QUANZI_SCREENSHOTS")
	if dir == "" {
		t.Skip("QUANZI_SCREENSHOTS is not set: no screenshots wanted")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, e.db, e.accounts, e.deps.Wallet, e.deps.Circles, e.deps.Posts, e.deps.Social); err != nil {
		t.Fatal(err)
	}
	var post string
	err := e.db.QueryRow(ctx, `SELECT p.id FROM posts p JOIN circles c ON c.id = p.circle_id
		WHERE c.slug = 'campus-diary' AND p.status = 'published' ORDER BY p.created_at DESC LIMIT 1`).Scan(&post)
	if err != nil {
		t.Fatal(err)
	}

	tabs := map[string]*chromeTab{} // by who and language
	for _, s := range screenshots {
		key := s.as + "/" + s.lang
		bt := tabs[key]
		if bt == nil {
			bt = e.chrome(t)
			if s.lang != "" {
				bt.setCookie(langCookie, s.lang)
			}
			if s.as != "" {
				bt.signIn(s.as, demo.Password)
			}
			tabs[key] = bt
		}
		path := strings.ReplaceAll(s.path, "{post}", post)
		want := s.code
		if want == 0 {
			want = http.StatusOK
		}
		for _, vp := range []viewport{phone, desktop} {
			bt.resize(vp)
			status := bt.open(path)
			if status == http.StatusNotFound && want != http.StatusNotFound {
				t.Logf("%s (%s): 404, not built yet; skipped", s.name, path)
				break
			}
			if int(status) != want {
				t.Errorf("%s (%s): status %d, want %d", s.name, path, status, want)
				continue
			}
			eval[bool](bt, `document.fonts.ready.then(() => true)`)
			shot := recompress(t, bt.screenshot())
			file := filepath.Join(dir, s.name+"-"+vp.name+".png")
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s, %d KiB", file, path, len(shot)>>10)
		}
	}
}

// recompress re-encodes a PNG with the best compression: Chromium's
// are written for speed and come out about a third larger.
func recompress(t *testing.T, b []byte) []byte {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&out, img); err != nil {
		t.Fatal(err)
	}
	if out.Len() > len(b) {
		return b
	}
	return out.Bytes()
}
