package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quanzi/quanzi/internal/account"
)

// Signing up through the real form: typed into, sent by a click, landing
// signed in with the session in an HttpOnly cookie; a refused form comes
// back with the explanation next to the field and what was typed kept.
func TestBrowserSignUp(t *testing.T) {
	e := newEnv(t)
	bt := e.chrome(t, phone)
	if status := bt.open("/signup"); status != http.StatusOK {
		t.Fatalf("/signup: %d", status)
	}

	bt.fill("Handle", "9lives")
	bt.fill("Display name", "Mei 小美")
	bt.fill("Password", "long enough password")
	if status := bt.submit(`form[action="/signup"] button`); status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad handle: %d", status)
	}
	bt.waitVisible("#e-handle")
	if msg := bt.text("#e-handle"); !strings.Contains(msg, "start with a letter") {
		t.Errorf("the explanation next to the handle: %q", msg)
	}
	// The explanation belongs to the field: it is what a screen reader
	// announces with it, and it sits right below it.
	if got := eval[string](bt, `document.getElementById('f-handle').getAttribute('aria-describedby') + ' ' + document.getElementById('f-handle').getAttribute('aria-invalid')`); got != "e-handle true" {
		t.Errorf("the handle field's aria-describedby and aria-invalid: %q", got)
	}
	if !eval[bool](bt, `document.getElementById('f-handle').closest('.field').contains(document.getElementById('e-handle'))`) {
		t.Error("the explanation is not inside the handle's field")
	}
	if got := bt.value("#f-handle"); got != "9lives" {
		t.Errorf("the handle typed was not kept: %q", got)
	}
	if got := bt.value("#f-display_name"); got != "Mei 小美" {
		t.Errorf("the display name typed was not kept: %q", got)
	}
	if got := bt.value("#f-password"); got != "" {
		t.Errorf("the password came back: %q", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM users`); n != 0 {
		t.Fatalf("%d users after a refused sign-up", n)
	}

	bt.fill("Handle", "mei")
	bt.fill("Password", "long enough password")
	bt.submit(`form[action="/signup"] button`)
	if !eval[bool](bt, `document.body.hasAttribute('data-signed-in')`) {
		t.Fatalf("not signed in after signing up: %s", bt.text("main"))
	}
	if flash := bt.text(".flash"); !strings.Contains(flash, "Welcome to quanzi!") {
		t.Errorf("the welcome message: %q", flash)
	}
	c := bt.cookie(account.CookieNameLoopback)
	if c == nil || !c.HTTPOnly || c.Secure || c.Path != "/" {
		t.Fatalf("the session cookie: %+v", c)
	}
	if eval[bool](bt, `document.cookie.includes('`+account.CookieNameLoopback+`=')`) {
		t.Error("scripts can read the session cookie")
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE handle = 'mei'`); n != 1 {
		t.Fatalf("%d users named mei", n)
	}

	// The signed-in home: the whole tab bar, and signing out.
	bt.open("/")
	for _, href := range []string{"/", "/circles", "/wallet", "/messages", "/notifications", "/me"} {
		bt.waitVisible(`nav.tabs a[href="` + href + `"]`)
	}
	if got := eval[string](bt, `document.querySelector('nav.tabs a[aria-current="page"]').getAttribute('href')`); got != "/" {
		t.Errorf("the current tab: %q", got)
	}
	bt.submit(`form[action="/logout"] button`)
	if eval[bool](bt, `document.body.hasAttribute('data-signed-in')`) {
		t.Fatal("still signed in after signing out")
	}
}

// The language switch is a form: it turns the page Chinese, and stays.
func TestBrowserLanguageSwitch(t *testing.T) {
	e := newEnv(t)
	bt := e.chrome(t)
	bt.open("/login")
	if lang := eval[string](bt, `document.documentElement.lang`); lang != "en" {
		t.Fatalf("lang before the switch: %q", lang)
	}
	bt.submit(`form.lang button[value="zh"]`)
	if got := bt.url(); !strings.HasSuffix(got, "/login") {
		t.Errorf("the switch went to %s, not back to the page", got)
	}
	if lang := eval[string](bt, `document.documentElement.lang`); lang != "zh-CN" {
		t.Fatalf("lang after the switch: %q", lang)
	}
	if h := bt.text("main h1"); h != "登录" {
		t.Errorf("the heading in Chinese: %q", h)
	}
	bt.waitVisible(`label[for="f-handle"]`)
	if l := bt.text(`label[for="f-handle"]`); l != "用户名" {
		t.Errorf("the handle's label in Chinese: %q", l)
	}
	// Another page remembers the choice, and signing in works in Chinese.
	e.user("mei", account.RoleUser)
	bt.signIn("mei", "password-mei")
	if tab := bt.text(`nav.tabs a[href="/wallet"]`); tab != "钱包" {
		t.Errorf("the wallet tab in Chinese: %q", tab)
	}
	bt.submit(`form.lang button[value="en"]`)
	if lang := eval[string](bt, `document.documentElement.lang`); lang != "en" {
		t.Fatalf("lang after switching back: %q", lang)
	}
}

