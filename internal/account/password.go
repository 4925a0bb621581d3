package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/quanzi/quanzi/internal/errs"
)

// Argon2Params are argon2id's cost parameters. They are stored with every
// hash, so raising them later still verifies old hashes (and rehashes them
// at the next login).
type Argon2Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultArgon2 is OWASP's recommended minimum for argon2id: 19 MiB, two
// passes, one lane.
var DefaultArgon2 = Argon2Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// Password length bounds, in characters. Passwords are never truncated.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

// Hasher hashes and verifies passwords with argon2id, letting at most a
// fixed number of hashes run at once. Each hash holds MemoryKiB of memory
// while it runs, so the bound caps what a flood of logins can take
// (concurrency × MemoryKiB), and the rest wait their turn.
type Hasher struct {
	Params Argon2Params
	slots  chan struct{}
	// Wait bounds how long a request queues for a slot before it is told
	// to come back later.
	Wait time.Duration
}

// NewHasher returns a Hasher that runs at most concurrency hashes at once
// (one per CPU when concurrency is zero).
func NewHasher(p Argon2Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	return &Hasher{Params: p, slots: make(chan struct{}, concurrency), Wait: 10 * time.Second}
}

func (h *Hasher) acquire(ctx context.Context) error {
	t := time.NewTimer(h.Wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &errs.Error{Code: errs.Unavailable, Message: "The request was cancelled.", Err: ctx.Err()}
	case <-t.C:
		return &errs.Error{Code: errs.Unavailable, Message: "Too many sign-ins are being checked right now; please try again in a moment.", RetryAfter: 2 * time.Second}
	}
}

func (h *Hasher) release() { <-h.slots }

// CheckPassword says whether pw is an acceptable new password.
func CheckPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return errs.Field("password", "The password must be valid UTF-8 text.")
	}
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return errs.Field("password", "The password must be at least %d characters long; it has %d.", MinPasswordLen, n)
	}
	if n > MaxPasswordLen {
		return errs.Field("password", "The password must be at most %d characters long; it has %d.", MaxPasswordLen, n)
	}
	return nil
}

// Hash returns pw's argon2id hash in the PHC string format.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", errs.Wrap(err, "reading random salt")
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(pw), salt, h.Params.Time, h.Params.MemoryKiB, h.Params.Threads, 32)
	return encodePHC(h.Params, salt, key), nil
}

// Verify reports whether pw matches encoded, and whether encoded was made
// with other parameters than the current ones and should be rehashed.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	p, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, false, errs.Wrap(err, "reading a stored password hash")
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p != h.Params, nil
}

var b64 = base64.RawStdEncoding

func encodePHC(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decodePHC(s string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("unsupported argon2 version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("bad argon2 parameters %q", parts[3])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("bad salt: %w", err)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, nil, nil, fmt.Errorf("bad hash")
	}
	return p, salt, key, nil
}
