package account

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Kinds of verified attribute. A claim's value must fit its kind.
const (
	KindGender        = "gender"         // "female", "male" or "other"
	KindStudent       = "student"        // the school or university, as text
	KindEmployment    = "employment"     // the employer or occupation, as text
	KindIdentityLevel = "identity_level" // 1 real name, 2 identity document checked, 3 document and face checked
	KindBirthYear     = "birth_year"     // a year
)

// Kinds lists the kinds a user may claim, in display order.
var Kinds = []string{KindGender, KindStudent, KindEmployment, KindIdentityLevel, KindBirthYear}

// Verification statuses. Only approved, unexpired verifications count as
// verified.
const (
	VerPending    = "pending"
	VerApproved   = "approved"
	VerRejected   = "rejected"
	VerRevoked    = "revoked"
	VerSuperseded = "superseded" // a newer approval of the same kind replaced it
	VerWithdrawn  = "withdrawn"  // the user took the claim back before review
)

// Verification is a claim of an attribute and what became of it.
type Verification struct {
	ID        string     `json:"id"`
	User      string     `json:"user"` // handle
	Kind      string     `json:"kind"`
	Value     any        `json:"value"`
	Evidence  string     `json:"evidence"`
	Status    string     `json:"status"`
	Reason    string     `json:"reason,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"` // handle
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	// Verified is true when the claim is approved and not expired.
	Verified bool `json:"verified"`
}

// VerificationEvent is one step in a verification's history.
type VerificationEvent struct {
	Action string    `json:"action"`
	Actor  string    `json:"actor,omitempty"` // handle
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// Claim is a user's request to have an attribute verified.
type Claim struct {
	Kind     string
	Value    json.RawMessage
	Evidence string
}

// Error codes of the verification flow.
const (
	CodeAlreadyDecided errs.Code = "already_decided"
	CodeClaimPending   errs.Code = "claim_pending"
)

// parseValue checks a claimed value against its kind and returns the
// stored (text) form.
func parseValue(kind string, raw json.RawMessage, now time.Time) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", errs.Field("value", "A value is required.")
	}
	var str string
	var num int64
	isNum := json.Unmarshal(raw, &num) == nil
	isStr := json.Unmarshal(raw, &str) == nil
	switch kind {
	case KindGender:
		if !isStr || (str != "female" && str != "male" && str != "other") {
			return "", errs.Field("value", `A gender must be "female", "male" or "other".`)
		}
		return str, nil
	case KindStudent, KindEmployment:
		str = strings.TrimSpace(str)
		what := map[string]string{KindStudent: "the name of the school or university", KindEmployment: "the employer or occupation"}[kind]
		if !isStr || utf8.RuneCountInString(str) < 2 || utf8.RuneCountInString(str) > 100 {
			return "", errs.Field("value", "The value must be %s, as 2 to 100 characters of text.", what)
		}
		return str, nil
	case KindIdentityLevel:
		if !isNum || num < 1 || num > 3 {
			return "", errs.Field("value", "An identity level must be the number 1, 2 or 3.")
		}
		return strconv.FormatInt(num, 10), nil
	case KindBirthYear:
		if !isNum || num < 1900 || num > int64(now.Year()) {
			return "", errs.Field("value", "A birth year must be a number from 1900 to %d.", now.Year())
		}
		return strconv.FormatInt(num, 10), nil
	}
	return "", errs.Field("kind", "The kind must be one of %s; %q is not.", strings.Join(Kinds, ", "), errs.Clip(kind, 40))
}

// typedValue turns a stored value back into its JSON type.
func typedValue(kind, stored string) any {
	if kind == KindIdentityLevel || kind == KindBirthYear {
		if n, err := strconv.ParseInt(stored, 10, 64); err == nil {
			return n
		}
	}
	return stored
}

// ClaimAttribute records a pending claim. A user may have one pending claim
// of each kind.
func (s *Service) ClaimAttribute(ctx context.Context, user User, c Claim) (Verification, error) {
	value, err := parseValue(c.Kind, c.Value, s.db.Now())
	if err != nil {
		return Verification{}, err
	}
	evidence := strings.TrimSpace(c.Evidence)
	if !utf8.ValidString(evidence) || utf8.RuneCountInString(evidence) > 2000 {
		return Verification{}, errs.Field("evidence", "The evidence must be text of at most 2000 characters.")
	}
	var v Verification
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		v = Verification{ID: store.NewID(tx.Now), User: user.Handle, Kind: c.Kind, Value: typedValue(c.Kind, value),
			Evidence: evidence, Status: VerPending, CreatedAt: tx.Now}
		_, err := tx.Exec(ctx, `INSERT INTO verifications (id, user_id, kind, value, evidence, status, created_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', $6)`, v.ID, user.ID, v.Kind, value, evidence, tx.Now)
		if errs.Is(err, errs.Conflict) {
			return errs.E(CodeClaimPending, "You already have a %s claim waiting for review; withdraw it first to claim a different value.", c.Kind)
		}
		if err != nil {
			return err
		}
		if err := s.invalidate(ctx, tx, userKey(user.ID)); err != nil {
			return err
		}
		return addVerificationEvent(ctx, tx, v.ID, "claimed", user.ID, "")
	})
	return v, err
}

