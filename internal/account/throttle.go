package account

import (
	"context"
	"fmt"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// ThrottleConfig bounds failed sign-ins. Counters live in the database, so
// every node of a cluster sees the same ones.
type ThrottleConfig struct {
	Window time.Duration
	// PerHandle is how many failures a handle may have in Window before
	// sign-ins to it are refused for a Window — except from clients the
	// user has signed in from before, so a stranger's guessing cannot keep
	// the real user out.
	PerHandle int
	// PerPair bounds failures of one handle from one client; it applies to
	// known clients too.
	PerPair int
	// PerClient bounds failures from one client address across all handles
	// (credential stuffing). Set high enough for a campus behind one NAT.
	PerClient int
}

// DefaultThrottle allows ten failures per account per fifteen minutes.
var DefaultThrottle = ThrottleConfig{Window: 15 * time.Minute, PerHandle: 10, PerPair: 10, PerClient: 100}

// CodeTooManyAttempts is the answer while sign-ins are throttled.
const CodeTooManyAttempts errs.Code = "too_many_attempts"

type throttleKey struct {
	key      string
	limit    func(ThrottleConfig) int
	byHandle bool // waived for known clients
}

func throttleKeys(handle, client string) []throttleKey {
	keys := []throttleKey{{key: "h:" + handle, limit: func(c ThrottleConfig) int { return c.PerHandle }, byHandle: true}}
	if client != "" {
		keys = append(keys,
			throttleKey{key: "p:" + handle + "|" + client, limit: func(c ThrottleConfig) int { return c.PerPair }},
			throttleKey{key: "c:" + client, limit: func(c ThrottleConfig) int { return c.PerClient }})
	}
	return keys
}

// checkThrottle refuses the attempt while any of its keys is blocked.
func (s *Service) checkThrottle(ctx context.Context, keys []throttleKey, known bool) error {
	now := s.db.Now()
	var wait time.Duration
	for _, k := range keys {
		if k.byHandle && known {
			continue
		}
		var until time.Time
		err := s.db.QueryRow(ctx, `SELECT blocked_until FROM login_throttle WHERE throttle_key = $1`, k.key).Scan(&until)
		if err == store.ErrNoRows {
			continue
		}
		if err != nil {
			return err
		}
		if d := until.Sub(now); d > wait {
			wait = d
		}
	}
	if wait <= 0 {
		return nil
	}
	wait = wait.Truncate(time.Second) + time.Second
	return &errs.Error{
		Code:       CodeTooManyAttempts,
		Message:    fmt.Sprintf("Too many failed sign-in attempts; please wait %s and try again.", humanDuration(wait)),
		RetryAfter: wait,
	}
}

// recordFailure counts a failed attempt against each key, and blocks a key
// for a whole window once it reaches its limit.
func (s *Service) recordFailure(ctx context.Context, keys []throttleKey) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		windowAgo := tx.Now.Add(-s.cfg.Throttle.Window)
		for _, k := range keys {
			var failures int
			err := tx.QueryRow(ctx, `INSERT INTO login_throttle (throttle_key, window_start, failures, blocked_until)
				VALUES ($1, $2, 1, 0)
				ON CONFLICT (throttle_key) DO UPDATE SET
					failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.failures + 1 END,
					window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 ELSE login_throttle.window_start END
				RETURNING failures`, k.key, tx.Now, windowAgo).Scan(&failures)
			if err != nil {
				return err
			}
			if failures >= k.limit(s.cfg.Throttle) {
				// The block starts a new window: failures before it cannot
				// combine with failures after it to exceed the limit.
				if _, err := tx.Exec(ctx, `UPDATE login_throttle SET blocked_until = $1, window_start = $1, failures = 0 WHERE throttle_key = $2`,
					tx.Now.Add(s.cfg.Throttle.Window), k.key); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// recordSuccess remembers the client as one the user signs in from and
// clears the pair's counter.
func (s *Service) recordSuccess(ctx context.Context, tx *store.Tx, userID, client string, keys []throttleKey) error {
	if client == "" {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO known_clients (user_id, client, last_login_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, client) DO UPDATE SET last_login_at = excluded.last_login_at`, userID, client, tx.Now); err != nil {
		return err
	}
	for _, k := range keys {
		if k.key[0] == 'p' {
			if _, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE throttle_key = $1`, k.key); err != nil {
				return err
			}
		}
	}
	return nil
}

// knownClientFor is how long a successful sign-in vouches for its client.
const knownClientFor = 90 * 24 * time.Hour

func (s *Service) isKnownClient(ctx context.Context, userID, client string) (bool, error) {
	if client == "" {
		return false, nil
	}
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM known_clients WHERE user_id = $1 AND client = $2 AND last_login_at > $3`,
		userID, client, s.db.Now().Add(-knownClientFor)).Scan(&n)
	return n > 0, err
}

func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
