package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/demo"
)

// BenchmarkCirclePage renders a circle's page for a signed-in member, as
// bench/web.sh asks for it over HTTP, without the network: the session,
// the circle and its rights, the feed, templates and gzip. "busy" is a
// circle of 40 posts (a page shows 20); "demo" is the demo's Campus Diary
// as xiaomei sees it.
func BenchmarkCirclePage(b *testing.B) {
	b.Run("busy", func(b *testing.B) {
		e := newEnv(b)
		owner, mei := e.user("owner", account.RoleUser), e.user("mei", account.RoleUser)
		c := e.cpCircle(owner, "Busy", "busy", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
		e.cpJoin(mei, c)
		for i := range 40 {
			e.cpPost(owner, c, fmt.Sprintf("post number %d, with a few words in it about the day", i))
		}
		benchPage(b, e, "/c/busy", "mei", "password-mei")
	})
	b.Run("demo", func(b *testing.B) {
		e := newEnv(b)
		if _, err := demo.Seed(b.Context(), e.db, e.accounts, e.deps.Wallet, e.deps.Circles, e.deps.Posts, e.deps.Social); err != nil {
			b.Fatal(err)
		}
		benchPage(b, e, "/c/campus-diary", "xiaomei", demo.Password)
	})
}

// benchPage asks for path as handle, in parallel, through the whole
// handler chain.
func benchPage(b *testing.B, e *env, path, handle, password string) {
	br := e.browser()
	br.get("/login")
	if res := br.post("/login", url.Values{"handle": {handle}, "password": {password}}); res.status != http.StatusSeeOther {
		b.Fatalf("signing in: %d", res.status)
	}
	u, _ := url.Parse(e.srv.URL)
	cookies := br.client.Jar.Cookies(u)
	h := e.srv.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Accept-Encoding", "gzip")
			for _, c := range cookies {
				r.AddCookie(c)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}