func addVerificationEvent(ctx context.Context, tx *store.Tx, id, action, actorID, reason string) error {
	_, err := tx.Exec(ctx, `INSERT INTO verification_events (id, verification_id, action, actor_id, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6)`, store.NewID(tx.Now), id, action, actorID, reason, tx.Now)
	return err
}

const verificationSelect = `SELECT v.id, u.handle, v.kind, v.value, v.evidence, v.status, v.reason,
	COALESCE(d.handle, ''), v.decided_at, v.expires_at, v.created_at
	FROM verifications v JOIN users u ON u.id = v.user_id LEFT JOIN users d ON d.id = v.decided_by `

func scanVerifications(rows *store.Rows, now time.Time) ([]Verification, error) {
	defer rows.Close()
	var out []Verification
	for rows.Next() {
		var v Verification
		var value string
		if err := rows.Scan(&v.ID, &v.User, &v.Kind, &value, &v.Evidence, &v.Status, &v.Reason,
			&v.DecidedBy, &v.DecidedAt, &v.ExpiresAt, &v.CreatedAt); err != nil {
			return nil, err
		}
		v.Value = typedValue(v.Kind, value)
		v.Verified = isVerified(v.Status, v.ExpiresAt, now)
		out = append(out, v)
	}
	return out, rows.Err()
}

// Verification returns one verification.
func (s *Service) Verification(ctx context.Context, q store.Querier, id string) (Verification, error) {
	rows, err := q.Query(ctx, verificationSelect+`WHERE v.id = $1`, id)
	if err != nil {
		return Verification{}, err
	}
	vs, err := scanVerifications(rows, s.db.Now())
	if err != nil {
		return Verification{}, err
	}
	if len(vs) == 0 {
		return Verification{}, errs.E(errs.NotFound, "There is no verification %q.", errs.Clip(id, 40))
	}
	return vs[0], nil
}

// Claims lists a user's claims that still matter: every pending and
// approved one (at most two of each kind, so they always fit), then the
// most recent rejections and revocations.
func (s *Service) Claims(ctx context.Context, userID string) ([]Verification, error) {
	rows, err := s.db.Query(ctx, verificationSelect+`WHERE v.user_id = $1 AND v.status IN ('pending', 'approved', 'rejected', 'revoked')
		ORDER BY CASE WHEN v.status IN ('pending', 'approved') THEN 0 ELSE 1 END, v.created_at DESC, v.id DESC LIMIT 50`, userID)
	if err != nil {
		return nil, err
	}
	return scanVerifications(rows, s.db.Now())
}

func isVerified(status string, expires *time.Time, now time.Time) bool {
	return status == VerApproved && (expires == nil || expires.After(now))
}

// VerifiedOf picks the verified attributes out of a user's claims as
// Claims lists them: approved and unexpired (a newer approval of a kind
// supersedes the older, so there is one per kind).
func VerifiedOf(claims []Verification) map[string]any {
	out := map[string]any{}
	for _, c := range claims {
		if c.Verified {
			out[c.Kind] = c.Value
		}
	}
	return out
}

// Verified returns a user's verified attributes: approved and unexpired,
// the newest approval of each kind.
func (s *Service) Verified(ctx context.Context, q store.Querier, userID string) (map[string]any, error) {
	m, err := s.VerifiedMany(ctx, q, []string{userID})
	if err != nil {
		return nil, err
	}
	if m[userID] == nil {
		return map[string]any{}, nil
	}
	return m[userID], nil
}

