// Package circle is quanzi's communities: circles in categories, open
// (found in the directory) or closed (entered by invitation only), where
// the owner sets with explicit rules who may join, see, post, comment, tip
// and invite. It owns membership — roles, invite codes, join requests,
// bans — and the directory search.
//
// Privacy is decided in one place, load: a closed circle, to anyone who is
// not a member, is indistinguishable from one that does not exist.
package circle

import (
	"context"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Visibility and review settings.
const (
	Open   = "open"
	Closed = "closed"

	ReviewNone  = "none"  // posts appear at once
	ReviewMedia = "media" // posts with pictures wait for a reviewer
	ReviewAll   = "all"   // every post waits for a reviewer
)

// Roles in a circle, from least to most. "none" and "pending" are what
// policies see for non-members and applicants.
const (
	RoleNone      = "none"
	RolePending   = "pending"
	RoleMember    = "member"
	RoleModerator = "moderator"
	RoleAdmin     = "admin"
	RoleOwner     = "owner"
)

var rank = map[string]int{RoleNone: 0, RolePending: 0, RoleMember: 1, RoleModerator: 2, RoleAdmin: 3, RoleOwner: 4}

// Error codes.
const (
	CodeSlugTaken       errs.Code = "slug_taken"
	CodeUnknownCategory errs.Code = "unknown_category"
	CodeAlreadyMember   errs.Code = "already_member"
	CodeBanned          errs.Code = "banned"
	CodeMuted           errs.Code = "muted"
	CodeInviteExpired   errs.Code = "invite_expired"
	CodeInviteUsedUp    errs.Code = "invite_used_up"
	CodeInviteRevoked   errs.Code = "invite_revoked"
	CodeInviteRequired  errs.Code = "invite_required"
	CodeAlreadyDecided            = account.CodeAlreadyDecided // a join request, like a claim
	CodeRequestPending  errs.Code = "request_pending"
	CodeArchived        errs.Code = "circle_archived"
	CodeShut            errs.Code = "circle_shut"
)

// Limits on what owners write.
const (
	MaxName        = 40
	MaxDescription = 2000
	MaxRules       = 5000
	MaxQuestion    = 300
	MaxAnswer      = 1000
	MaxReason      = 500
)

// Service runs circles.
type Service struct {
	db *store.DB
	// Notifier, when set, hears in the deciding transaction what users
	// must be told: their join requests decided.
	Notifier Notifier

	rows      *rowCache                        // circles' rows (rowcache.go)
	standings *store.Cache[string, *standings] // users' standings (standingcache.go)
	inv       Invalidator                      // set by ShareInvalidations
}

// Notifier adds notifications inside a transaction (notify.Service).
type Notifier interface {
	Add(ctx context.Context, tx *store.Tx, n notify.Note) error
}

// New returns the circle service.
func New(db *store.DB) *Service {
	return &Service{db: db, rows: newRowCache(), standings: store.NewCache[string, *standings](standingTTL, standingMax)}
}

// Actor is who is asking: a signed-in user with their verified attributes
// and credit score, or nobody (Anonymous).
type Actor struct {
	User      account.User
	Verified  map[string]any
	Credit    *credit.Score
	Anonymous bool
	// Blocked is everyone the user blocked or was blocked by, when
	// BlocksKnown (from an authenticated session).
	Blocked     map[string]bool
	BlocksKnown bool
}

// ActorOf returns the actor for a signed-in session.
func ActorOf(sess account.Session) Actor {
	return Actor{User: sess.User, Verified: sess.Verified(), Credit: sess.Credit, Blocked: sess.Blocked, BlocksKnown: sess.BlocksKnown}
}

// Policies are a circle's rules, one CEL expression per action; an empty
// one has the default meaning described in DESIGN.md.
type Policies struct {
	Join    string `json:"join"`
	View    string `json:"view"`
	Post    string `json:"post"`
	Comment string `json:"comment"`
	Tip     string `json:"tip"`
	Invite  string `json:"invite"`
}

func (p *Policies) of(a policy.Action) *string {
	switch a {
	case policy.Join:
		return &p.Join
	case policy.View:
		return &p.View
	case policy.Post:
		return &p.Post
	case policy.Comment:
		return &p.Comment
	case policy.Tip:
		return &p.Tip
	default:
		return &p.Invite
	}
}

// Circle is a circle as a caller sees it.
type Circle struct {
	ID           string   `json:"id"`
	Slug         string   `json:"slug"`
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	Rules        string   `json:"rules,omitempty"` // the house rules: members only
	Category     string   `json:"category"`
	Visibility   string   `json:"visibility"`
	Review       string   `json:"review"`
	JoinApproval bool     `json:"join_approval"`
	JoinQuestion string   `json:"join_question,omitempty"`
	Policies     Policies `json:"policies"`
	Tips         Tips     `json:"tips"`
	// TipHoldHours is how long tips on a post stay held for its author
	// before they can be spent; a post removed meanwhile has its tips
	// refunded. 0: tips are free at once.
	TipHoldHours int64 `json:"tip_hold_hours"`
	// SlowModeSeconds is the least time between one member's posts or
	// comments here; PostsPerDay how many posts one member may make here
	// in a day. 0: no limit. Moderators are not held to either.
	SlowModeSeconds int64     `json:"slow_mode_seconds"`
	PostsPerDay     int64     `json:"posts_per_day"`
	Owner           string    `json:"owner"` // handle
	MemberCount     int       `json:"member_count"`
	Archived        bool      `json:"archived"`
	CreatedAt       time.Time `json:"created_at"`

	// ShutAt and ShutReason: the platform shut the circle (closed it to
	// all but its staff, who alone see these). Not "closed": that is an
	// invite-only circle's visibility.
	ShutAt     *time.Time `json:"shut_at,omitempty"`
	ShutReason string     `json:"shut_reason,omitempty"`
	// For the caller: their place in the circle and what they may do.
	Me *Standing `json:"me,omitempty"`

	ownerID string
	rowTime time.Time // joined_at of the caller's membership
}

// Standing is the caller's place in a circle.
type Standing struct {
	Role     string     `json:"role"` // none, pending, member, moderator, admin, owner
	JoinedAt *time.Time `json:"joined_at,omitempty"`
	Banned   *Ban       `json:"banned,omitempty"`
	// MutedUntil: a moderator's strike muted the member here (no posting
	// or commenting) until then.
	MutedUntil *time.Time       `json:"muted_until,omitempty"`
	Rights     map[string]Right `json:"rights"`
}

// Right says whether the caller may take an action, and why not.
type Right struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
	// ReasonZH is Reason in Chinese, for a denial by the circle's rule
	// (which policy words in both languages). Other reasons are fixed
	// sentences that the web app translates itself, so it is empty for
	// them; the API shows English only.
	ReasonZH string `json:"-"`
}

