package web

// The harness for tests in a real browser: Debian's Chromium, driven over
// the DevTools protocol by chromedp from inside go test (no Node, no
// driver). One browser serves the whole test binary: it starts with the
// first test that asks for a tab and stops in TestMain. Every test gets a
// tab in a fresh incognito browser context, so cookies never leak from one
// test to the next.
//
// A tab collects what a person would see in the developer console: a
// console.error, an uncaught exception, an error in the browser's log (a
// script or stylesheet that failed to load) and every Content-Security-Policy
// violation (a securitypolicyviolation event, reported to Go through a
// binding). Any of them fails the test when it ends.
//
// QUANZI_TEST_CHROMIUM names the browser (scripts/test installs Debian's
// chromium and sets it). Without it the browser tests are skipped, except
// on CI (CI=true), where a missing browser is a failure.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopChromium()
	os.Exit(code)
}

// chromium is the browser shared by the test binary's browser tests.
var chromium struct {
	sync.Mutex
	ctx     context.Context // the browser's first tab; nil until started
	cancel  func()
	err     error // why it could not start; every later test fails the same way
	started time.Duration
}

// chromiumFlags are the flags that work as root on a closed network (see
// the Chromium section of the recipes): headless, no sandbox (root), no
// GPU, shared memory in /tmp, nothing that calls home.
func chromiumFlags(path string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(1280, 800),
		// No user-data-dir: chromedp makes a fresh one in the temp dir
		// and removes it when the browser stops.
	}
}

// sharedChromium returns the running browser, starting it on first use.
func sharedChromium(t testing.TB) context.Context {
	t.Helper()
	path := os.Getenv("QUANZI_TEST_CHROMIUM")
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("QUANZI_TEST_CHROMIUM is not set: on CI the browser tests must run (scripts/test installs Chromium and sets it)")
		}
		t.Skip("QUANZI_TEST_CHROMIUM is not set (scripts/test sets it): skipping the browser test")
	}
	chromium.Lock()
	defer chromium.Unlock()
	if chromium.err != nil {
		t.Fatal(chromium.err)
	}
	if chromium.ctx != nil {
		return chromium.ctx
	}
	if _, err := os.Stat(path); err != nil {
		chromium.err = fmt.Errorf("QUANZI_TEST_CHROMIUM=%s: %w", path, err)
		t.Fatal(chromium.err)
	}
	start := time.Now()
	actx, acancel := chromedp.NewExecAllocator(context.Background(), chromiumFlags(path)...)
	bctx, bcancel := chromedp.NewContext(actx)
	// The first Run binds the browser's life to its context, so it gets
	// none with a deadline; a watchdog stops a browser that never answers.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(bctx) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		err = fmt.Errorf("no answer in a minute")
	}
	if err != nil {
		bcancel()
		acancel()
		chromium.err = fmt.Errorf("starting %s: %w", path, err)
		t.Fatal(chromium.err)
	}
	chromium.ctx = bctx
	chromium.cancel = func() { bcancel(); acancel() }
	chromium.started = time.Since(start)
	return bctx
}

func stopChromium() {
	chromium.Lock()
	defer chromium.Unlock()
	if chromium.cancel != nil {
		chromium.cancel()
		chromium.cancel, chromium.ctx = nil, nil
	}
}

// A viewport is the size of the window a tab shows pages in.
type viewport struct {
	name          string
	width, height int64
	mobile        bool // a phone: mobile layout rules, touch, a phone's user agent behaviour
}

var (
	phone   = viewport{name: "phone", width: 390, height: 844, mobile: true}
	desktop = viewport{name: "desktop", width: 1280, height: 800}
)

// chromeTab is one tab in its own incognito browser context, reading
// pages of the test's server.
type chromeTab struct {
	t    testing.TB
	e    *env
	ctx  context.Context
	view viewport

	mu       sync.Mutex
	problems []string
	docs     map[network.RequestID]bool // requests for pages (their status is the test's business)
	expected []string                   // problems the test provokes on purpose (substrings)
}

// cspBinding is the function the page calls (injected by the harness,
// before any script of the page) for each Content-Security-Policy
// violation.
const cspBinding = "quanziReportCSPViolation"

const cspListener = `document.addEventListener('securitypolicyviolation', function (e) {
  window.` + cspBinding + `(JSON.stringify({directive: e.violatedDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample}));
});`