// VerifiedMany returns the verified attributes of each of users that has
// any, as Verified does, read in q with a statement per chunk of users;
// kinds, if given, limits which attributes are read.
func (s *Service) VerifiedMany(ctx context.Context, q store.Querier, users []string, kinds ...string) (map[string]map[string]any, error) {
	out := make(map[string]map[string]any, len(users))
	now := s.db.Now()
	err := store.Chunks(len(users), func(lo, hi int) error {
		args := []any{now}
		for _, u := range users[lo:hi] {
			args = append(args, u)
		}
		only := ""
		if len(kinds) > 0 {
			only = ` AND kind IN (` + store.List(len(kinds), len(args)+1) + `)`
			for _, k := range kinds {
				args = append(args, k)
			}
		}
		rows, err := q.Query(ctx, `SELECT user_id, kind, value FROM verifications
			WHERE status = 'approved' AND (expires_at IS NULL OR expires_at > $1)
			AND user_id IN (`+store.List(hi-lo, 2)+`)`+only+` ORDER BY decided_at`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var user, kind, value string
			if err := rows.Scan(&user, &kind, &value); err != nil {
				return err
			}
			if out[user] == nil {
				out[user] = map[string]any{}
			}
			out[user][kind] = typedValue(kind, value) // the newest decision wins
		}
		return rows.Err()
	})
	return out, err
}

// IdentityLevels returns the verified identity level of each of users
// that has one (the others have level 0), read in q.
func (s *Service) IdentityLevels(ctx context.Context, q store.Querier, users []string) (map[string]int64, error) {
	verified, err := s.VerifiedMany(ctx, q, users, KindIdentityLevel)
	levels := make(map[string]int64, len(verified))
	for u, attrs := range verified {
		if n, ok := attrs[KindIdentityLevel].(int64); ok {
			levels[u] = n
		}
	}
	return levels, err
}

// VerificationQueue lists verifications with a status (pending by
// default), oldest first, for reviewers.
func (s *Service) VerificationQueue(ctx context.Context, reviewer User, status string, p store.Page) ([]Verification, string, error) {
	if !reviewer.CanReview() {
		return nil, "", errs.E(errs.Forbidden, "Only reviewers and admins can see the verification queue.")
	}
	if status == "" {
		status = VerPending
	}
	switch status {
	case VerPending, VerApproved, VerRejected, VerRevoked, VerSuperseded, VerWithdrawn:
	default:
		return nil, "", errs.Field("status", "The status must be pending, approved, rejected, revoked, superseded or withdrawn.")
	}
	args := []any{status, p.Limit + 1}
	where := `WHERE v.status = $1 `
	at, key, ok, err := p.AfterTime()
	if err != nil {
		return nil, "", err
	}
	if ok {
		where += `AND (v.created_at > $3 OR (v.created_at = $3 AND v.id > $4)) `
		args = append(args, at, key)
	}
	rows, err := s.db.Query(ctx, verificationSelect+where+`ORDER BY v.created_at, v.id LIMIT $2`, args...)
	if err != nil {
		return nil, "", err
	}
	vs, err := scanVerifications(rows, s.db.Now())
	if err != nil {
		return nil, "", err
	}
	vs, next := store.NextCursor(p, vs, func(v Verification) []string { return []string{store.Micros(v.CreatedAt), v.ID} })
	return vs, next, nil
}

// VerificationHistory lists what happened to a verification, oldest first.
func (s *Service) VerificationHistory(ctx context.Context, id string) ([]VerificationEvent, error) {
	rows, err := s.db.Query(ctx, `SELECT e.action, COALESCE(u.handle, ''), e.reason, e.at
		FROM verification_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.verification_id = $1 ORDER BY e.at, e.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []VerificationEvent
	for rows.Next() {
		var e VerificationEvent
		if err := rows.Scan(&e.Action, &e.Actor, &e.Reason, &e.At); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Decision is a reviewer's verdict on a verification.
type Decision struct {
	Reason    string     // required to reject or revoke
	ExpiresAt *time.Time // optional, for approvals
}

// Approve approves a pending claim. An earlier approval of the same kind is
// superseded in the same transaction.
func (s *Service) Approve(ctx context.Context, reviewer User, id string, d Decision) (Verification, error) {
	if d.ExpiresAt != nil && !d.ExpiresAt.After(s.db.Now()) {
		return Verification{}, errs.Field("expires_at", "The expiry must be in the future.")
	}
	return s.decide(ctx, reviewer, id, VerPending, VerApproved, d, func(tx *store.Tx, userID, kind string) error {
		rows, err := tx.Query(ctx, `SELECT id FROM verifications WHERE user_id = $1 AND kind = $2 AND status = 'approved' AND id <> $3`, userID, kind, id)
		if err != nil {
			return err
		}
		var older []string
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				rows.Close()
				return err
			}
			older = append(older, o)
		}
		rows.Close()
		for _, o := range older {
			if _, err := tx.Exec(ctx, `UPDATE verifications SET status = 'superseded' WHERE id = $1`, o); err != nil {
				return err
			}
			if err := addVerificationEvent(ctx, tx, o, "superseded", reviewer.ID, "replaced by "+id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Reject rejects a pending claim with a reason the user will see.
func (s *Service) Reject(ctx context.Context, reviewer User, id string, d Decision) (Verification, error) {
	return s.decide(ctx, reviewer, id, VerPending, VerRejected, d, nil)
}

// Revoke withdraws an approval, with a reason.
func (s *Service) Revoke(ctx context.Context, reviewer User, id string, d Decision) (Verification, error) {
	return s.decide(ctx, reviewer, id, VerApproved, VerRevoked, d, nil)
}

// Withdraw lets a user take back their own pending claim.
func (s *Service) Withdraw(ctx context.Context, user User, id string) (Verification, error) {
	var v Verification
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE verifications SET status = 'withdrawn' WHERE id = $1 AND user_id = $2 AND status = 'pending'`, id, user.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cur, err := s.Verification(ctx, tx, id)
			if err != nil || cur.User != user.Handle {
				return errs.E(errs.NotFound, "You have no claim %q.", errs.Clip(id, 40))
			}
			return errs.E(CodeAlreadyDecided, "This claim is %s and can no longer be withdrawn.", cur.Status)
		}
		if err := addVerificationEvent(ctx, tx, id, "withdrawn", user.ID, ""); err != nil {
			return err
		}
		if err := s.invalidate(ctx, tx, userKey(user.ID)); err != nil {
			return err
		}
		v, err = s.Verification(ctx, tx, id)
		return err
	})
	return v, err
}

