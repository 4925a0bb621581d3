package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
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

// env is a real server on a real database, reached over loopback HTTP.
type env struct {
	t        testing.TB
	db       *store.DB
	accounts *account.Service
	outbox   *event.Outbox
	api      *Server
	srv      *httptest.Server
	logs     *syncBuffer
	media    *media.Service
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// testArgon2 is real argon2id at a low cost, to keep the suite quick.
var testArgon2 = account.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}

func newEnv(t *testing.T, extra ...route) *env { return newEnvB(t, extra...) }

func newEnvB(t testing.TB, extra ...route) *env {
	t.Helper()
	db := storetest.Open(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
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
	s := New(Deps{DB: db, Accounts: accounts, Idempotency: idempotency.New(db), Logger: log, Version: "test",
		Wallet: wallets, Circles: circles, Posts: posts, Moderation: mod, Media: pictures, Flags: flags, Social: socials, Notes: notes, Screen: screens})
	for _, rt := range extra {
		s.add(rt)
		s.register(rt)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(notes.Shutdown) // before srv.Close: open streams end
	return &env{t: t, db: db, accounts: accounts, outbox: outbox, api: s, srv: srv, logs: logs, media: pictures}
}

type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// req is one request. body is sent as is if it is a string or []byte,
// and as JSON otherwise.
type req struct {
	method, path string
	token        string
	body         any
	header       map[string]string
}

func (e *env) do(r req) response {
	e.t.Helper()
	var rd io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	hr, err := http.NewRequestWithContext(context.Background(), r.method, e.srv.URL+r.path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, body: body}
	json.Unmarshal(body, &out.json)
	return out
}

// user creates an account with a role and returns a session token.
func (e *env) user(handle string, role account.Role) string {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.accounts.CreateUser(ctx, "", account.NewUser{Handle: handle, Password: "password-" + handle, Role: role}); err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.accounts.Login(ctx, account.LoginRequest{Handle: handle, Password: "password-" + handle})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// wantProblem checks a response is a problem document with status and code.
func wantProblem(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.json["code"] != code {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("problem with Content-Type %q", ct)
	}
	for _, k := range []string{"type", "title", "status", "detail", "code"} {
		if _, ok := r.json[k]; !ok {
			t.Fatalf("problem without %q: %s", k, r.body)
		}
	}
	if d, _ := r.json["detail"].(string); len(d) < 10 || strings.Contains(d, "goroutine") || strings.Contains(d, ".go:") {
		t.Fatalf("detail %q is not a sentence for a person", d)
	}
}
