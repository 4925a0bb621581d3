// Package account owns users, their passwords and sessions, login
// throttling, and verified attributes (gender, student, employment,
// identity level, birth year) with their review flow.
package account

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/store"
)

// Role is a platform-wide role. Circle roles (owner, moderator …) are the
// circle package's.
type Role string

const (
	RoleUser     Role = "user"
	RoleReviewer Role = "reviewer"
	RoleAdmin    Role = "admin"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleUser, RoleReviewer, RoleAdmin:
		return r, nil
	}
	return "", errs.Field("role", "The role must be user, reviewer or admin, not %q.", s)
}

// Status says whether a user may sign in.
type Status string

const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// User is a person with an account.
type User struct {
	ID          string    `json:"id"`
	Handle      string    `json:"handle"`
	DisplayName string    `json:"display_name"`
	Role        Role      `json:"role"`
	Status      Status    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

// CanReview reports whether u may decide verifications and review content.
func (u User) CanReview() bool { return u.Role == RoleReviewer || u.Role == RoleAdmin }

// Config holds the account rules an operator can tune.
type Config struct {
	SessionIdle   time.Duration // a session unused this long ends
	SessionMaxAge time.Duration // a session ends this long after login, used or not
	Throttle      ThrottleConfig
}

// DefaultConfig is what quanzi serve uses unless told otherwise.
var DefaultConfig = Config{
	SessionIdle:   14 * 24 * time.Hour,
	SessionMaxAge: 30 * 24 * time.Hour,
	Throttle:      DefaultThrottle,
}

// Service runs account operations against the database.
type Service struct {
	db     *store.DB
	hasher *Hasher
	cfg    Config
	// dummyHash is verified against when a handle does not exist, so an
	// unknown handle takes as long to refuse as a wrong password.
	dummyHash string
	cache     *principalCache
	hooksMu   sync.Mutex
	hooks     []invalidationHook // other caches' keys (OnInvalidation)

	// Outbox carries the events this service announces: the changes of
	// credit inputs (CreditChanged). Set it before use; nil announces
	// nothing.
	Outbox *event.Outbox
	// ClaimDecided, if set, is told in the deciding transaction that a
	// reviewer approved, rejected or revoked one of userID's claims (v, as
	// decided), so the user hears of it together with the decision
	// (notify.Service.ClaimDecided). An error from it fails the decision.
	ClaimDecided func(ctx context.Context, tx *store.Tx, userID, reviewerID string, v Verification) error
}

// New returns the account service.
func New(db *store.DB, hasher *Hasher, cfg Config) *Service {
	s := &Service{db: db, hasher: hasher, cfg: cfg, cache: newPrincipalCache()}
	s.dummyHash = encodePHC(hasher.Params, make([]byte, 16), make([]byte, 32))
	return s
}

// Handle rules: 3 to 30 characters, lower-case ASCII letters, digits and
// underscores, starting with a letter. Handles are case-insensitive: they
// are stored and compared in lower case.
const (
	MinHandleLen = 3
	MaxHandleLen = 30
)

var reservedHandles = map[string]bool{
	"admin": true, "administrator": true, "root": true, "system": true, "quanzi": true,
	"support": true, "security": true, "me": true, "api": true, "help": true, "official": true,
}

// Person is a user as others see them in lists, posts and notifications.
type Person struct {
	Handle      string `json:"handle"`
	DisplayName string `json:"display_name"`
}

// NormalizeHandle checks a handle and returns its canonical (lower-case) form.
func NormalizeHandle(h string) (string, error) {
	h = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
	if h == "" {
		return "", errs.Field("handle", "A handle is required.")
	}
	if n := utf8.RuneCountInString(h); n < MinHandleLen || n > MaxHandleLen {
		return "", errs.Field("handle", "A handle must be %d to %d characters long; %q has %d.", MinHandleLen, MaxHandleLen, errs.Clip(h, 40), n)
	}
	for i, r := range h {
		ok := r >= 'a' && r <= 'z' || r == '_' || r >= '0' && r <= '9'
		if !ok || i == 0 && !(r >= 'a' && r <= 'z') {
			return "", errs.Field("handle", "A handle may use only the letters a–z, digits and underscores, and must start with a letter.")
		}
	}
	return h, nil
}

// MaxDisplayNameLen is the longest display name, in characters.
const MaxDisplayNameLen = 50

// CheckDisplayName trims a display name and checks it.
func CheckDisplayName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) {
		return "", errs.Field("display_name", "The display name must be valid UTF-8 text.").
			Say("zh", "昵称必须是有效的 UTF-8 文字。")
	}
	if n := utf8.RuneCountInString(name); n > MaxDisplayNameLen {
		return "", errs.Field("display_name", "The display name must be at most %d characters long; it has %d.", MaxDisplayNameLen, n).
			Say("zh", "昵称最多 %d 个字符，现在有 %d 个。", MaxDisplayNameLen, n)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '\u200b' || r == '\u202e' {
			return "", errs.Field("display_name", "The display name may not contain control or invisible characters.").
				Say("zh", "昵称不能包含控制字符或不可见字符。")
		}
	}
	return name, nil
}

