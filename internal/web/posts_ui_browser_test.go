package web

import (
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
)

// TestPostsUIPagesFitAPhone opens the post page with a reply box open,
// a comment's replies, the circle settings page, the circle page with a
// pinned post and the moments composer in Chromium, 375 px wide, in both
// languages: nothing is wider than the screen, and the harness fails the
// test on any console error or Content-Security-Policy violation.
func TestPostsUIPagesFitAPhone(t *testing.T) {
	e := newEnv(t)
	owner := e.user("lina", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Morning Run", "morning-run", "fitness", circle.Open, circle.Policies{Post: "user.credit_score >= 300"}, circle.ReviewNone)
	e.cpJoin(mei, c)
	p := e.cpPost(mei, c, "Hill repeats at dawn, who is in? We meet at the north gate at 6:00 sharp.")
	top := e.puComment(owner, p.ID, "", "Which hill? The one by the lake is steeper than it looks.")
	for _, s := range []string{"The one by the lake", "Second reply", "Third reply", "Fourth reply"} {
		e.puComment(mei, p.ID, top.ID, s)
	}
	if _, err := e.deps.Posts.Pin(t.Context(), circle.Actor{User: owner}, p.ID, true); err != nil {
		t.Fatal(err)
	}
	small := viewport{name: "small phone", width: 375, height: 800, mobile: true}
	for _, lang := range []string{"en", "zh"} {
		bt := e.chrome(t, small)
		bt.setCookie(langCookie, lang)
		bt.signIn("lina", "password-lina")
		for _, path := range []string{"/p/" + p.ID + "?reply=" + top.ID, "/p/" + p.ID + "/c/" + top.ID,
			"/c/morning-run/settings", "/c/morning-run", "/moments"} {
			if status := bt.open(path); status != 200 {
				t.Fatalf("%s %s: %d", lang, path, status)
			}
			if w := eval[float64](bt, `document.documentElement.scrollWidth`); w > float64(small.width) {
				t.Errorf("%s %s is %v px wide on a %d px screen", lang, path, w, small.width)
			}
		}
	}
}
