package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
)

// BenchmarkCirclePage renders a busy circle's page (40 posts) for a
// signed-in member, as bench/web.sh asks for it over HTTP, without the
// network: the session, the circle and its rights, the feed, templates
// and gzip.
func BenchmarkCirclePage(b *testing.B) {
	e := newEnv(b)
	owner, mei := e.user("owner", account.RoleUser), e.user("mei", account.RoleUser)
	c := e.cpCircle(owner, "Busy", "busy", "fitness", circle.Open, circle.Policies{}, circle.ReviewNone)
	e.cpJoin(mei, c)
	for i := range 40 {
		e.cpPost(owner, c, fmt.Sprintf("post number %d, with a few words in it about the day", i))
	}
	br := e.browser()
	br.signIn("mei")
	u, _ := url.Parse(e.srv.URL)
	cookies := br.client.Jar.Cookies(u)
	h := e.srv.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/c/busy", nil)
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
