package api

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

// BenchmarkMe measures a signed-in GET /api/v1/me through the whole
// handler chain (middleware, authentication, encoding), without the network.
func BenchmarkMe(b *testing.B) {
	e := newEnvB(b)
	e.api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // as production logs: written, not kept
	tok := e.user("mei", account.RoleUser)
	getParallel(b, e, "/api/v1/me", tok)
}

// getParallel GETs path as the holder of token, from GOMAXPROCS
// goroutines, through the whole handler chain, until b is done.
func getParallel(b *testing.B, e *env, path, token string) {
	h := e.api.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkCircleFeed measures the first page of a circle's feed (20
// posts) for a signed-in member, through the whole handler chain.
func BenchmarkCircleFeed(b *testing.B) {
	e := newEnvB(b)
	e.api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	owner := e.user("owner", account.RoleUser)
	tok := e.user("mei", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Busy"})
	e.join(tok, c)
	for i := range 200 {
		e.postIn(owner, c, map[string]any{"text": fmt.Sprintf("post number %d with some words in it", i)})
	}
	getParallel(b, e, "/api/v1/circles/"+c+"/posts", tok)
}

// BenchmarkHomeFeed measures the first page of the home feed (20 posts)
// for a reader in six circles with two friends posting moments, through
// the whole handler chain.
func BenchmarkHomeFeed(b *testing.B) {
	e := newEnvB(b)
	e.api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	for i := range 6 {
		c := e.circle(owner, map[string]any{"name": fmt.Sprint("Busy ", i)})
		e.join(mei, c)
		for j := range 30 {
			e.postIn(owner, c, map[string]any{"text": fmt.Sprintf("post %d in circle %d", j, i)})
		}
	}
	for _, h := range []string{"lin", "bob"} {
		friend := e.user(h, account.RoleUser)
		e.befriend(mei, friend, h)
		for j := range 10 {
			e.ok(req{method: "POST", path: "/api/v1/moments", token: friend, body: map[string]any{"text": fmt.Sprint(h, "'s moment ", j)}}, 201)
		}
	}
	getParallel(b, e, "/api/v1/feed", mei)
}
