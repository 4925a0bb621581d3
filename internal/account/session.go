package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// A session token is "qz_" and 256 random bits in base64url. The database
// keeps only its SHA-256, so a copy of the database does not let anyone in.
const tokenPrefix = "qz_"

// The web app keeps the session token in a cookie: CookieName (the
// __Host- prefix binds it to the exact origin, HTTPS only) or, for a server
// reached over plain HTTP on a loopback address, CookieNameLoopback.
const (
	CookieName         = "__Host-qz"
	CookieNameLoopback = "qz"
)

// touchEvery is how stale last_seen_at may get before a request refreshes
// it: refreshing on every request would turn every read into a write. It
// only extends the idle expiry (SessionIdle, two weeks by default), so an
// hour is precise enough, and spares a busy server a write per session
// every minute.
const touchEvery = time.Hour

// Session is a signed-in client.
type Session struct {
	User      User
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time // the earlier of the idle and the absolute expiry
	// Claims are the user's claims as Claims lists them (set by
	// Authenticate, not by Login); Verified derives the verified
	// attributes from them.
	Claims []Verification
	// Credit is the user's credit score, nil when they have none yet.
	Credit *credit.Score
	// Blocked holds the ids of the people the user blocked or who blocked
	// them, when BlocksKnown (Authenticate reads them, for the feeds'
	// filters; Login does not). Blocks and unblocks invalidate the
	// sessions of both people (UsersChanged).
	Blocked     map[string]bool
	BlocksKnown bool
	now         time.Time
}

// ClaimsNow returns the session's claims with their verified flag as of
// the request (an approval may have expired since they were loaded).
func (s Session) ClaimsNow() []Verification {
	out := make([]Verification, len(s.Claims))
	for i, c := range s.Claims {
		c.Verified = isVerified(c.Status, c.ExpiresAt, s.now)
		out[i] = c
	}
	return out
}

// Verified returns the user's verified attributes as of the request.
func (s Session) Verified() map[string]any { return VerifiedOf(s.ClaimsNow()) }

// CodeInvalidCredentials is the one answer for an unknown handle and a
// wrong password alike.
const CodeInvalidCredentials errs.Code = "invalid_credentials"

func invalidCredentials() error {
	return errs.E(CodeInvalidCredentials, "The handle or password is incorrect.")
}

func unauthenticated() error {
	return errs.E(errs.Unauthenticated, "Your session has ended or the token is not valid; please sign in again.")
}

// LoginRequest is a sign-in attempt.
type LoginRequest struct {
	Handle    string
	Password  string
	Client    string // the client's address (an IPv6 /64 counts as one)
	UserAgent string
}

// Login checks a handle and password and starts a session, returning its
// token; a suspended account is refused with the reason (account_suspended).
// Failures are throttled per handle, per client and per pair; an
// unknown handle and a wrong password get the same answer in about the
// same time.
func (s *Service) Login(ctx context.Context, req LoginRequest) (string, Session, error) {
	handle, herr := NormalizeHandle(req.Handle)
	if herr != nil {
		handle = "invalid:" + errs.Clip(strings.ToLower(req.Handle), 40)
	}
	// A missing or oversized password is still a wrong password: the
	// answer must not tell a guesser anything about the account.
	var u User
	var hash string
	err := s.db.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE handle = $1`, handle).
		Scan(&u.ID, &u.Handle, &u.DisplayName, &u.Role, &u.Status, &u.CreatedAt, &hash)
	found := err == nil
	if err != nil && err != store.ErrNoRows {
		return "", Session{}, err
	}
	known := false
	if found {
		if known, err = s.isKnownClient(ctx, u.ID, req.Client); err != nil {
			return "", Session{}, err
		}
	}
	keys := throttleKeys(handle, req.Client)
	if err := s.checkThrottle(ctx, keys, known); err != nil {
		return "", Session{}, err
	}
	if !found {
		hash = s.dummyHash
	}
	ok := false
	rehash := false
	if len(req.Password) <= 4*MaxPasswordLen {
		if ok, rehash, err = s.hasher.Verify(ctx, req.Password, hash); err != nil {
			return "", Session{}, err
		}
	}
	if !found || !ok || u.Status != StatusActive {
		if err := s.recordFailure(ctx, keys); err != nil {
			return "", Session{}, err
		}
		return "", Session{}, invalidCredentials()
	}
	if sp, err := SuspensionOf(ctx, s.db, u.ID, s.db.Now()); err != nil {
		return "", Session{}, err
	} else if sp != nil {
		return "", Session{}, s.refuseSuspended(ctx, sp)
	}
	var newHash string
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, req.Password); err != nil {
			return "", Session{}, err
		}
	}
	token, tokenHash := NewToken()
	var sess Session
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		sess = Session{User: u, TokenHash: tokenHash, CreatedAt: tx.Now, ExpiresAt: tx.Now.Add(min(s.cfg.SessionIdle, s.cfg.SessionMaxAge))}
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, client_addr, user_agent)
			VALUES ($1, $2, $3, $3, $4, $5, $6)`, tokenHash, u.ID, tx.Now, tx.Now.Add(s.cfg.SessionMaxAge), req.Client, errs.Clip(req.UserAgent, 200)); err != nil {
			return err
		}
		if newHash != "" {
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, newHash, u.ID); err != nil {
				return err
			}
		}
		return s.recordSuccess(ctx, tx, u.ID, req.Client, keys)
	})
	if err != nil {
		return "", Session{}, err
	}
	return token, sess, nil
}

