package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

func TestSignUpSignInSignOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.get("/signup").has(t, `<form method="post" action="/signup"`, `autocomplete="new-password"`)

	// A bad form comes back with the explanation next to the field and
	// what was typed, and creates nobody.
	res := b.post("/signup", url.Values{"handle": {"9lives"}, "display_name": {"Mei"}, "password": {"long enough password"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad handle: %d", res.status)
	}
	res.has(t, `class="field bad"`, `id="e-handle"`, `value="9lives"`, `value="Mei"`, `aria-invalid="true"`)
	res.lacks(t, "long enough password")
	if n := e.count(`SELECT COUNT(*) FROM users`); n != 0 {
		t.Fatalf("%d users after a refused sign-up", n)
	}

	res = b.post("/signup", url.Values{"handle": {"mei"}, "display_name": {"Mei"}, "password": {"long enough password"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/me" {
		t.Fatalf("sign-up: %d %s", res.status, res.header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range res.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, account.CookieNameLoopback+"=") {
			session, _ = http.ParseSetCookie(c)
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Path != "/" {
		t.Fatalf("session cookie on plain loopback: %+v", session)
	}
	b.get("/").has(t, "data-signed-in", `action="/logout"`)

	// Signing out ends the session itself, not just the cookie.
	b.post("/logout", url.Values{})
	if _, err := e.accounts.Authenticate(t.Context(), session.Value); err == nil {
		t.Fatal("the session outlived signing out")
	}
	b.get("/").lacks(t, "data-signed-in")

	// A wrong password: the same form, the handle kept, the password not.
	b.get("/login")
	res = b.post("/login", url.Values{"handle": {"mei"}, "password": {"wrong password!"}})
	if res.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.status)
	}
	res.has(t, "The handle or password is incorrect.", `value="mei"`)
	res.lacks(t, "wrong password!")

	// Signing in goes back where the reader was going — on this site only.
	res = b.post("/login", url.Values{"handle": {"mei"}, "password": {"long enough password"}, "next": {"//evil.example/x"}})
	if res.header.Get("Location") != "/" {
		t.Fatalf("an off-site next: %q", res.header.Get("Location"))
	}
	for next, want := range map[string]string{"/wallet?tab=history": "/wallet?tab=history", "https://evil.example/": "/", `/\evil.example`: "/", "": "/"} {
		if got := localNext(next); got != want {
			t.Errorf("localNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	b := e.browser()
	b.signIn("mei")
	b.get("/")
	// No token, a wrong token, another session's token: refused, nothing done.
	other := e.browser()
	other.signIn("mei")
	other.get("/")
	for name, tok := range map[string]string{"none": "", "wrong": "abc", "another session's": other.csrf()} {
		res := b.post("/logout", url.Values{"csrf": {tok}})
		if res.status != http.StatusForbidden {
			t.Fatalf("%s token: %d", name, res.status)
		}
		res.has(t, "This form has expired")
	}
	b.get("/").has(t, "data-signed-in")

	// A browser that says the form came from another site.
	b.header.Set("Sec-Fetch-Site", "cross-site")
	if res := b.post("/logout", url.Values{}); res.status != http.StatusForbidden {
		t.Fatalf("cross-site form: %d", res.status)
	}
	b.header.Del("Sec-Fetch-Site")

	// Signed-out forms have their own token, bound to a cookie.
	anon := e.browser()
	anon.get("/login")
	if res := anon.post("/login", url.Values{"csrf": {"forged"}, "handle": {"mei"}, "password": {"password-mei"}}); res.status != http.StatusForbidden {
		t.Fatalf("forged sign-in token: %d", res.status)
	}
	// No state changes through GET.
	if res := b.get("/logout"); res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET /logout: %d", res.status)
	}
	b.get("/").has(t, "data-signed-in")
}

func TestSecureCookiesBehindHTTPS(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	b := e.browser()
	b.header.Set("X-Forwarded-Proto", "https")
	for _, c := range b.get("/login").header.Values("Set-Cookie") {
		ck, _ := http.ParseSetCookie(c)
		if ck.Name != "__Host-qz-csrf" || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" {
			t.Fatalf("cookie over HTTPS: %s", c)
		}
	}
	res := b.post("/login", url.Values{"handle": {"mei"}, "password": {"password-mei"}})
	ck, _ := http.ParseSetCookie(res.header.Get("Set-Cookie"))
	if res.status != http.StatusSeeOther || ck == nil || ck.Name != account.CookieName || !ck.Secure || !ck.HttpOnly {
		t.Fatalf("signing in over HTTPS: %d %v", res.status, res.header.Values("Set-Cookie"))
	}
	b.get("/").has(t, "data-signed-in")
	// The same browser over plain HTTP to a loopback address has no
	// session: the cookie names differ.
	b.header.Del("X-Forwarded-Proto")
	b.get("/").lacks(t, "data-signed-in")
}

func TestLanguages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.header.Set("Accept-Language", "fr-FR, zh-CN;q=0.8, en;q=0.5")
	b.get("/login").has(t, `<html lang="zh-CN">`, "登录", "用户名")
	b.header.Set("Accept-Language", "en-GB,zh;q=0.3")
	b.get("/login").has(t, `<html lang="en">`, "Handle")
	// The switch wins over the browser's languages, and returns to the page.
	res := b.post("/language", url.Values{"lang": {"zh"}, "next": {"/signup"}})
	if res.header.Get("Location") != "/signup" {
		t.Fatalf("language switch went to %q", res.header.Get("Location"))
	}
	b.get("/signup").has(t, "注册账号", `name="lang" value="en"`)
	// Errors from the capabilities are translated where the catalog knows them.
	b.get("/login")
	b.post("/login", url.Values{"handle": {"nobody"}, "password": {"whatever it is"}}).has(t, "用户名或密码不正确。")
}

func TestErrorPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	res := b.get("/no/such/page")
	if res.status != http.StatusNotFound {
		t.Fatalf("unknown page: %d", res.status)
	}
	res.has(t, "There is no page here", `href="/"`)
	if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("404 page as %q", ct)
	}
	// The API keeps its own answers.
	if res := b.get("/api/v1/no-such"); res.status != http.StatusNotFound || res.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("unknown API path: %d %s", res.status, res.header.Get("Content-Type"))
	}
	// A signed-in page sends the signed-out to sign in, and back.
	e.app.handle("GET /private", options{access: signedIn}, func(w http.ResponseWriter, r *http.Request, p *Page) error { return nil })
	res = b.get("/private?tab=history")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login?next=%2Fprivate%3Ftab%3Dhistory" {
		t.Fatalf("signed-out wallet: %d %q", res.status, res.header.Get("Location"))
	}
}

func TestPageHeadersAndAssets(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.header.Set("Accept-Encoding", "gzip")
	res := b.get("/login")
	csp := res.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("page CSP %q", csp)
	}
	if got := res.header.Get("X-Frame-Options"); got != "DENY" { // for browsers without CSP 2
		t.Fatalf("page X-Frame-Options %q", got)
	}
	if res.header.Get("Content-Encoding") != "gzip" {
		t.Fatal("the page is not compressed")
	}
	b.header.Del("Accept-Encoding")
	body := b.get("/login").body
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, " onclick=") {
		t.Fatal("inline script or style in a page")
	}
	u, err := e.app.assetURL("app.css")
	if err != nil {
		t.Fatal(err)
	}
	css := b.get(u)
	if css.status != 200 || !strings.Contains(css.header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Fatalf("asset: %d %v", css.status, css.header)
	}
	if old := b.get("/static/0000000000/app.css"); old.status != 200 || old.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("an old asset URL: %d %q", old.status, old.header.Get("Cache-Control"))
	}
	if res := b.get("/static/x/nope.js"); res.status != 404 {
		t.Fatalf("missing asset: %d", res.status)
	}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(e.t.Context(), q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