// NewUser is what registration needs.
type NewUser struct {
	Handle      string
	Password    string
	DisplayName string
	Role        Role
}

// Register creates a user. Everything is checked before anything is
// written; a taken handle is a handle_taken conflict.
func (s *Service) Register(ctx context.Context, nu NewUser) (User, error) {
	return s.create(ctx, "", false, nu)
}

// CreateUser is Register for operators: it may set any role and take a
// reserved handle, and the audit log records who made the account (actorID
// is empty when it is made from the command line).
func (s *Service) CreateUser(ctx context.Context, actorID string, nu NewUser) (User, error) {
	return s.create(ctx, actorID, true, nu)
}

func (s *Service) create(ctx context.Context, actorID string, operator bool, nu NewUser) (User, error) {
	handle, err := NormalizeHandle(nu.Handle)
	if err != nil {
		return User{}, err
	}
	if reservedHandles[handle] && !operator {
		return User{}, errs.Field("handle", "The handle %q is reserved; please choose another.", handle)
	}
	display, err := CheckDisplayName(nu.DisplayName)
	if err != nil {
		return User{}, err
	}
	if display == "" {
		display = handle
	}
	if nu.Role == "" || !operator { // people who sign up themselves are users
		nu.Role = RoleUser
	}
	if _, err := ParseRole(string(nu.Role)); err != nil {
		return User{}, err
	}
	if err := CheckPassword(nu.Password); err != nil {
		return User{}, err
	}
	if taken, err := s.handleTaken(ctx, handle); err != nil {
		return User{}, err
	} else if taken { // answer early without spending a hash
		return User{}, handleTaken(handle)
	}
	hash, err := s.hasher.Hash(ctx, nu.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		u = User{ID: store.NewID(tx.Now), Handle: handle, DisplayName: display, Role: nu.Role, Status: StatusActive, CreatedAt: tx.Now}
		_, err := tx.Exec(ctx, `INSERT INTO users (id, handle, display_name, password_hash, role, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)`, u.ID, u.Handle, u.DisplayName, hash, u.Role, tx.Now)
		if errs.Is(err, errs.Conflict) {
			return handleTaken(handle)
		}
		if err != nil || !operator {
			return err
		}
		return audit.Record(ctx, tx, actorID, "user.create", "user", u.ID, map[string]any{"handle": u.Handle, "role": u.Role})
	})
	return u, err
}

// CodeHandleTaken is the conflict of registering a handle someone has.
const CodeHandleTaken errs.Code = "handle_taken"

func handleTaken(h string) error {
	return &errs.Error{Code: CodeHandleTaken, Field: "handle", Message: "The handle \"" + h + "\" is already taken; please choose another."}
}