const circleColumns = `c.id, c.slug, c.name, c.description, c.rules_text, c.category, c.visibility, c.review,
	c.join_approval, c.join_question, c.policy_join, c.policy_view, c.policy_post, c.policy_comment, c.policy_tip,
	c.policy_invite, c.tip_fee_bps, c.tip_min, c.tip_max, c.tip_daily_cap, c.tip_hold_hours, c.slow_mode_seconds, c.posts_per_day, u.handle, c.owner_id, c.member_count,
	c.archived_at, c.shut_at, c.shut_reason, c.created_at`

const circleFrom = ` FROM circles c JOIN users u ON u.id = c.owner_id `

// scanCircle reads circleColumns, then any extra columns into extra.
func scanCircle(row interface{ Scan(...any) error }, extra ...any) (Circle, error) {
	var c Circle
	var archived *time.Time
	err := row.Scan(append([]any{&c.ID, &c.Slug, &c.Name, &c.Description, &c.Rules, &c.Category, &c.Visibility, &c.Review,
		&c.JoinApproval, &c.JoinQuestion, &c.Policies.Join, &c.Policies.View, &c.Policies.Post, &c.Policies.Comment,
		&c.Policies.Tip, &c.Policies.Invite, &c.Tips.FeeBPS, &c.Tips.Min, &c.Tips.Max, &c.Tips.DailyCap, &c.TipHoldHours, &c.SlowModeSeconds, &c.PostsPerDay, &c.Owner, &c.ownerID,
		&c.MemberCount, &archived, &c.ShutAt, &c.ShutReason, &c.CreatedAt}, extra...)...)
	c.Archived = archived != nil
	return c, err
}

