package account_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

// testArgon2 is real argon2id at a lower cost, so the suite stays quick;
// TestPasswordHashUsesDefaultCost checks the production parameters.
var testArgon2 = account.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}

// clock is a settable time source for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	db    *store.DB
	svc   *account.Service
	clock *clock
}

func setup(t *testing.T) fixture { return setupB(t) }

func setupB(t testing.TB) fixture {
	t.Helper()
	db := storetest.Open(t)
	c := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	db.Clock = c.Now
	svc := account.New(db, account.NewHasher(testArgon2, 2), account.DefaultConfig)
	return fixture{db: db, svc: svc, clock: c}
}

func (f fixture) register(t *testing.T, handle string, role account.Role) account.User {
	t.Helper()
	u, err := f.svc.CreateUser(context.Background(), "", account.NewUser{Handle: handle, Password: "correct horse", Role: role})
	if err != nil {
		t.Fatalf("registering %s: %v", handle, err)
	}
	return u
}

func (f fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterValidatesAndWritesNothingOnError(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	u, err := f.svc.Register(ctx, account.NewUser{Handle: "  @Alice_01 ", Password: "12345678", DisplayName: " Alice 爱丽丝 "})
	if err != nil {
		t.Fatal(err)
	}
	if u.Handle != "alice_01" || u.DisplayName != "Alice 爱丽丝" || u.Role != account.RoleUser || u.Status != account.StatusActive {
		t.Fatalf("registered %+v", u)
	}
	cases := []struct {
		name     string
		nu       account.NewUser
		code     errs.Code
		field    string
		contains string
	}{
		{"duplicate handle in another case", account.NewUser{Handle: "ALICE_01", Password: "12345678"}, account.CodeHandleTaken, "handle", "already taken"},
		{"handle too long", account.NewUser{Handle: strings.Repeat("a", 31), Password: "12345678"}, errs.Invalid, "handle", "3 to 30"},
		{"handle too short", account.NewUser{Handle: "ab", Password: "12345678"}, errs.Invalid, "handle", "3 to 30"},
		{"handle with a space", account.NewUser{Handle: "bob smith", Password: "12345678"}, errs.Invalid, "handle", "letters a–z"},
		{"handle with Chinese", account.NewUser{Handle: "小明", Password: "12345678"}, errs.Invalid, "handle", "3 to 30"},
		{"handle starting with a digit", account.NewUser{Handle: "1bob", Password: "12345678"}, errs.Invalid, "handle", "start with a letter"},
		{"reserved handle", account.NewUser{Handle: "admin", Password: "12345678"}, errs.Invalid, "handle", "reserved"},
		{"missing handle", account.NewUser{Password: "12345678"}, errs.Invalid, "handle", "required"},
		{"password too short", account.NewUser{Handle: "bob", Password: "1234567"}, errs.Invalid, "password", "at least 8"},
		{"password too long", account.NewUser{Handle: "bob", Password: strings.Repeat("x", 129)}, errs.Invalid, "password", "at most 128"},
		{"display name with control characters", account.NewUser{Handle: "bob", Password: "12345678", DisplayName: "a\x07b"}, errs.Invalid, "display_name", "control"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Register(ctx, c.nu)
			e := errs.As(err)
			if e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.contains) {
				t.Fatalf("got %v (field %q), want code %s field %s containing %q", err, e.Field, c.code, c.field, c.contains)
			}
		})
	}
	_, err = f.svc.CreateUser(ctx, "", account.NewUser{Handle: "bob", Password: "12345678", Role: "king"})
	if e := errs.As(err); e.Code != errs.Invalid || e.Field != "role" {
		t.Fatalf("an unknown role: %v", err)
	}
	// Signing up cannot choose a role.
	if u, err := f.svc.Register(ctx, account.NewUser{Handle: "sneaky", Password: "12345678", Role: account.RoleAdmin}); err != nil || u.Role != account.RoleUser {
		t.Fatalf("self-registration with role admin: %+v, %v", u, err)
	}
	if n := f.count(t, "users"); n != 2 {
		t.Fatalf("%d users after failed registrations, want 2", n)
	}
}

func TestPasswordLimitsCountCharactersNotBytes(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	// 128 Chinese characters are 384 bytes: allowed, and all of it counts.
	long := strings.Repeat("密", 127) + "码"
	if _, err := f.svc.Register(ctx, account.NewUser{Handle: "long", Password: long}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "long", Password: long}); err != nil {
		t.Fatalf("logging in with the full password: %v", err)
	}
	// Nothing is truncated: the same password less its last character fails.
	if _, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "long", Password: strings.Repeat("密", 127) + "马"}); !errs.Is(err, account.CodeInvalidCredentials) {
		t.Fatalf("a password differing in the last character: got %v", err)
	}
	if _, err := f.svc.Register(ctx, account.NewUser{Handle: "short", Password: "密码密码密码密码"}); err != nil {
		t.Fatalf("8 characters: %v", err)
	}
}

