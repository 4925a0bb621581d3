package account

import (
	"context"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// A suspension is the platform's moderation sanction on an account: for a
// term or until lifted, with a reason the user is told, and appealable
// once. Moderation decides and records it (a strike of kind suspension);
// this part enforces it: the account's sessions end at once, signing in is
// refused with the reason, and the wallet may receive but not send.
//
// It is distinct from disabling (SetStatus), the operator's off switch for
// an account — closed at its owner's request, compromised, held for legal
// reasons: a disabled account looks as if it did not exist to sign-in,
// cannot receive money, ends when an admin enables it and is not a
// moderation decision, so it is neither told nor appealed.

// CodeSuspended refuses signing in to a suspended account.
const CodeSuspended errs.Code = "account_suspended"

// appealTokenPrefix starts an appeal token: "qa_" and 256 random bits.
const appealTokenPrefix = "qa_"

// Suspension is a suspension in force.
type Suspension struct {
	ID        string     `json:"id"` // the strike, for an appeal
	Reason    string     `json:"reason"`
	Note      string     `json:"note,omitempty"`
	Until     *time.Time `json:"until"` // null: until lifted
	CreatedAt time.Time  `json:"created_at"`
}

// Ends says when the suspension ends, in words.
func (sp Suspension) Ends() string {
	if sp.Until == nil {
		return "until it is lifted"
	}
	return "until " + sp.Until.UTC().Format("2006-01-02 15:04 UTC")
}

// inForce is the condition on strikes s for a suspension in force at the
// time in parameter now ("$2").
func inForce(now string) string {
	return `s.kind = 'suspension' AND s.revoked_at IS NULL AND (s.ends_at IS NULL OR s.ends_at > ` + now + `)`
}

// SuspensionOf returns the suspension in force on the user, or nil.
func SuspensionOf(ctx context.Context, q store.Querier, userID string, now time.Time) (*Suspension, error) {
	var sp Suspension
	err := q.QueryRow(ctx, `SELECT s.id, s.reason, s.note, s.ends_at, s.created_at FROM strikes s WHERE s.user_id = $1 AND `+inForce("$2")+`
		ORDER BY s.created_at DESC LIMIT 1`, userID, now).Scan(&sp.ID, &sp.Reason, &sp.Note, &sp.Until, &sp.CreatedAt)
	if err == store.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &sp, nil
}

// SuspendedAmong returns the suspensions in force on any of the users.
func SuspendedAmong(ctx context.Context, q store.Querier, userIDs []string, now time.Time) (map[string]Suspension, error) {
	out := map[string]Suspension{}
	if len(userIDs) == 0 {
		return out, nil
	}
	args := []any{now}
	for _, id := range userIDs {
		args = append(args, id)
	}
	rows, err := q.Query(ctx, `SELECT s.user_id, s.id, s.reason, s.note, s.ends_at, s.created_at FROM strikes s
		WHERE s.user_id IN (`+store.List(len(userIDs), 2)+`) AND `+inForce("$1"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var uid string
		var sp Suspension
		if err := rows.Scan(&uid, &sp.ID, &sp.Reason, &sp.Note, &sp.Until, &sp.CreatedAt); err != nil {
			return nil, err
		}
		out[uid] = sp
	}
	return out, rows.Err()
}

// EndSessions ends every session of a user in tx, on every node, as a
// suspension does at once.
func (s *Service) EndSessions(ctx context.Context, tx *store.Tx, userID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return err
	}
	return s.invalidate(ctx, tx, userKey(userID))
}

// refuseSuspended answers a correct sign-in to a suspended account: the
// reason, the end, and a fresh appeal token for this suspension (the
// previous one stops working), which POST /api/v1/appeals accepts in place
// of a session. Only someone who knows the password learns any of it.
func (s *Service) refuseSuspended(ctx context.Context, sp *Suspension) error {
	token, hash := NewToken()
	token = appealTokenPrefix + strings.TrimPrefix(token, tokenPrefix)
	hash = hashToken(token)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE strikes SET appeal_token_hash = $1 WHERE id = $2`, hash, sp.ID)
		return err
	})
	if err != nil {
		return err
	}
	msg := "Your account is suspended " + sp.Ends() + " (" + strings.ReplaceAll(sp.Reason, "_", " ") + ")."
	if sp.Note != "" {
		msg += " " + sp.Note
	}
	msg += " You may appeal once: POST /api/v1/appeals with this appeal_token and your reasons."
	return &errs.Error{Code: CodeSuspended, Message: msg,
		Extra: map[string]any{"suspension": sp, "appeal_token": token}}
}

// SuspensionByAppealToken returns the user and the suspension an appeal
// token from a refused sign-in was given for, while that suspension is in
// force; any other token is unauthenticated.
func SuspensionByAppealToken(ctx context.Context, q store.Querier, token string, now time.Time) (User, Suspension, error) {
	var u User
	var sp Suspension
	bad := errs.E(errs.Unauthenticated, "The appeal token is not valid, or the suspension it was given for has ended; sign in again.")
	if !strings.HasPrefix(token, appealTokenPrefix) || len(token) != len(appealTokenPrefix)+43 {
		return u, sp, bad
	}
	err := q.QueryRow(ctx, `SELECT u.id, u.handle, u.display_name, u.role, u.status, u.created_at, s.id, s.reason, s.note, s.ends_at, s.created_at
		FROM strikes s JOIN users u ON u.id = s.user_id WHERE s.appeal_token_hash = $1 AND `+inForce("$2"), hashToken(token), now).
		Scan(&u.ID, &u.Handle, &u.DisplayName, &u.Role, &u.Status, &u.CreatedAt, &sp.ID, &sp.Reason, &sp.Note, &sp.Until, &sp.CreatedAt)
	if err == store.ErrNoRows {
		return u, sp, bad
	}
	return u, sp, err
}
