package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestHelpForEveryCommand(t *testing.T) {
	out, _, err := runCLI(t, "help")
	if err != nil || !strings.Contains(out, "quanzi serve --demo") {
		t.Fatalf("help: %v\n%s", err, out)
	}
	for _, c := range commands() {
		if c.name == "help" {
			continue
		}
		out, _, err := runCLI(t, "help", c.name)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("help %s: %v", c.name, err)
		}
		if !strings.Contains(out, "quanzi "+c.name) {
			t.Errorf("help %s does not explain the command:\n%s", c.name, out)
		}
	}
	out, _, _ = runCLI(t, "serve", "--help")
	for _, want := range []string{"--addr", "[QUANZI_ADDR]", "127.0.0.1:8080", "--database", "[QUANZI_DATABASE]", "--demo", "[QUANZI_DEMO]"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	out, _, _ = runCLI(t, "admin", "create-user", "--help")
	for _, want := range []string{"--handle", "--password", "--role", "[QUANZI_ROLE]"} {
		if !strings.Contains(out, want) {
			t.Errorf("admin create-user --help lacks %q", want)
		}
	}
}

func TestUnknownCommandsAndFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"fly"}, {"serve", "--colour", "blue"}, {"serve", "--procs", "-1"}, {"admin", "launch"}, {"migrate", "extra"}} {
		_, _, err := runCLI(t, args...)
		if !errors.Is(err, errUsage) || exitCode(err) != 2 {
			t.Errorf("quanzi %v: got %v, want a usage error (exit 2)", args, err)
		}
	}
	t.Setenv("QUANZI_DB_MAX_CONNS", "many")
	if _, _, err := runCLI(t, "migrate"); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "QUANZI_DB_MAX_CONNS") {
		t.Fatalf("a bad environment value: %v", err)
	}
}

// dbArgs points a command at this test's database: a temporary SQLite
// folder, or a new PostgreSQL database when the suite runs on PostgreSQL.
func dbArgs(t *testing.T) []string {
	t.Helper()
	db, opts := storetest.OpenWithOptions(t)
	db.Close()
	if opts.Database != "" {
		return []string{"--database", opts.Database}
	}
	return []string{"--data", opts.DataDir}
}