// view is a loaded circle with the actor's standing in it.
type view struct {
	Circle
	role     string // the actor's role: none, pending, member …
	joinedAt time.Time
	ban      *Ban
	// mutedUntil and muteReason: a mute in force or past (may checks).
	mutedUntil *time.Time
	muteReason string
}

func (v *view) member() bool { return rank[v.role] >= rank[RoleMember] }

// notFound is the one answer for a circle that does not exist and for one
// the actor may not know of: the same code and the same words.
func notFound(ref string) error {
	return errs.E(errs.NotFound, "There is no circle %q.", errs.Clip(ref, 60))
}

// load finds a circle by id or slug as actor may see it. A closed or
// archived circle is found only by its members; to everyone else — the
// anonymous, outsiders, applicants, the banned and the removed — it does
// not exist. A circle the platform shut is found only by the platform's
// staff (reviewers and admins), its owner and members included.
func (s *Service) load(ctx context.Context, q store.Querier, a Actor, ref string) (*view, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 100 {
		return nil, notFound(ref)
	}
	c, err := s.row(ctx, q, ref)
	if err == store.ErrNoRows {
		return nil, notFound(ref)
	}
	if err != nil {
		return nil, err
	}
	if c.ShutAt != nil && (a.Anonymous || !a.User.CanReview()) {
		return nil, notFound(ref)
	}
	v := &view{Circle: c, role: RoleNone}
	if !a.Anonymous {
		if err := s.standing(ctx, q, v, a.User.ID); err != nil {
			return nil, err
		}
	}
	if (c.Visibility == Closed || c.Archived) && !v.member() {
		return nil, notFound(ref)
	}
	return v, nil
}

// standing fills in the user's membership, or for a non-member a ban in
// force or a request waiting for a moderator: every read of a circle by a
// signed-in user asks. Outside a write transaction it comes from the
// standings cache; inside one, from one statement.
func (s *Service) standing(ctx context.Context, q store.Querier, v *view, userID string) error {
	if _, writing := q.(*store.Tx); !writing {
		st, ok, err := s.cachedStandings(ctx, q, userID)
		if err != nil {
			return err
		}
		if ok {
			var m *membership
			if mm, member := st.member[v.ID]; member {
				m = &mm
			}
			until, banned := st.banned[v.ID]
			return s.fillStanding(ctx, q, v, userID, m, st.pending[v.ID], banned && (until == nil || until.After(s.db.Now())))
		}
	}
	var role, muteReason *string
	var joined, mutedUntil *time.Time
	var pending, banned bool
	err := q.QueryRow(ctx, `SELECT m.role, m.joined_at, m.muted_until, m.mute_reason,
			EXISTS (SELECT 1 FROM circle_join_requests r WHERE r.circle_id = $1 AND r.user_id = $2 AND r.status = 'pending'),
			EXISTS (SELECT 1 FROM circle_bans b WHERE b.circle_id = $1 AND b.user_id = $2 AND (b.until IS NULL OR b.until > $3))
		FROM (SELECT 1 AS one) x LEFT JOIN circle_members m ON m.circle_id = $1 AND m.user_id = $2`,
		v.ID, userID, s.db.Now()).Scan(&role, &joined, &mutedUntil, &muteReason, &pending, &banned)
	if err != nil {
		return err
	}
	var m *membership
	if role != nil {
		m = &membership{role: *role, joinedAt: *joined, mutedUntil: mutedUntil, muteReason: *muteReason}
	}
	return s.fillStanding(ctx, q, v, userID, m, pending, banned)
}

// fillStanding sets v's standing: a member's role and mute, or for anyone
// else a request waiting and a ban in force (whose details it reads).
func (s *Service) fillStanding(ctx context.Context, q store.Querier, v *view, userID string, m *membership, pending, banned bool) error {
	if m != nil {
		v.role, v.joinedAt, v.mutedUntil, v.muteReason = m.role, m.joinedAt, m.mutedUntil, m.muteReason
		return nil
	}
	if pending {
		v.role = RolePending
	}
	if banned {
		var err error
		v.ban, err = s.activeBan(ctx, q, v.ID, userID)
		return err
	}
	return nil
}