func TestPasswordHashUsesDefaultCost(t *testing.T) {
	h := account.NewHasher(account.DefaultArgon2, 1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry argon2id with m=19456,t=2,p=1", enc)
	}
	ok, rehash, err := h.Verify(ctx, "correct horse", enc)
	if !ok || rehash || err != nil {
		t.Fatalf("verify: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	if ok, _, _ := h.Verify(ctx, "correct horsE", enc); ok {
		t.Fatal("a wrong password verified")
	}
	// A hash made with other parameters verifies and asks to be redone.
	old, _ := account.NewHasher(testArgon2, 1).Hash(ctx, "pw123456")
	if ok, rehash, _ := h.Verify(ctx, "pw123456", old); !ok || !rehash {
		t.Fatalf("old-parameter hash: ok=%v rehash=%v", ok, rehash)
	}
}

func TestHasherBoundsConcurrentHashing(t *testing.T) {
	h := account.NewHasher(account.Argon2Params{MemoryKiB: 64 * 1024, Time: 3, Threads: 1}, 1)
	h.Wait = time.Millisecond
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, err := h.Hash(ctx, "password1"); results <- err }()
	}
	wg.Wait()
	close(results)
	busy := 0
	for err := range results {
		if errs.Is(err, errs.Unavailable) {
			busy++
			if e := errs.As(err); e.RetryAfter <= 0 {
				t.Errorf("busy answer without Retry-After: %v", e)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if busy == 0 {
		t.Fatal("four simultaneous hashes with one slot and no waiting all ran; the bound is not enforced")
	}
}

func TestLoginAndAuthenticate(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.register(t, "mei", account.RoleUser)
	token, sess, err := f.svc.Login(ctx, account.LoginRequest{Handle: "Mei", Password: "correct horse", Client: "203.0.113.9"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "qz_") || len(token) < 3+22 {
		t.Fatalf("token %q is too short to carry 128 random bits", token)
	}
	// Only the hash is stored.
	var stored string
	f.db.QueryRow(ctx, `SELECT token_hash FROM sessions`).Scan(&stored)
	if stored == token || strings.Contains(stored, token[3:]) || stored != sess.TokenHash {
		t.Fatal("the session table holds the token itself")
	}
	got, err := f.svc.Authenticate(ctx, token)
	if err != nil || got.User.Handle != "mei" {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	forged := token[:len(token)-1] + "A"
	if forged == token {
		forged = token[:len(token)-1] + "B"
	}
	for _, bad := range []string{"", "qz_", forged, "Bearer " + token, strings.ToUpper(token)} {
		if _, err := f.svc.Authenticate(ctx, bad); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("token %q: got %v, want unauthenticated", bad, err)
		}
	}
	if err := f.svc.Logout(ctx, got); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, token); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestWrongPasswordAndUnknownHandleLookTheSame(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.register(t, "mei", account.RoleUser)
	_, _, e1 := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "wrong password"})
	_, _, e2 := f.svc.Login(ctx, account.LoginRequest{Handle: "nobody", Password: "wrong password"})
	_, _, e3 := f.svc.Login(ctx, account.LoginRequest{Handle: "not a handle!", Password: ""})
	a, b, c := errs.As(e1), errs.As(e2), errs.As(e3)
	if a.Code != account.CodeInvalidCredentials || a.Code != b.Code || a.Message != b.Message || b.Code != c.Code || b.Message != c.Message {
		t.Fatalf("answers differ: %v / %v / %v", e1, e2, e3)
	}
}

func TestSessionsExpireWhenIdleAndAtMaxAge(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.register(t, "mei", account.RoleUser)
	login := func() string {
		tok, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	idle := login()
	f.clock.Advance(account.DefaultConfig.SessionIdle + time.Second)
	if _, err := f.svc.Authenticate(ctx, idle); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("idle session still valid: %v", err)
	}
	// A session used every few days lives until its absolute expiry.
	busy := login()
	for elapsed := time.Duration(0); elapsed < account.DefaultConfig.SessionMaxAge-72*time.Hour; elapsed += 72 * time.Hour {
		if _, err := f.svc.Authenticate(ctx, busy); err != nil {
			t.Fatalf("used session ended after %v: %v", elapsed, err)
		}
		f.clock.Advance(72 * time.Hour)
	}
	f.clock.Advance(72 * time.Hour)
	if _, err := f.svc.Authenticate(ctx, busy); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("session past its absolute expiry still valid: %v", err)
	}
	if n, err := f.svc.PurgeExpired(ctx); err != nil || n != 2 {
		t.Fatalf("purged %d sessions (%v), want 2", n, err)
	}
}

func TestDisablingEndsSessionsAtOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	admin := f.register(t, "root_admin", account.RoleAdmin)
	user := f.register(t, "mei", account.RoleUser)
	tok, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetStatus(ctx, user, "root_admin", account.StatusDisabled, "x"); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("a user disabling an admin: %v", err)
	}
	if _, err := f.svc.SetStatus(ctx, admin, "mei", account.StatusDisabled, "spam"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, tok); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("disabled user's session still valid: %v", err)
	}
	if _, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"}); !errs.Is(err, account.CodeInvalidCredentials) {
		t.Fatalf("disabled user could log in: %v", err)
	}
	if _, err := f.svc.SetStatus(ctx, admin, "mei", account.StatusActive, "appeal upheld"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"}); err != nil {
		t.Fatalf("re-enabled user cannot log in: %v", err)
	}
	var n int
	f.db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE target_id = $1 AND action IN ('user.disabled', 'user.active')`, user.ID).Scan(&n)
	if n != 2 {
		t.Fatalf("%d audit entries for disable and enable, want 2", n)
	}
}

func TestLoginThrottle(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.register(t, "mei", account.RoleUser)
	home, attacker := "198.51.100.7", "203.0.113.66"
	try := func(client, pw string) error {
		_, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: pw, Client: client})
		return err
	}
	// The real user has signed in from home before.
	if err := try(home, "correct horse"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		if err := try(attacker, "guess"); !errs.Is(err, account.CodeInvalidCredentials) {
			t.Fatalf("failure %d: got %v, want invalid_credentials", i, err)
		}
	}
	err := try(attacker, "correct horse")
	e := errs.As(err)
	if e.Code != account.CodeTooManyAttempts || e.RetryAfter <= 0 || e.RetryAfter > 15*time.Minute+time.Second {
		t.Fatalf("11th attempt: got %v (retry after %v), want too_many_attempts within 15 minutes", err, e.RetryAfter)
	}
	// A new client is locked out too, even with the right password …
	if err := try("192.0.2.1", "correct horse"); !errs.Is(err, account.CodeTooManyAttempts) {
		t.Fatalf("a new client during the lock: %v", err)
	}
	// … but the real user, from a client they have used, still gets in.
	if err := try(home, "correct horse"); err != nil {
		t.Fatalf("the real user is locked out by an attacker: %v", err)
	}
	// The lock ends on its own.
	f.clock.Advance(15*time.Minute + time.Second)
	if err := try(attacker, "correct horse"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

func TestThrottleTreatsUnknownHandlesAlike(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for range 10 {
		f.svc.Login(ctx, account.LoginRequest{Handle: "ghost", Password: "guess", Client: "203.0.113.5"})
	}
	if _, _, err := f.svc.Login(ctx, account.LoginRequest{Handle: "ghost", Password: "guess", Client: "203.0.113.5"}); !errs.Is(err, account.CodeTooManyAttempts) {
		t.Fatalf("an unknown handle is not throttled, which tells a guesser it does not exist: %v", err)
	}
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.register(t, "mei", account.RoleUser)
	t1, s1, _ := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	t2, _, _ := f.svc.Login(ctx, account.LoginRequest{Handle: "mei", Password: "correct horse"})
	if err := f.svc.ChangePassword(ctx, s1, "wrong", "new password 1"); !errs.Is(err, account.CodeInvalidCredentials) {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := f.svc.ChangePassword(ctx, s1, "correct horse", "new password 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, t1); err != nil {
		t.Fatalf("the session that changed the password ended: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, t2); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("another session survived a password change: %v", err)
	}
}

// One sweep of every credit score per period, however many servers ask.
func TestSweepCreditOncePerPeriod(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.register(t, "mei", account.RoleUser)
	swept, n, err := f.svc.SweepCredit(ctx, 24*time.Hour)
	if err != nil || !swept || n != 1 {
		t.Fatalf("first sweep: swept %v, %d changed, %v", swept, n, err)
	}
	other := account.New(f.db, account.NewHasher(testArgon2, 1), account.DefaultConfig) // another node
	f.clock.Advance(23 * time.Hour)
	if swept, _, err := other.SweepCredit(ctx, 24*time.Hour); err != nil || swept {
		t.Fatalf("a second sweep within the period: swept %v, %v", swept, err)
	}
	f.clock.Advance(time.Hour)
	if swept, _, err := other.SweepCredit(ctx, 24*time.Hour); err != nil || !swept {
		t.Fatalf("a sweep after the period: swept %v, %v", swept, err)
	}
}