func TestAdminTasksAndEnvironment(t *testing.T) {
	args := dbArgs(t)
	// Every flag also comes from the environment; a flag wins over it.
	t.Setenv("QUANZI_ROLE", "reviewer")
	out, _, err := runCLI(t, append([]string{"admin", "create-user", "--handle", "Ops", "--password", "long enough pw"}, args...)...)
	if err != nil || !strings.Contains(out, "created @ops (reviewer)") {
		t.Fatalf("create-user with QUANZI_ROLE: %v %s", err, out)
	}
	out, _, err = runCLI(t, append([]string{"admin", "create-user", "--handle", "boss", "--password", "long enough pw", "--role", "admin"}, args...)...)
	if err != nil || !strings.Contains(out, "created @boss (admin)") {
		t.Fatalf("create-user with --role: %v %s", err, out)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "create-user", "--handle", "ops", "--password", "long enough pw"}, args...)...); err == nil || !strings.Contains(message(err), "already taken") {
		t.Fatalf("a duplicate: %v", err)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "create-user", "--handle", "shorty", "--password", "short"}, args...)...); err == nil || !strings.Contains(message(err), "at least 8") {
		t.Fatalf("a short password: %v", err)
	}
	out, _, err = runCLI(t, append([]string{"admin", "disable-user", "--handle", "ops", "--reason", "left"}, args...)...)
	if err != nil || !strings.Contains(out, "@ops is now disabled") {
		t.Fatalf("disable-user: %v %s", err, out)
	}
	out, _, err = runCLI(t, append([]string{"admin", "set-role", "--handle", "ops", "--role", "user"}, args...)...)
	if err != nil || !strings.Contains(out, "@ops is now user") {
		t.Fatalf("set-role: %v %s", err, out)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "settle-withdrawal", "--id", "nope"}, args...)...); err == nil || !strings.Contains(message(err), "no withdrawal") {
		t.Fatalf("settling an unknown withdrawal: %v", err)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "reverse-withdrawal"}, args...)...); !errors.Is(err, errUsage) {
		t.Fatalf("reverse-withdrawal without --id: %v", err)
	}
	out, _, err = runCLI(t, append([]string{"admin", "tidy-search", "--steps", "3"}, args...)...)
	if err != nil || !strings.Contains(out, "tidied the circle search index (3 steps)") {
		t.Fatalf("tidy-search: %v %s", err, out)
	}
	out, _, err = runCLI(t, append([]string{"admin", "flags", "set", "--key", "circles", "--enabled", "--percentage", "25", "--allow", "ops, boss"}, args...)...)
	if err != nil || !strings.Contains(out, "circles") || !strings.Contains(out, "25%") {
		t.Fatalf("flags set: %v %s", err, out)
	}
	out, _, err = runCLI(t, append([]string{"admin", "flags", "pause", "--key", "circles"}, args...)...)
	if err != nil || !strings.Contains(out, "on, paused") {
		t.Fatalf("flags pause: %v %s", err, out)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "flags", "pause", "--key", "nope"}, args...)...); err == nil || !strings.Contains(message(err), "no flag") {
		t.Fatalf("pausing a flag that does not exist: %v", err)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "flags", "set", "--key", "circles", "--percentage", "101"}, args...)...); err == nil || !strings.Contains(message(err), "0 to 100") {
		t.Fatalf("a percentage over 100: %v", err)
	}
	out, _, err = runCLI(t, append([]string{"admin", "flags", "set", "--key", "composer", "--enabled", "--percentage", "1",
		"--stages", "2099-01-01T00:00Z=5,2099-02-01T00:00:00Z=25", "--guard-metric", "reports_per_100_posts", "--guard-threshold", "4"}, args...)...)
	if err != nil || !strings.Contains(out, "01-01 00:00→5%") || !strings.Contains(out, "reports_per_100_posts > 4 in 60m") {
		t.Fatalf("flags set with stages and a guard: %v %s", err, out)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "flags", "set", "--key", "composer", "--stages", "soon=5"}, args...)...); !errors.Is(err, errUsage) {
		t.Fatalf("a stage without a time: %v", err)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "flags", "set", "--key", "composer", "--guard-metric", "views"}, args...)...); err == nil || !strings.Contains(message(err), "guard watches") {
		t.Fatalf("an unknown guard metric: %v", err)
	}
	out, _, err = runCLI(t, append([]string{"admin", "flags", "list"}, args...)...)
	if err != nil || !strings.Contains(out, "KEY") || !strings.Contains(out, "on, paused") {
		t.Fatalf("flags list: %v %s", err, out)
	}
	out, _, err = runCLI(t, append([]string{"admin", "credit", "recompute", "--all"}, args...)...)
	if err != nil || !strings.Contains(out, "credit scores recomputed: 2 changed") {
		t.Fatalf("credit recompute --all: %v %s", err, out)
	}
	if _, _, err := runCLI(t, append([]string{"admin", "credit", "recompute"}, args...)...); !errors.Is(err, errUsage) {
		t.Fatalf("credit recompute without --all or --handle: %v", err)
	}
	out, _, err = runCLI(t, append([]string{"migrate", "--dry-run"}, args...)...)
	if err != nil || !strings.Contains(out, "schema version") || strings.Contains(out, "would apply") {
		t.Fatalf("migrate on an up-to-date database: %v %s", err, out)
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCLI(t, "version")
	if err != nil || !strings.HasPrefix(out, "quanzi ") {
		t.Fatalf("version: %v %q", err, out)
	}
}