// chrome opens a tab at the given viewport (desktop when none). The
// tab closes, and its console problems fail the test, when the test ends.
func (e *env) chrome(t testing.TB, vp ...viewport) *chromeTab {
	t.Helper()
	browser := sharedChromium(t)
	bt := &chromeTab{t: t, e: e, view: desktop, docs: map[network.RequestID]bool{}}
	if len(vp) > 0 {
		bt.view = vp[0]
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(bt.listen))
	bt.ctx = ctx
	t.Cleanup(func() {
		if !t.Failed() {
			bt.settle()
			bt.checkConsole()
		}
		cancel()
	})
	// The tab lives as long as the context of its first Run, so that one
	// gets the tab's own context (with a watchdog instead of a deadline).
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(ctx) }()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("opening a tab: %v", err)
		}
	case <-time.After(stepTimeout):
		cancel()
		t.Fatal("opening a tab: no answer from the browser")
	}
	bt.do(
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, runtime.AddBinding, runtime.AddBindingParams{Name: cspBinding}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener})
			return err
		}),
		bt.emulate(bt.view),
	)
	return bt
}

func (bt *chromeTab) emulate(vp viewport) chromedp.Action[chromedp.Void] {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateLandscape}
	if vp.mobile {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch}
	}
	return chromedp.EmulateViewport(vp.width, vp.height, opts...)
}

// resize changes the tab's viewport.
func (bt *chromeTab) resize(vp viewport) {
	bt.t.Helper()
	bt.view = vp
	bt.do(bt.emulate(vp))
}