// NewToken makes a session token and the hash sessions are stored under.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("account: the system random source failed: " + err.Error())
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate returns the session a bearer token belongs to, with the
// user's claims and credit score. It is served from the principal cache
// when it can be, and otherwise costs three indexed reads. At most once a minute per session it
// records that the session was used, which extends its idle expiry.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) != len(tokenPrefix)+43 {
		return Session{}, unauthenticated()
	}
	th := hashToken(token)
	now := s.db.Now()
	e, ok := s.cache.get(th, now)
	if !ok {
		gen := s.cache.gen.Load()
		var err error
		if e, err = s.loadPrincipal(ctx, th); err != nil {
			return Session{}, err
		}
		// Sessions read together (after a restart, say) expire from the
		// cache spread over a quarter of its lifetime, not in one storm.
		e.loadedAt = now.Add(-mrand.N(s.cache.ttl / 4))
		s.cache.put(gen, e)
	}
	idleEnd := e.lastSeen.Add(s.cfg.SessionIdle)
	if e.sess.User.Status != StatusActive || !now.Before(e.absolute) || !now.Before(idleEnd) {
		return Session{}, unauthenticated()
	}
	sess := e.sess
	sess.now = now
	sess.ExpiresAt = earlier(e.absolute, idleEnd)
	if now.Sub(e.lastSeen) >= touchEvery {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, tx.Now, th)
			return err
		})
		if err != nil {
			return Session{}, err
		}
		s.cache.touched(th, now)
		sess.ExpiresAt = earlier(e.absolute, now.Add(s.cfg.SessionIdle))
	}
	return sess, nil
}

// loadPrincipal reads a session, its user and the user's claims.
func (s *Service) loadPrincipal(ctx context.Context, tokenHash string) (cachedPrincipal, error) {
	var e cachedPrincipal
	u := &e.sess.User
	err := s.db.QueryRow(ctx, `SELECT u.id, u.handle, u.display_name, u.role, u.status, u.created_at,
			s.created_at, s.last_seen_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1`, tokenHash).
		Scan(&u.ID, &u.Handle, &u.DisplayName, &u.Role, &u.Status, &u.CreatedAt, &e.sess.CreatedAt, &e.lastSeen, &e.absolute)
	if err == store.ErrNoRows {
		return e, unauthenticated()
	}
	if err != nil {
		return e, err
	}
	e.sess.TokenHash = tokenHash
	if e.sess.Claims, err = s.Claims(ctx, u.ID); err != nil {
		return e, err
	}
	if e.sess.Credit, err = credit.Of(ctx, s.db, u.ID); err != nil {
		return e, err
	}
	blocked, err := store.Strings(ctx, s.db, `SELECT blocked_id FROM blocks WHERE blocker_id = $1
		UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1`, u.ID)
	if err != nil {
		return e, err
	}
	for _, id := range blocked {
		if e.sess.Blocked == nil {
			e.sess.Blocked = map[string]bool{}
		}
		e.sess.Blocked[id] = true
	}
	e.sess.BlocksKnown = true
	return e, nil
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, sess Session) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, sess.TokenHash); err != nil {
			return err
		}
		return s.invalidate(ctx, tx, sessionKey(sess.TokenHash))
	})
}

// LogoutEverywhere ends every session of a user (after a password change,
// or when they suspect a stolen token).
func (s *Service) LogoutEverywhere(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return s.invalidate(ctx, tx, userKey(userID))
	})
	return n, err
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the user.
func (s *Service) ChangePassword(ctx context.Context, sess Session, current, next string) error {
	if err := CheckPassword(next); err != nil {
		return err
	}
	var hash string
	if err := s.db.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, sess.User.ID).Scan(&hash); err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(ctx, current, hash)
	if err != nil {
		return err
	}
	if !ok {
		return &errs.Error{Code: CodeInvalidCredentials, Field: "current_password", Message: "The current password is incorrect."}
	}
	newHash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, newHash, tx.Now, sess.User.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, sess.User.ID, sess.TokenHash); err != nil {
			return err
		}
		return s.invalidate(ctx, tx, userKey(sess.User.ID))
	})
}

// PurgeExpired deletes sessions past their absolute or idle expiry and
// old throttle counters. quanzi serve runs it periodically.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`, tx.Now, tx.Now.Add(-s.cfg.SessionIdle))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM login_throttle WHERE window_start < $1 AND blocked_until < $2`,
			tx.Now.Add(-s.cfg.Throttle.Window), tx.Now)
		if err != nil {
			return err
		}
		// Every node has long polled these: a poll looks back one minute.
		_, err = tx.Exec(ctx, `DELETE FROM cache_invalidations WHERE at < $1`, tx.Now.Add(-time.Hour))
		return err
	})
	return n, err
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
