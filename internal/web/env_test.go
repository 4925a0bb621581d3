package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/api"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/media"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/rollout"
	"github.com/quanzi/quanzi/internal/screen"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
	"github.com/quanzi/quanzi/internal/wallet"
)

// env is the whole server — the API and the web app in one handler, as
// quanzi serve runs them — on a real database, reached over loopback.
type env struct {
	t        testing.TB
	db       *store.DB
	deps     Deps
	app      *App
	srv      *httptest.Server
	accounts *account.Service
}

var testArgon2 = account.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}

func newEnv(t testing.TB) *env {
	t.Helper()
	db := storetest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	accounts := account.New(db, account.NewHasher(testArgon2, 2), account.DefaultConfig)
	outbox := event.New(db)
	accounts.Outbox = outbox
	notes := notify.New(db, outbox)
	accounts.ClaimDecided = notes.ClaimDecided
	wallets, circles := wallet.New(db, accounts, wallet.NewSandbox(db)), circle.New(db)
	circles.Notifier = notes
	circles.ShareInvalidations(accounts)
	posts, socials := post.New(db, circles, accounts, wallets), social.New(db, accounts)
	posts.Notifier, socials.Notify = notes, notes.Tell
	mod := moderation.New(db, circles, posts)
	mod.Notifier, mod.Changed, mod.Accounts = notes, accounts.CreditChanged, accounts
	flags := rollout.New(db)
	flags.Gauge, flags.Notifier = mod.Gauge, notes
	screens := screen.New(db, circles)
	posts.Screener = screens
	blobs, err := media.OpenBlobs(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pictures := media.New(db, blobs, media.NewProcessor(0), posts)
	pictures.Queues, pictures.Log = mod, log
	idem := idempotency.New(db)
	d := Deps{DB: db, Accounts: accounts, Idempotency: idem, Wallet: wallets, Circles: circles, Posts: posts, Moderation: mod, Media: pictures,
		Social: socials, Flags: flags, Notes: notes, Screen: screens, Logger: log, Status: api.Status}
	app := New(d)
	srv := api.New(api.Deps{DB: db, Accounts: accounts, Idempotency: idem, Logger: log, Version: "test",
		Wallet: wallets, Circles: circles, Posts: posts, Moderation: mod, Media: pictures, Flags: flags, Social: socials, Notes: notes,
		Screen: screens, Web: app})
	app.ClientAddr = srv.ClientAddr
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(notes.Shutdown)
	return &env{t: t, db: db, deps: d, app: app, srv: hs, accounts: accounts}
}

// user creates an account with a role; its password is "password-"+handle.
func (e *env) user(handle string, role account.Role) account.User {
	e.t.Helper()
	u, err := e.accounts.CreateUser(context.Background(), "", account.NewUser{Handle: handle, Password: "password-" + handle, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// browser is one person's browser: a cookie jar, no redirects followed
// unless asked, and the last page it saw (for its forms' CSRF token).
type browser struct {
	e      *env
	client *http.Client
	last   string
	header http.Header // sent with every request
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{e: e, client: c, header: http.Header{}}
}

// page is a response as the tests read it.
type page struct {
	status int
	header http.Header
	body   string
}

func (p page) has(t testing.TB, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Fatalf("the page (%d) lacks %q:\n%s", p.status, w, p.body)
		}
	}
}

func (p page) lacks(t testing.TB, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(p.body, w) {
			t.Fatalf("the page (%d) has %q:\n%s", p.status, w, p.body)
		}
	}
}

func (b *browser) do(method, path string, body io.Reader, contentType string) page {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, header: res.Header, body: string(data)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		b.last = p.body
	}
	return p
}

func (b *browser) get(path string) page { b.e.t.Helper(); return b.do("GET", path, nil, "") }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token of the forms on the last page seen.
func (b *browser) csrf() string {
	m := csrfField.FindStringSubmatch(b.last)
	if m == nil {
		b.e.t.Fatalf("the last page has no form with a CSRF token:\n%s", b.last)
	}
	return m[1]
}

// post sends a form with the last page's CSRF token (unless the form
// names its own "csrf").
func (b *browser) post(path string, form url.Values) page {
	b.e.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf())
	}
	return b.do("POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// follow GETs where a redirect points.
func (b *browser) follow(p page) page {
	b.e.t.Helper()
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		b.e.t.Fatalf("want a redirect, got %d:\n%s", p.status, p.body)
	}
	return b.get(p.header.Get("Location"))
}

// signIn signs the browser in through the sign-in form.
func (b *browser) signIn(handle string) {
	b.e.t.Helper()
	b.get("/login")
	res := b.post("/login", url.Values{"handle": {handle}, "password": {"password-" + handle}})
	if res.status != http.StatusSeeOther {
		b.e.t.Fatalf("signing in as %s: %d\n%s", handle, res.status, res.body)
	}
}