// listen runs in the tab's event loop, for every event, in order.
func (bt *chromeTab) listen(ev any) {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Type == network.ResourceTypeDocument {
			bt.docs[ev.RequestID] = true
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			bt.problems = append(bt.problems, "console."+string(ev.Type)+": "+consoleArgs(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		bt.problems = append(bt.problems, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *cdplog.EventEntryAdded:
		en := ev.Entry
		// A page answered with 404 or 422 is the test's to judge;
		// anything else that failed (a script, a stylesheet, a picture)
		// is a problem.
		if en.Level == cdplog.EntryLevelError && !(en.NetworkRequestID != "" && bt.docs[en.NetworkRequestID]) {
			bt.problems = append(bt.problems, fmt.Sprintf("browser log (%s): %s %s", en.Source, en.Text, en.URL))
		}
	case *runtime.EventBindingCalled:
		if ev.Name == cspBinding {
			bt.problems = append(bt.problems, "CSP violation: "+ev.Payload)
		}
	}
}

func consoleArgs(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		switch {
		case len(a.Value) > 0:
			var s string
			if json.Unmarshal(a.Value, &s) == nil {
				parts = append(parts, s)
			} else {
				parts = append(parts, string(a.Value))
			}
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// expect tells the tab that problems containing s are provoked on purpose.
func (bt *chromeTab) expect(s string) {
	bt.mu.Lock()
	bt.expected = append(bt.expected, s)
	bt.mu.Unlock()
}

// consoleProblems returns (and forgets) what the page reported so far.
func (bt *chromeTab) consoleProblems() []string {
	bt.settle()
	bt.mu.Lock()
	defer bt.mu.Unlock()
	var out []string
next:
	for _, p := range bt.problems {
		for _, x := range bt.expected {
			if strings.Contains(p, x) {
				continue next
			}
		}
		out = append(out, p)
	}
	bt.problems = nil
	return out
}

// checkConsole fails the test for every console error, exception or CSP
// violation seen so far.
func (bt *chromeTab) checkConsole() {
	bt.t.Helper()
	if ps := bt.consoleProblems(); len(ps) > 0 {
		bt.t.Errorf("the browser reported %d problem(s) on %s:\n  %s", len(ps), bt.url(), strings.Join(ps, "\n  "))
	}
}

// settle lets the page's queued work (violation events are dispatched as
// tasks) run and its events reach the listener: the listener runs in
// order of arrival, so every event sent before this evaluation's answer
// has been seen when it returns.
func (bt *chromeTab) settle() {
	ctx, cancel := context.WithTimeout(bt.ctx, 5*time.Second)
	defer cancel()
	chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => setTimeout(() => requestAnimationFrame(() => r(true)), 0))`, chromedp.EvalAwaitPromise))
}

// timeout bounds each step, so a page that never answers fails the test
// instead of hanging it.
const stepTimeout = 20 * time.Second

// do runs actions, failing the test on an error.
func (bt *chromeTab) do(actions ...chromedp.Action[chromedp.Void]) {
	bt.t.Helper()
	ctx, cancel := context.WithTimeout(bt.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		bt.t.Fatalf("in the browser at %s: %v", bt.url(), err)
	}
}

func run[T any](bt *chromeTab, a chromedp.Action[T]) T {
	bt.t.Helper()
	ctx, cancel := context.WithTimeout(bt.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		bt.t.Fatalf("in the browser at %s: %v", bt.url(), err)
	}
	return v
}

// url is the address of the page the tab shows ("" before the first).
func (bt *chromeTab) url() string {
	ctx, cancel := context.WithTimeout(bt.ctx, 2*time.Second)
	defer cancel()
	u, _ := chromedp.Run(ctx, chromedp.Location())
	return u
}

// open loads a path of the test's server and returns the page's HTTP
// status.
func (bt *chromeTab) open(path string) int64 {
	bt.t.Helper()
	res := run(bt, chromedp.NavigateResponse(bt.e.srv.URL+path))
	return res.Status
}

// submit clicks what sel finds (a submit button, a link) and waits for
// the page it leads to; it returns that page's status.
func (bt *chromeTab) submit(sel string) int64 {
	bt.t.Helper()
	ctx, cancel := context.WithTimeout(bt.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		bt.t.Fatalf("clicking %s at %s: %v", sel, bt.url(), err)
	}
	return res.Status
}

// fill types text into the control labelled label (its <label>'s text),
// after clearing it.
func (bt *chromeTab) fill(label, text string) {
	bt.t.Helper()
	id := run(bt, chromedp.Evaluate[string](fmt.Sprintf(`(function (want) {
  for (const l of document.querySelectorAll('label')) {
    if (l.textContent.trim() === want && l.htmlFor) return l.htmlFor;
  }
  return '';
})(%q)`, label)))
	if id == "" {
		bt.t.Fatalf("no control labelled %q at %s", label, bt.url())
	}
	bt.typeInto("#"+id, text)
}

// typeInto types text into what the CSS selector sel finds, after clearing it.
func (bt *chromeTab) typeInto(sel, text string) {
	bt.t.Helper()
	// Clear by script: chromedp's Clear fails on an empty textarea.
	eval[any](bt, fmt.Sprintf(`(function (el) { if (el) el.value = ''; })(document.querySelector(%q))`, sel))
	bt.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (bt *chromeTab) click(sel string) {
	bt.t.Helper()
	bt.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (bt *chromeTab) waitVisible(sel string) {
	bt.t.Helper()
	bt.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// text is the rendered text of the first element sel finds.
func (bt *chromeTab) text(sel string) string {
	bt.t.Helper()
	return run(bt, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// value is the current value of a form control.
func (bt *chromeTab) value(sel string) string {
	bt.t.Helper()
	return run(bt, chromedp.Value(chromedp.CSS(sel)))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](bt *chromeTab, js string) T {
	bt.t.Helper()
	return run(bt, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// key presses a key (kb names, such as "\t" for Tab).
func (bt *chromeTab) key(k string) {
	bt.t.Helper()
	bt.do(chromedp.KeyEvent(k))
}

// screenshot is a PNG of the viewport.
func (bt *chromeTab) screenshot() []byte {
	bt.t.Helper()
	return run(bt, chromedp.CaptureScreenshot())
}

// cookie is the browser's cookie for the test server by name (nil when
// there is none).
func (bt *chromeTab) cookie(name string) *network.Cookie {
	bt.t.Helper()
	res := run(bt, func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{bt.e.srv.URL}})
	})
	for _, c := range res.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookie gives the browser a cookie for the test server.
func (bt *chromeTab) setCookie(name, value string) {
	bt.t.Helper()
	bt.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: bt.e.srv.URL, HTTPOnly: new(true)})
		return err
	}))
}

// signIn signs in through the sign-in form.
func (bt *chromeTab) signIn(handle, password string) {
	bt.t.Helper()
	bt.open("/login")
	bt.fill(zhOr(bt, "Handle"), handle)
	bt.fill(zhOr(bt, "Password"), password)
	if status := bt.submit(`form[action="/login"] button`); status != 200 {
		bt.t.Fatalf("signing in as %s: the page after is %d", handle, status)
	}
	if !eval[bool](bt, `document.body.hasAttribute('data-signed-in')`) {
		bt.t.Fatalf("signing in as %s did not sign in: %s", handle, bt.text("main"))
	}
}

// zhOr is an English sentence in the tab's current page language.
func zhOr(bt *chromeTab, s string) string {
	if eval[string](bt, `document.documentElement.lang`) == "zh-CN" {
		return zh.T(s)
	}
	return s
}