func (s *Service) decide(ctx context.Context, reviewer User, id, from, to string, d Decision, also func(tx *store.Tx, userID, kind string) error) (Verification, error) {
	if !reviewer.CanReview() {
		return Verification{}, errs.E(errs.Forbidden, "Only reviewers and admins can decide verifications.")
	}
	reason := strings.TrimSpace(d.Reason)
	if (to == VerRejected || to == VerRevoked) && reason == "" {
		return Verification{}, errs.Field("reason", "A reason is required to %s a verification; the user will see it.", map[string]string{VerRejected: "reject", VerRevoked: "revoke"}[to])
	}
	if utf8.RuneCountInString(reason) > 500 {
		return Verification{}, errs.Field("reason", "The reason must be at most 500 characters.")
	}
	var v Verification
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var userID, kind, status string
		err := tx.QueryRow(ctx, `SELECT user_id, kind, status FROM verifications WHERE id = $1`, id).Scan(&userID, &kind, &status)
		if err == store.ErrNoRows {
			return errs.E(errs.NotFound, "There is no verification %q.", errs.Clip(id, 40))
		}
		if err != nil {
			return err
		}
		if userID == reviewer.ID {
			return errs.E(errs.Forbidden, "You cannot decide your own verification; another reviewer must.")
		}
		var expires any
		if to == VerApproved && d.ExpiresAt != nil {
			expires = d.ExpiresAt.UTC()
		}
		// The status condition makes two reviewers deciding at once safe:
		// only one update matches.
		res, err := tx.Exec(ctx, `UPDATE verifications SET status = $1, reason = $2, decided_by = $3, decided_at = $4,
			expires_at = CASE WHEN $1 = 'approved' THEN $5 ELSE expires_at END
			WHERE id = $6 AND status = $7`, to, reason, reviewer.ID, tx.Now, expires, id, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cur, err := s.Verification(ctx, tx, id)
			if err != nil {
				return err
			}
			return alreadyDecided(cur, to)
		}
		if also != nil {
			if err := also(tx, userID, kind); err != nil {
				return err
			}
		}
		if err := addVerificationEvent(ctx, tx, id, to, reviewer.ID, reason); err != nil {
			return err
		}
		if err := s.invalidate(ctx, tx, userKey(userID)); err != nil {
			return err
		}
		if err := s.CreditChanged(ctx, tx, userID); err != nil { // the identity level is a factor
			return err
		}
		if v, err = s.Verification(ctx, tx, id); err != nil {
			return err
		}
		if s.ClaimDecided == nil {
			return nil
		}
		return s.ClaimDecided(ctx, tx, userID, reviewer.ID, v)
	})
	return v, err
}

func alreadyDecided(cur Verification, wanted string) error {
	msg := fmt.Sprintf("This verification is %s", cur.Status)
	if cur.DecidedBy != "" && cur.DecidedAt != nil {
		msg += fmt.Sprintf(" (by @%s on %s)", cur.DecidedBy, cur.DecidedAt.Format("2006-01-02 15:04 UTC"))
	}
	switch wanted {
	case VerRevoked:
		msg += "; only an approved verification can be revoked."
	default:
		msg += "; only a pending claim can be decided."
	}
	return errs.E(CodeAlreadyDecided, "%s", msg)
}
