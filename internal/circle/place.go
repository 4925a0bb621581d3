package circle

import (
	"context"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/ledger"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Ref names a circle where something else (a post, a notification) points
// to it.
type Ref struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Tips are a circle's tipping settings: the platform's fee, the smallest
// and largest single tip, and how much one tipper may tip in the circle
// in a day. Amounts are in minor units.
type Tips struct {
	FeeBPS   int64 `json:"fee_bps"` // basis points of each tip: 250 is 2.5%
	Min      int64 `json:"min"`
	Max      int64 `json:"max"`
	DailyCap int64 `json:"daily_cap"`
}

// DefaultTips are a new circle's tipping settings: no fee, ¥1 to ¥500 a
// tip, ¥2,000 a day per tipper.
var DefaultTips = Tips{FeeBPS: 0, Min: 100, Max: 50_000, DailyCap: 200_000}

// How long tips stay held for their author, in hours: by default a day,
// long enough for reports on a post to be decided before its money can
// leave.
const (
	DefaultTipHoldHours = 24
	MaxTipHoldHours     = 7 * 24
)

// MaxFeeBPS is the highest platform fee a circle may take: 30%.
const MaxFeeBPS = 3000

// maxTipSetting bounds every tip amount setting: ¥100,000.
const maxTipSetting = 10_000_000

func (t Tips) check() error {
	switch {
	case t.FeeBPS < 0 || t.FeeBPS > MaxFeeBPS:
		return errs.Field("tips.fee_bps", "The tip fee is 0 to %d basis points (0%% to 30%%), not %d.", MaxFeeBPS, t.FeeBPS)
	case t.Min < 1 || t.Min > maxTipSetting:
		return errs.Field("tips.min", "The smallest tip is from ¥0.01 to %s.", ledger.Format(maxTipSetting))
	case t.Max < t.Min || t.Max > maxTipSetting:
		return errs.Field("tips.max", "The largest tip is from the smallest (%s) to %s.", ledger.Format(t.Min), ledger.Format(maxTipSetting))
	case t.DailyCap < t.Max || t.DailyCap > 10*maxTipSetting:
		return errs.Field("tips.daily_cap", "The daily cap per tipper is from the largest tip (%s) to %s.", ledger.Format(t.Max), ledger.Format(10*maxTipSetting))
	}
	return nil
}

// Fee is the platform's part of a tip of amount, rounded down.
func (t Tips) Fee(amount int64) int64 { return amount * t.FeeBPS / 10_000 }

// Place is a circle as one actor stands in it: what posts, comments and
// tips ask before they read or write.
type Place struct {
	*view // its Circle, and the actor's standing in it
	s     *Service
	a     Actor
}

// Enter loads the circle ref for the actor, as every circle path does: a
// closed circle is not found by non-members.
func (s *Service) Enter(ctx context.Context, q store.Querier, a Actor, ref string) (*Place, error) {
	v, err := s.load(ctx, q, a, ref)
	if err != nil {
		return nil, err
	}
	return &Place{view: v, s: s, a: a}, nil
}

// May returns nil if the actor may take the action here, or the refusal
// that says why.
func (p *Place) May(act policy.Action) error { return p.s.may(p.a, p.view, act) }

// Member tells whether the actor belongs to the circle.
func (p *Place) Member() bool { return p.view.member() }

// Moderates tells whether the actor moderates the circle (moderators,
// admins and the owner).
func (p *Place) Moderates() bool { return rank[p.view.role] >= rank[RoleModerator] }

// NeedModerator refuses the actor unless they moderate the circle.
func (p *Place) NeedModerator(what string) error { return needRole(p.view, RoleModerator, what) }

// Readable returns the circles among ids that the actor may read now:
// open ones whose view rule lets them in, and closed ones they belong to,
// leaving out circles that ban them and circles the platform shut (out of
// every list, the staff's too). It is what lists of posts from many
// circles (the home feed, a user's posts) filter by.
func (s *Service) Readable(ctx context.Context, q store.Querier, a Actor, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	uid := ""
	if !a.Anonymous {
		uid = a.User.ID
	}
	args := []any{uid, s.db.Now()}
	for _, id := range ids {
		args = append(args, id)
	}
	// A ban ends membership, so only outsiders can be under one.
	rows, err := q.Query(ctx, `SELECT `+circleColumns+`, COALESCE(m.role, ''), COALESCE(m.joined_at, 0),
			EXISTS (SELECT 1 FROM circle_bans b WHERE b.circle_id = c.id AND b.user_id = $1 AND (b.until IS NULL OR b.until > $2))
		`+circleFrom+` LEFT JOIN circle_members m ON m.circle_id = c.id AND m.user_id = $1
		WHERE c.id IN (`+store.List(len(ids), 3)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var role string
		var joined time.Time
		var banned bool
		c, err := scanCircle(rows, &role, &joined, &banned)
		if err != nil {
			return nil, err
		}
		v := &view{Circle: c, role: RoleNone}
		if role != "" {
			v.role, v.joinedAt = role, joined
		}
		if banned {
			v.ban = &Ban{}
		}
		if c.ShutAt != nil || (c.Visibility == Closed || c.Archived) && !v.member() {
			continue
		}
		if s.may(a, v, policy.View) == nil {
			out[c.ID] = true
		}
	}
	return out, rows.Err()
}

// JoinedIDs returns the ids of the circles the user belongs to.
func JoinedIDs(ctx context.Context, q store.Querier, userID string) ([]string, error) {
	return store.Strings(ctx, q, `SELECT circle_id FROM circle_members WHERE user_id = $1 ORDER BY joined_at`, userID)
}
