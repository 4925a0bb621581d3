package web

import (
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/post"
)

// Posts in feeds are written in Go, not by html/template, so their
// escaping is tested here: everything a user wrote comes out as text.
func TestPostItemEscapesWhatUsersWrote(t *testing.T) {
	edited := time.Now().Add(-time.Minute)
	x := post.Post{ID: "p1", Text: `<script>alert("x")</script> & 'quoted'`, Status: post.Published, Likes: 3, Comments: 1,
		Author:    post.Author{Handle: "mei", DisplayName: `"><img src=x onerror=alert(1)>`},
		Circle:    &post.CircleRef{Slug: `a"b`, Name: "<b>Runners</b>"},
		Media:     []post.Media{{URL: `/api/v1/media/m1?a="b"`, ThumbURL: "/api/v1/media/m1/thumb", Width: 640, Height: 480}},
		CreatedAt: time.Now().Add(-2 * time.Hour), EditedAt: &edited, Pinned: true, Me: &post.Standing{Liked: true}}
	p := &Page{Lang: en, Session: &account.Session{}, CSRF: `tok"en`, Path: `/c/x?next="y"`}
	var b strings.Builder
	postItem(&b, en, &x, p)
	html := b.String()
	for _, bad := range []string{"<script>", "<img src=x", "<b>Runners", `a"b`, `tok"en`, `next="y"`, `a="b"`} {
		if strings.Contains(html, bad) {
			t.Fatalf("%q came out unescaped:\n%s", bad, html)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quoted&#39;",
		"&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
		`href="/c/a%22b"`, "&lt;b&gt;Runners&lt;/b&gt;",
		`value="tok&#34;en"`, `aria-pressed="true"`, "Take back your like", `<span class="n">3</span>`,
		"2 h ago", "edited", "Pinned post", "1 comment", "No tips yet",
		`alt="Picture 1 of 1" width="640" height="480"`,
	} {
		if !strings.Contains(html, want) {
			t.Fatalf("lacks %q:\n%s", want, html)
		}
	}

	// In Chinese, signed out: the count without a form.
	x.Me, x.Pinned, x.EditedAt = nil, false, nil
	b.Reset()
	postItem(&b, zh, &x, &Page{Lang: zh})
	html = b.String()
	if strings.Contains(html, "<form") || !strings.Contains(html, zh.T("%d likes", 3)) || !strings.Contains(html, zh.T("1 comment")) {
		t.Fatalf("signed out, in Chinese:\n%s", html)
	}
	if zh.T("%d likes", 3) == "3 likes" {
		t.Fatal("no Chinese for the like count")
	}
}