// startServe runs quanzi serve in-process and returns its base URL.
func startServe(t *testing.T, ctx context.Context, args ...string) (string, chan error, *syncBuf) {
	t.Helper()
	logs := &syncBuf{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), logs, logs) }()
	url := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)/`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := url.FindStringSubmatch(logs.String()); m != nil {
			return m[1], done, logs
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logs.String())
		default:
		}
	}
	t.Fatalf("serve did not start:\n%s", logs.String())
	return "", nil, nil
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServeDemoAndGracefulShutdown(t *testing.T) {
	args := dbArgs(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done, logs := startServe(t, ctx, append([]string{"--demo"}, args...)...)

	login, _ := json.Marshal(map[string]string{"handle": "xiaomei", "password": "quanzi-demo"})
	res, err := http.Post(base+"/api/v1/sessions", "application/json", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	var sess struct{ Token string }
	json.NewDecoder(res.Body).Decode(&sess)
	res.Body.Close()
	r, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
	r.Header.Set("Authorization", "Bearer "+sess.Token)
	res, err = http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		Verified    map[string]any      `json:"verified"`
		CreditScore struct{ Score int } `json:"credit_score"`
	}
	json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	if me.Verified["gender"] != "female" || me.Verified["student"] == nil {
		t.Fatalf("the demo user xiaomei is not verified as a female student: %+v", me.Verified)
	}
	if me.CreditScore.Score != 768 {
		t.Fatalf("the demo user xiaomei's credit score is %d, want 768", me.CreditScore.Score)
	}
	r, _ = http.NewRequest("GET", base+"/api/v1/wallet", nil)
	r.Header.Set("Authorization", "Bearer "+sess.Token)
	res, err = http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	var wal struct{ Available, Held int64 }
	json.NewDecoder(res.Body).Decode(&wal)
	res.Body.Close()
	// Transfers in and out, then tips on her campus diary posts from dawei
	// (¥5.20) and, anonymously, lina (¥10.00), held for a day.
	if want := int64(50_000 + 8_800 - 1_500); wal.Available != want || wal.Held != 520+1_000 {
		t.Fatalf("xiaomei's demo wallet holds %d (%d held), want %d (1520 held)", wal.Available, wal.Held, want)
	}
	// The seed's circles: dawei (a man, credit 701) in the campus diary may
	// tip but not post or comment, and is told why.
	dawei, _ := json.Marshal(map[string]string{"handle": "dawei", "password": "quanzi-demo"})
	res, err = http.Post(base+"/api/v1/sessions", "application/json", bytes.NewReader(dawei))
	if err != nil {
		t.Fatal(err)
	}
	var ds struct{ Token string }
	json.NewDecoder(res.Body).Decode(&ds)
	res.Body.Close()
	r, _ = http.NewRequest("GET", base+"/api/v1/circles/campus-diary", nil)
	r.Header.Set("Authorization", "Bearer "+ds.Token)
	res, err = http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	var diary struct {
		Name string
		Me   struct {
			Role   string
			Rights map[string]struct {
				Allowed bool
				Reason  string
			}
		}
	}
	json.NewDecoder(res.Body).Decode(&diary)
	res.Body.Close()
	if rt := diary.Me.Rights; diary.Me.Role != "member" || rt["post"].Allowed || !rt["tip"].Allowed || rt["comment"].Allowed ||
		!strings.Contains(rt["comment"].Reason, "701") {
		t.Fatalf("dawei in the demo campus diary: %+v", diary)
	}
	// The diary's feed: xiaomei's posts, the first with its comments, likes
	// and dawei's tip.
	res, err = http.Get(base + "/api/v1/circles/campus-diary/posts")
	if err != nil {
		t.Fatal(err)
	}
	var feed struct {
		Items []struct {
			Author   struct{ Handle string }
			Comments int
			Likes    int
			Tips     struct{ Count int }
		}
	}
	json.NewDecoder(res.Body).Decode(&feed)
	res.Body.Close()
	if len(feed.Items) != 2 || feed.Items[1].Author.Handle != "xiaomei" || feed.Items[1].Comments != 2 || feed.Items[1].Likes != 3 || feed.Items[1].Tips.Count != 1 {
		t.Fatalf("the demo campus diary's feed: %+v", feed)
	}
	res, err = http.Get(base + "/api/v1/circles?q=" + url.QueryEscape("日记"))
	if err != nil {
		t.Fatal(err)
	}
	var found struct{ Items []struct{ Slug string } }
	json.NewDecoder(res.Body).Decode(&found)
	res.Body.Close()
	if len(found.Items) != 2 {
		t.Fatalf("searching the demo directory for 日记 (diary): %+v", found)
	}

	// A login in flight when the signal comes still gets its answer.
	inflight := make(chan int, 1)
	go func() {
		res, err := http.Post(base+"/api/v1/sessions", "application/json", bytes.NewReader(login))
		if err != nil {
			inflight <- 0
			return
		}
		res.Body.Close()
		inflight <- res.StatusCode
	}()
	time.Sleep(5 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
	if code := <-inflight; code != 0 && code != http.StatusCreated {
		t.Fatalf("the in-flight request got %d", code)
	}
	for _, want := range []string{"shutting down", "database closed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("shutdown log lacks %q:\n%s", want, logs.String())
		}
	}
	if args[0] == "--data" {
		if fi, err := os.Stat(filepath.Join(args[1], "quanzi.db-wal")); err == nil && fi.Size() > 0 {
			t.Errorf("the WAL still holds %d bytes after a clean shutdown", fi.Size())
		}
	}
	// A second start on the same data does not seed again.
	ctx2, cancel2 := context.WithCancel(context.Background())
	_, done2, logs2 := startServe(t, ctx2, append([]string{"--demo"}, args...)...)
	cancel2()
	<-done2
	if !strings.Contains(logs2.String(), "demo data skipped") {
		t.Fatalf("a restart seeded again:\n%s", logs2.String())
	}
}

func TestServeRunsTwiceTheCPUsUnlessToldOtherwise(t *testing.T) {
	for _, c := range []struct {
		procs int
		env   string
		want  int
	}{
		{0, "", 8},  // twice Go's 4
		{3, "", 3},  // --procs
		{0, "5", 0}, // GOMAXPROCS, which Go has applied already
		{6, "5", 6}, // the flag wins
	} {
		if got := schedulers(c.procs, c.env, 4); got != c.want {
			t.Errorf("schedulers(%d, %q, 4) = %d, want %d", c.procs, c.env, got, c.want)
		}
	}
}

func TestServeRefusesABadDatabaseURL(t *testing.T) {
	_, _, err := runCLI(t, "serve", "--database", "mysql://root:hunter2@localhost/db")
	if err == nil || strings.Contains(message(err), "hunter2") || !strings.Contains(message(err), "postgres://") {
		t.Fatalf("got %v", err)
	}
}

func TestLineBufferWritesInBatchesAndOnFlush(t *testing.T) {
	var out syncBuf
	b := newLineBuffer(&out)
	b.Write([]byte("one\n"))
	b.Write([]byte("two\n"))
	if out.String() != "" {
		t.Fatalf("written before a flush: %q", out.String())
	}
	if err := b.Flush(); err != nil || out.String() != "one\ntwo\n" {
		t.Fatalf("after flush: %q, %v", out.String(), err)
	}
	big := bytes.Repeat([]byte("x"), maxBuffered)
	b.Write(big)
	if len(out.String()) != len("one\ntwo\n")+maxBuffered {
		t.Fatal("a full buffer was not written out at once")
	}
}

func TestLedgerVerify(t *testing.T) {
	args := dbArgs(t)
	out, errOut, err := runCLI(t, append([]string{"ledger", "verify"}, args...)...)
	if err != nil || !strings.Contains(out, "ledger OK") {
		t.Fatalf("verify on a fresh ledger: %v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "verifying accounts") {
		t.Errorf("no progress shown: %q", errOut)
	}
	// Tamper with a balance: verify must fail and say where.
	db, err := store.Open(context.Background(), storeOptions(args))
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(context.Background(), `UPDATE ledger_accounts SET available = available + 5 WHERE id = 'sys_fees'`)
	db.Close()
	out, _, err = runCLI(t, append([]string{"ledger", "verify", "--quiet"}, args...)...)
	if err == nil || !strings.Contains(out, "MISMATCH: account sys_fees records available 5") {
		t.Fatalf("verify on a tampered ledger: %v\n%s", err, out)
	}
}

func storeOptions(args []string) store.Options {
	if args[0] == "--database" {
		return store.Options{Database: args[1]}
	}
	return store.Options{DataDir: args[1]}
}

func TestLoadTransfers(t *testing.T) {
	args := dbArgs(t)
	ctx, cancel := context.WithCancel(context.Background())
	base, done, _ := startServe(t, ctx, append([]string{"--hash-concurrency", "2"}, args...)...)
	out, errOut, err := runCLI(t, "load", "transfers", "--url", base, "--users", "6", "--concurrency", "8", "--duration", "1s")
	cancel()
	<-done
	if err != nil || !strings.Contains(out, "conservation OK") || !strings.Contains(out, "p99") || !strings.Contains(errOut, "sending transfers") {
		t.Fatalf("load transfers: %v\n%s%s", err, out, errOut)
	}
	if _, _, err := runCLI(t, "load", "fly"); !errors.Is(err, errUsage) {
		t.Fatalf("an unknown scenario: %v", err)
	}
}

// load seed fills a small community that load feeds then reads; on
// SQLite it keeps the planner's row counts but not STAT4's samples, which
// would have SQLite compile statements again at every run.
func TestLoadSeedAndFeeds(t *testing.T) {
	args := dbArgs(t)
	seed := filepath.Join(t.TempDir(), "seed.json")
	out, errOut, err := runCLI(t, append([]string{"load", "seed", "--users", "60", "--circles", "6", "--posts", "300", "--moments", "200", "--friends", "6",
		"--sessions", "4", "--out", seed}, args...)...)
	if err != nil || !strings.Contains(out+errOut, "seeded 60 users, 6 circles") {
		t.Fatalf("load seed: %v\n%s%s", err, out, errOut)
	}
	db, err := store.Open(context.Background(), storeOptions(args))
	if err != nil {
		t.Fatal(err)
	}
	// Friendships go both ways; every moment is in its author's inbox
	// and, unless private, in each of the author's friends' and nobody
	// else's.
	var posts, moments, pairs, oneWay, inboxes, want int
	err = db.QueryRow(context.Background(), `SELECT
		(SELECT COUNT(*) FROM posts WHERE circle_id IS NOT NULL),
		(SELECT COUNT(*) FROM posts WHERE circle_id IS NULL),
		(SELECT COUNT(*) FROM friendships),
		(SELECT COUNT(*) FROM friendships f WHERE NOT EXISTS (SELECT 1 FROM friendships g WHERE g.user_id = f.friend_id AND g.friend_id = f.user_id)),
		(SELECT COUNT(*) FROM moment_inbox),
		(SELECT COUNT(*) FROM posts p WHERE p.circle_id IS NULL) +
			(SELECT COUNT(*) FROM posts p JOIN friendships f ON f.user_id = p.author_id WHERE p.circle_id IS NULL AND p.audience <> 'private')`).
		Scan(&posts, &moments, &pairs, &oneWay, &inboxes, &want)
	if err != nil || posts != 300 || moments != 200 || pairs < 60*3/2 || oneWay != 0 || inboxes != want {
		t.Fatalf("posts %d, moments %d, friendships %d (%d one way), inbox rows %d of %d: %v", posts, moments, pairs, oneWay, inboxes, want, err)
	}
	var strays int
	err = db.QueryRow(context.Background(), `SELECT COUNT(*) FROM moment_inbox i JOIN posts p ON p.id = i.post_id
		WHERE i.author_id <> p.author_id OR (i.user_id <> p.author_id AND (p.audience = 'private' OR NOT EXISTS
			(SELECT 1 FROM friendships f WHERE f.user_id = p.author_id AND f.friend_id = i.user_id)))`).Scan(&strays)
	if err != nil || strays != 0 {
		t.Fatalf("%d moments delivered to someone who may not read them: %v", strays, err)
	}
	if db.Engine == store.SQLite {
		var stat1, stat4 int
		if err := db.QueryRow(context.Background(), `SELECT (SELECT COUNT(*) FROM sqlite_stat1), (SELECT COUNT(*) FROM sqlite_stat4)`).Scan(&stat1, &stat4); err != nil {
			t.Fatal(err)
		}
		if stat1 == 0 || stat4 != 0 {
			t.Fatalf("statistics after the seed: %d rows in sqlite_stat1, %d in sqlite_stat4", stat1, stat4)
		}
	}
	db.Close()

	ctx, cancel := context.WithCancel(context.Background())
	base, done, _ := startServe(t, ctx, args...)
	out, errOut, err = runCLI(t, "load", "feeds", "--url", base, "--seed", seed, "--concurrency", "4", "--duration", "1s")
	cancel()
	<-done
	if err != nil || !strings.Contains(out, "circle feed pages") || !strings.Contains(out, "home feed pages") || !strings.Contains(out, "0 failed") {
		t.Fatalf("load feeds: %v\n%s%s", err, out, errOut)
	}
}