// The keyboard: the first Tab reaches the skip link, which shows itself
// with a clear focus ring and leads to the main content.
func TestBrowserKeyboard(t *testing.T) {
	e := newEnv(t)
	bt := e.chrome(t)
	bt.open("/")
	bt.key("\t")
	type focus struct {
		Class, Href, Text     string
		Outline, OutlineWidth string
		Left, Top, Right, Vw  float64
	}
	f := eval[focus](bt, `(function () {
  const a = document.activeElement, s = getComputedStyle(a), r = a.getBoundingClientRect();
  return {Class: a.className, Href: a.getAttribute('href') || '', Text: a.textContent.trim(),
    Outline: s.outlineStyle, OutlineWidth: s.outlineWidth, Left: r.left, Top: r.top, Right: r.right, Vw: innerWidth};
})()`)
	if f.Class != "skip" || f.Href != "#main" {
		t.Fatalf("the first Tab went to %+v, not the skip link", f)
	}
	if f.Text != "Skip to content" {
		t.Errorf("the skip link says %q", f.Text)
	}
	if f.Outline == "none" || f.OutlineWidth == "0px" || f.OutlineWidth == "" {
		t.Errorf("the focused skip link has no visible outline: style %q width %q", f.Outline, f.OutlineWidth)
	}
	if f.Left < 0 || f.Right > f.Vw || f.Top < 0 {
		t.Errorf("the focused skip link is off screen: %+v", f)
	}
	// Following it puts the focus on the main content.
	bt.key("\r")
	if id := eval[string](bt, `document.activeElement.id`); id != "main" {
		t.Errorf("after the skip link the focus is on %q, not #main", id)
	}
	// The next Tab goes on to the page's own links, each with a ring.
	bt.key("\t")
	if o := eval[string](bt, `getComputedStyle(document.activeElement).outlineStyle`); o == "none" {
		t.Errorf("%s has no focus ring", eval[string](bt, `document.activeElement.outerHTML`))
	}
}

// An unknown address gets a friendly page: a 404 that says what happened
// in words, with a way home, inside the app's own layout.
func TestBrowserNotFound(t *testing.T) {
	e := newEnv(t)
	bt := e.chrome(t, phone)
	if status := bt.open("/no/such/page"); status != http.StatusNotFound {
		t.Fatalf("status %d", status)
	}
	if h := bt.text("main h1"); h != "Not found" {
		t.Errorf("heading %q", h)
	}
	if msg := bt.text("main .explain"); !strings.Contains(msg, "There is no page here") {
		t.Errorf("explanation %q", msg)
	}
	bt.waitVisible(`main a[href="/"]`)
	bt.waitVisible(`nav.tabs`)
	if status := bt.submit(`main a[href="/"]`); status != http.StatusOK {
		t.Fatalf("back home: %d", status)
	}
}