func (s *Service) handleTaken(ctx context.Context, handle string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE handle = $1`, handle).Scan(&n)
	return n > 0, err
}

const userColumns = `id, handle, display_name, role, status, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Handle, &u.DisplayName, &u.Role, &u.Status, &u.CreatedAt)
	return u, err
}

// UserByHandle finds a user by handle (any case, with or without "@").
func (s *Service) UserByHandle(ctx context.Context, q store.Querier, handle string) (User, error) {
	h, err := NormalizeHandle(handle)
	if err != nil {
		return User{}, errs.E(errs.NotFound, "There is no user @%s.", errs.Clip(handle, 40))
	}
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE handle = $1`, h))
	if err == store.ErrNoRows {
		return User{}, errs.E(errs.NotFound, "There is no user @%s.", h)
	}
	return u, err
}

// UsersByHandle finds users by handle, in q, for many at once: handles
// must be normalized (NormalizeHandle); those that name no user are not in
// the map.
func (s *Service) UsersByHandle(ctx context.Context, q store.Querier, handles []string) (map[string]User, error) {
	users := make(map[string]User, len(handles))
	err := store.Chunks(len(handles), func(lo, hi int) error {
		args := make([]any, hi-lo)
		for i, h := range handles[lo:hi] {
			args[i] = h
		}
		rows, err := q.Query(ctx, `SELECT `+userColumns+` FROM users WHERE handle IN (`+store.List(hi-lo, 1)+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			users[u.Handle] = u
		}
		return rows.Err()
	})
	return users, err
}

// UserByID finds a user by id.
func (s *Service) UserByID(ctx context.Context, q store.Querier, id string) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err == store.ErrNoRows {
		return User{}, errs.E(errs.NotFound, "There is no such user.")
	}
	return u, err
}

// SetStatus enables or disables an account. Disabling ends every session
// of the account in the same transaction, so it takes effect at once.
// It is the operator's off switch, not moderation's sanction: that is a
// suspension (suspension.go), told, timed and appealable.
func (s *Service) SetStatus(ctx context.Context, actor User, handle string, status Status, reason string) (User, error) {
	if actor.Role != RoleAdmin {
		return User{}, errs.E(errs.Forbidden, "Only admins can enable or disable accounts.")
	}
	if status != StatusActive && status != StatusDisabled {
		return User{}, errs.Field("status", "The status must be active or disabled.")
	}
	var u User
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = s.UserByHandle(ctx, tx, handle); err != nil {
			return err
		}
		if u.ID == actor.ID && status == StatusDisabled {
			return errs.E(errs.Invalid, "You cannot disable your own account.")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET status = $1, updated_at = $2 WHERE id = $3`, status, tx.Now, u.ID); err != nil {
			return err
		}
		if status == StatusDisabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
				return err
			}
		}
		if err := s.invalidate(ctx, tx, userKey(u.ID)); err != nil {
			return err
		}
		u.Status = status
		return audit.Record(ctx, tx, actor.ID, "user."+string(status), "user", u.ID, map[string]any{"reason": reason})
	})
	return u, err
}

// SetRole changes a user's platform role.
func (s *Service) SetRole(ctx context.Context, actor User, handle string, role Role) (User, error) {
	if actor.Role != RoleAdmin {
		return User{}, errs.E(errs.Forbidden, "Only admins can change roles.")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = s.UserByHandle(ctx, tx, handle); err != nil {
			return err
		}
		if u.ID == actor.ID && role != RoleAdmin {
			return errs.E(errs.Invalid, "You cannot take away your own admin role; ask another admin.")
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, role, tx.Now, u.ID); err != nil {
			return err
		}
		if err := s.invalidate(ctx, tx, userKey(u.ID)); err != nil {
			return err
		}
		old := u.Role
		u.Role = role
		return audit.Record(ctx, tx, actor.ID, "user.role", "user", u.ID, map[string]any{"from": old, "to": role})
	})
	return u, err
}
