// Package idempotency makes a request with an Idempotency-Key take effect at
// most once. The operation's own transaction checks the key (Check), does
// the work and records the response in the key's row (Record), so the
// effect and the record of it commit together, in one commit, or not at
// all. Retries get the recorded response replayed byte for byte. A crash
// before the commit leaves nothing, and a retry runs the operation afresh.
// Two attempts at once cannot both take effect: the second one's record
// collides with the first's, and its transaction runs again and replays.
package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Codes for misused keys.
const (
	CodeMismatch   errs.Code = "idempotency_mismatch"    // same key, different request
	CodeInProgress errs.Code = "idempotency_in_progress" // same key, first attempt still running
	CodeInvalidKey errs.Code = "invalid_idempotency_key"
)

// Store keeps keys in the database.
type Store struct {
	db *store.DB
	// TTL is how long a finished key is remembered. At least 24 hours.
	TTL time.Duration
}

// New returns a Store that remembers keys for 48 hours.
func New(db *store.DB) *Store {
	return &Store{db: db, TTL: 48 * time.Hour}
}

// Response is a recorded answer.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// CheckKey validates a client's key: 1 to 255 visible ASCII characters.
func CheckKey(key string) error {
	if len(key) == 0 || len(key) > 255 {
		return errs.E(CodeInvalidKey, "The Idempotency-Key header must be 1 to 255 characters long.")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return errs.E(CodeInvalidKey, "The Idempotency-Key header may use only visible ASCII characters (a UUID is a good choice).")
		}
	}
	return nil
}

// row is a key's stored row.
type row struct {
	scope, key, hash, claim, state string
	lockedUntil, expiresAt         time.Time
	resp                           Response
	body                           string // read back as text, then moved into resp.Body
}

const rowColumns = `scope, idem_key, request_hash, claim, state, locked_until, status, content_type, body, expires_at`

func (r *row) dest() []any {
	return []any{&r.scope, &r.key, &r.hash, &r.claim, &r.state, &r.lockedUntil, &r.resp.Status, &r.resp.ContentType, &r.body, &r.expiresAt}
}

// judge says what a stored key means for a new attempt with requestHash
// at now: a response to replay, a refusal, or neither — the attempt may
// take the key over, because the key is forgotten (past its time) or the
// attempt holding it died without finishing (past its lock: rows in the
// "running" state were left by versions that claimed keys ahead).
func (s *Store) judge(now time.Time, requestHash string, r row) (*Response, error) {
	switch {
	case !now.Before(r.expiresAt):
		return nil, nil
	case r.hash != requestHash:
		return nil, errs.E(CodeMismatch, "This Idempotency-Key was already used for a different request; use a new key for a new request.")
	case r.state == "done":
		resp := r.resp
		resp.Body = []byte(r.body)
		return &resp, nil
	case now.Before(r.lockedUntil):
		return nil, inProgress()
	}
	return nil, nil
}

func inProgress() error {
	return &errs.Error{Code: CodeInProgress, Message: "A request with this Idempotency-Key is still being processed; try again in a moment.", RetryAfter: time.Second}
}

// takeOver gives the key of r, if the claim prior still holds it, the new
// life r: running (until r.lockedUntil) or done (answered r.resp),
// remembered for the TTL from now. It reports whether it did.
func (s *Store) takeOver(ctx context.Context, tx *store.Tx, prior string, r row) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE idempotency_keys SET request_hash = $1, claim = $2, state = $3, locked_until = $4,
		status = $5, content_type = $6, body = $7, created_at = $8, expires_at = $9
		WHERE scope = $10 AND idem_key = $11 AND claim = $12`,
		r.hash, r.claim, r.state, r.lockedUntil, r.resp.Status, r.resp.ContentType, string(r.resp.Body), tx.Now, tx.Now.Add(s.TTL),
		r.scope, r.key, prior)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Purge forgets keys past their time.
func (s *Store) Purge(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= $1`, tx.Now)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n, err
}

func newToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("idempotency: the system random source failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