// Get returns a circle with the caller's standing and rights in it.
func (s *Service) Get(ctx context.Context, a Actor, ref string) (Circle, error) {
	v, err := s.load(ctx, s.db, a, ref)
	if err != nil {
		return Circle{}, err
	}
	return s.present(a, v), nil
}

// present shapes a loaded circle for the actor: the house rules for
// members only, and the actor's rights.
func (s *Service) present(a Actor, v *view) Circle {
	c := v.Circle
	if !v.member() {
		c.Rules = ""
	}
	st := &Standing{Role: v.role, Banned: v.ban, Rights: map[string]Right{}}
	if v.muted() {
		st.MutedUntil = v.mutedUntil
	}
	if v.member() {
		t := v.joinedAt
		st.JoinedAt = &t
	}
	for _, act := range policy.Actions() {
		err := s.may(a, v, act)
		r := Right{Allowed: err == nil}
		if err != nil {
			e := errs.As(err)
			r.Reason = e.Message
			if zh := e.In("zh"); zh != e.Message {
				r.ReasonZH = zh
			}
		}
		st.Rights[string(act)] = r
	}
	if !a.Anonymous {
		c.Me = st
	}
	return c
}

// input is what a rule sees.
func input(a Actor, v *view) policy.Input {
	in := policy.Input{
		Member: policy.Member{Role: v.role},
		Circle: policy.Circle{ID: v.ID, Category: v.Category, Visibility: v.Visibility},
	}
	if v.member() {
		in.Member.TenureDays = days(v.joinedAt, time.Now())
	}
	in.User = a.PolicyUser()
	return in
}

// PolicyUser is the actor as rules see it (user.*): for circles here, and
// for rollout segments.
func (a Actor) PolicyUser() policy.User {
	if a.Anonymous {
		return policy.User{Verified: map[string]any{}}
	}
	score := int64(credit.Min) // no score yet: the floor, until the credit part computes one
	if a.Credit != nil {
		score = int64(a.Credit.Score)
	}
	verified := forRules(a.Verified)
	if verified == nil {
		verified = map[string]any{}
	}
	return policy.User{ID: a.User.ID, Handle: a.User.Handle, Verified: verified, CreditScore: score,
		AccountAgeDays: days(a.User.CreatedAt, time.Now()), Roles: []string{string(a.User.Role)}}
}

// forRules gives rules the verified attributes in the types they declare:
// a verified student status is true (the school's name stays out of rules).
func forRules(verified map[string]any) map[string]any {
	if _, ok := verified[account.KindStudent]; !ok {
		return verified
	}
	out := make(map[string]any, len(verified))
	for k, v := range verified {
		out[k] = v
	}
	out[account.KindStudent] = true
	return out
}

func days(since, now time.Time) int64 {
	if since.IsZero() || now.Before(since) {
		return 0
	}
	return int64(now.Sub(since) / (24 * time.Hour))
}

// may says whether the actor may take action in the loaded circle: nil,
// or a refusal that says why.
func (s *Service) may(a Actor, v *view, act policy.Action) error {
	what := act.Verb()
	if a.Anonymous {
		if act == policy.View && v.Visibility == Open && v.Policies.View == "" {
			return nil
		}
		return errs.E(errs.Unauthenticated, "Sign in for %s.", what).Say("zh", "请先登录再%s。", verbZH(act))
	}
	if v.ban != nil {
		return v.ban.refusal()
	}
	if v.ShutAt != nil && act != policy.View {
		return v.shutRefusal()
	}
	if v.Archived && act != policy.View {
		return errs.E(CodeArchived, "This circle is archived: it can be read, but nothing new can happen in it.")
	}
	switch act {
	case policy.Join:
		return s.mayJoin(a, v, false)
	case policy.View:
		if v.Visibility == Closed && !v.member() {
			return notFound(v.ID)
		}
	case policy.Invite:
		if rank[v.role] >= rank[RoleModerator] {
			return nil // managing membership is part of moderating
		}
		fallthrough
	default:
		if !v.member() {
			return errs.E(errs.Forbidden, "Only members may take part in %s (%s); join it first.", v.Name, what).
				Say("zh", "只有 %s 的成员才能%s；请先加入。", v.Name, verbZH(act))
		}
		if (act == policy.Post || act == policy.Comment) && v.muted() {
			until := v.mutedUntil.UTC().Format("2006-01-02 15:04 UTC")
			return errs.E(CodeMuted, "A moderator muted you in %s until %s (%s): you cannot post or comment there until then.",
				v.Name, until, strings.ReplaceAll(v.muteReason, "_", " ")).
				Say("zh", "版主在 %s 将你禁言至 %s（%s）：在此之前你不能在那里发帖或评论。", v.Name, until, reasonZH(v.muteReason))
		}
	}
	return check(*v.Policies.of(act), act, a, v)
}