// Phone width: the tab bar sits visible at the bottom of the screen and
// nothing is wider than the screen — signed out, signed in, for an admin
// with every tab, and in Chinese.
func TestBrowserPhoneLayout(t *testing.T) {
	e := newEnv(t)
	e.user("boss", account.RoleAdmin)
	bt := e.chrome(t, phone)
	type layout struct {
		ScrollWidth, ClientWidth, InnerWidth, InnerHeight float64
		TabsTop, TabsBottom, TabsHeight                   float64
		TabsPosition, TabsDisplay                         string
		Tabs                                              int
	}
	check := func(what string) {
		t.Helper()
		l := eval[layout](bt, `(function () {
  const tabs = document.querySelector('nav.tabs'), r = tabs.getBoundingClientRect(), s = getComputedStyle(tabs);
  return {ScrollWidth: document.documentElement.scrollWidth, ClientWidth: document.documentElement.clientWidth,
    InnerWidth: innerWidth, InnerHeight: innerHeight, TabsTop: r.top, TabsBottom: r.bottom, TabsHeight: r.height,
    TabsPosition: s.position, TabsDisplay: s.display, Tabs: tabs.querySelectorAll('a').length};
})()`)
		if l.InnerWidth != float64(phone.width) {
			t.Fatalf("%s: the viewport is %v wide, not a phone's %d", what, l.InnerWidth, phone.width)
		}
		if l.ScrollWidth > l.ClientWidth {
			t.Errorf("%s: the page scrolls sideways: %v wide in a %v viewport", what, l.ScrollWidth, l.ClientWidth)
		}
		if l.TabsPosition != "fixed" || l.TabsDisplay == "none" || l.TabsHeight < 44 ||
			l.TabsBottom > l.InnerHeight+0.5 || l.TabsTop < l.InnerHeight-120 {
			t.Errorf("%s: the tab bar is not at the bottom of the screen: %+v", what, l)
		}
		// Every tab is a 44 px target and fits on the screen.
		small := eval[[]string](bt, `Array.from(document.querySelectorAll('nav.tabs a')).filter(a => {
  const r = a.getBoundingClientRect(); return r.height < 44 || r.width < 44 || r.left < 0 || r.right > innerWidth;
}).map(a => a.getAttribute('href'))`)
		if len(small) > 0 {
			t.Errorf("%s: tabs too small or off screen: %v", what, small)
		}
		t.Logf("%s: %d tabs, %v px wide page", what, l.Tabs, l.ScrollWidth)
	}
	for _, path := range []string{"/", "/login", "/signup", "/nowhere"} {
		bt.open(path)
		check("signed out " + path)
	}
	bt.signIn("boss", "password-boss")
	bt.open("/")
	check("an admin's home")
	bt.submit(`form.lang button[value="zh"]`)
	check("an admin's home in Chinese")

	// The same pages at desktop width show the tabs in the top bar.
	bt.resize(desktop)
	bt.open("/")
	if pos := eval[string](bt, `getComputedStyle(document.querySelector('nav.tabs')).position`); pos != "static" {
		t.Errorf("desktop: the tab bar is %s, not in the header", pos)
	}
	if sw := eval[float64](bt, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); sw > 0 {
		t.Errorf("desktop: the page scrolls sideways by %v px", sw)
	}
}

// Every page here loads without a console error, a failed asset or a
// Content-Security-Policy violation, in both languages. (Each tab checks
// this when its test ends too; this test visits every page.)
func TestBrowserPagesAreClean(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	bt := e.chrome(t)
	pages := []string{"/", "/login", "/signup", "/nowhere", "/login?next=/wallet"}
	for _, path := range pages {
		bt.open(path)
		bt.checkConsole()
	}
	bt.signIn("mei", "password-mei")
	for _, path := range []string{"/", "/nowhere"} {
		bt.open(path)
		bt.checkConsole()
	}
	bt.submit(`form.lang button[value="zh"]`)
	bt.checkConsole()
	// Stylesheet, script and icon all loaded (a blocked or missing one
	// is a browser-log error above; this says they were used).
	if bg := eval[string](bt, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(244, 246, 248)" {
		t.Errorf("the stylesheet did not apply: body background %q", bg)
	}
	if n := eval[int](bt, `performance.getEntriesByType('resource').filter(r => r.name.includes('/static/') && r.name.endsWith('.js')).length`); n == 0 {
		t.Error("app.js was not loaded")
	}
}

// The harness itself: a page that breaks the policy, throws and logs an
// error is reported — so a clean run above means something.
func TestBrowserHarnessCatchesProblems(t *testing.T) {
	e := newEnv(t)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		setPageHeaders(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="en"><title>bad</title><link rel="icon" href="data:,">
<p style="color:red">inline style</p><script>console.error("inline ran")</script>
<img src="/missing.png" alt="">`))
	}))
	defer bad.Close()
	bt := e.chrome(t)
	bt.do(chromedp.Navigate(bad.URL))
	ps := strings.Join(bt.consoleProblems(), "\n")
	for _, want := range []string{"CSP violation", `"directive":"style-src-attr"`, `"directive":"script-src-elem"`, "missing.png"} {
		if !strings.Contains(ps, want) {
			t.Errorf("the harness missed %q; it saw:\n%s", want, ps)
		}
	}
	if strings.Contains(ps, "inline ran") {
		t.Error("the inline script ran despite the policy")
	}
}