// shutRefusal is what the platform's staff, the only ones who still see a
// shut circle, hear when they try to act in it.
func (v *view) shutRefusal() error {
	return errs.E(CodeShut, "The platform closed %s (%s): it can be read by the platform's staff, but nothing can happen in it until it is reopened.",
		v.Name, strings.ReplaceAll(v.ShutReason, "_", " ")).
		Say("zh", "平台关闭了 %s（%s）：平台工作人员仍可查看，但在重新开放之前，其中不能有任何新动态。", v.Name, reasonZH(v.ShutReason))
}

// muted says whether a mute is in force on the actor.
func (v *view) muted() bool { return v.mutedUntil != nil && time.Now().Before(*v.mutedUntil) }

// mayJoin says whether the actor may join the loaded circle, holding one
// of its invite codes or not.
func (s *Service) mayJoin(a Actor, v *view, invited bool) error {
	switch {
	case a.Anonymous:
		return errs.E(errs.Unauthenticated, "Sign in to join a circle.")
	case v.ban != nil:
		return v.ban.refusal()
	case v.ShutAt != nil:
		return v.shutRefusal()
	case v.Archived:
		return errs.E(CodeArchived, "This circle is archived: it takes no new members.")
	case v.member():
		return errs.E(CodeAlreadyMember, "You are already a member of %s.", v.Name).Say("zh", "你已经是 %s 的成员了。", v.Name)
	case v.role == RolePending:
		return errs.E(CodeRequestPending, "Your request to join %s is waiting for a moderator.", v.Name).
			Say("zh", "你加入 %s 的申请正在等待版主处理。", v.Name)
	case v.Visibility == Closed && !invited:
		return errs.E(CodeInviteRequired, "%s is invitation-only: join with an invite code from a member.", v.Name).
			Say("zh", "%s 仅限邀请加入：请使用成员给你的邀请码。", v.Name)
	}
	return check(v.Policies.Join, policy.Join, a, v)
}

// check evaluates a stored rule for the actor in the circle. Rules are
// compiled when saved, so a rule that no longer compiles (the language
// changed) refuses rather than allows. Without a rule it builds no input:
// most circles leave most actions open, and the home feed asks about every
// circle the reader joined.
func check(expr string, act policy.Action, a Actor, v *view) error {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	rule, err := policy.Compile(expr)
	if err != nil {
		return errs.E(errs.Forbidden, "This circle's rule for %s cannot be checked right now; ask its owner to save it again.", act.Verb()).
			Say("zh", "这个圈子关于%s的规则现在无法检查；请圈主重新保存它。", verbZH(act))
	}
	return rule.Check(act, input(a, v))
}

// Require returns nil if the actor may take action in the circle ref, and
// otherwise the refusal; posts, comments and tips ask it before they
// write. It also returns the circle.
func (s *Service) Require(ctx context.Context, q store.Querier, a Actor, ref string, act policy.Action) (Circle, error) {
	v, err := s.load(ctx, q, a, ref)
	if err != nil {
		return Circle{}, err
	}
	return v.Circle, s.may(a, v, act)
}

// needRole refuses an actor below role in the circle.
func needRole(v *view, role, what string) error {
	if rank[v.role] >= rank[role] {
		return nil
	}
	who := map[string]string{RoleModerator: "moderators, admins and the owner", RoleAdmin: "admins and the owner", RoleOwner: "the owner"}[role]
	return errs.E(errs.Forbidden, "Only %s of %s may %s.", who, v.Name, what)
}
