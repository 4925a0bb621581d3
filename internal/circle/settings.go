package circle

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Settings are what an owner sets when creating or editing a circle.
// Pointers in an edit leave the setting as it is when nil.
type Settings struct {
	Name         *string   `json:"name"`
	Slug         *string   `json:"slug"`
	Description  *string   `json:"description"`
	Rules        *string   `json:"rules"`
	Category     *string   `json:"category"`
	Visibility   *string   `json:"visibility"`
	Review       *string   `json:"review"`
	JoinApproval *bool     `json:"join_approval"`
	JoinQuestion *string   `json:"join_question"`
	Policies     *Policies `json:"policies"`
	Tips         *Tips     `json:"tips"`
	TipHoldHours *int64    `json:"tip_hold_hours"`    // 0 to 168 (a week); new circles: 24
	SlowMode     *int64    `json:"slow_mode_seconds"` // 0 (off) to 86,400
	PostsPerDay  *int64    `json:"posts_per_day"`     // 0 (no limit) to 1,000
}

// Create makes a circle owned by the actor, who becomes its first member.
func (s *Service) Create(ctx context.Context, a Actor, set Settings) (Circle, error) {
	if a.Anonymous {
		return Circle{}, errs.E(errs.Unauthenticated, "Sign in to create a circle.")
	}
	c := Circle{Visibility: Open, Review: ReviewNone, Tips: DefaultTips, TipHoldHours: DefaultTipHoldHours}
	if set.Name == nil {
		return Circle{}, errs.Field("name", "A circle needs a name.")
	}
	if set.Category == nil {
		return Circle{}, errs.Field("category", "Choose a category for the circle (GET /api/v1/circle-categories lists them).")
	}
	if err := apply(&c, set); err != nil {
		return Circle{}, err
	}
	derived := set.Slug == nil // from the name (or the id), so a clash is ours to avoid
	var out Circle
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := checkCategory(ctx, tx, c.Category); err != nil {
			return err
		}
		c.ID = store.NewID(tx.Now)
		if derived {
			c.Slug = slugFrom(c.Name)
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM circles WHERE slug = $1`, c.Slug).Scan(&n); err != nil {
				return err
			}
			if c.Slug == "" || n > 0 {
				c.Slug = strings.TrimPrefix(c.Slug+"-"+strings.ToLower(c.ID[len(c.ID)-6:]), "-")
			}
			if !validSlug(c.Slug) {
				c.Slug = "c" + strings.ToLower(c.ID)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO circles (id, slug, name, description, rules_text, category, visibility, review,
			join_approval, join_question, policy_join, policy_view, policy_post, policy_comment, policy_tip, policy_invite,
			tip_fee_bps, tip_min, tip_max, tip_daily_cap, owner_id, member_count, created_at, updated_at, tip_hold_hours,
			slow_mode_seconds, posts_per_day)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 1, $22, $22, $23, $24, $25)`,
			c.ID, c.Slug, c.Name, c.Description, c.Rules, c.Category, c.Visibility, c.Review, c.JoinApproval, c.JoinQuestion,
			c.Policies.Join, c.Policies.View, c.Policies.Post, c.Policies.Comment, c.Policies.Tip, c.Policies.Invite,
			c.Tips.FeeBPS, c.Tips.Min, c.Tips.Max, c.Tips.DailyCap, a.User.ID, tx.Now, c.TipHoldHours, c.SlowModeSeconds, c.PostsPerDay)
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Code: CodeSlugTaken, Field: "slug", Message: "The address /" + c.Slug + " is taken; choose another slug."}
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO circle_members (circle_id, user_id, role, joined_at, via) VALUES ($1, $2, 'owner', $3, 'created')`,
			c.ID, a.User.ID, tx.Now); err != nil {
			return err
		}
		if err := s.StandingChanged(ctx, tx, a.User.ID); err != nil {
			return err
		}
		if err := index(ctx, tx, c.ID, true); err != nil {
			return err
		}
		return s.changed(ctx, tx, a, c.ID, "circle.create", map[string]any{"name": c.Name, "visibility": c.Visibility}, &out)
	})
	return out, err
}

// Update edits a circle's settings; owners and admins of the circle may.
func (s *Service) Update(ctx context.Context, a Actor, ref string, set Settings) (Circle, error) {
	var out Circle
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if err := needRole(v, RoleAdmin, "change the circle's settings"); err != nil {
			return err
		}
		if v.Archived {
			return errs.E(CodeArchived, "This circle is archived; unarchive it before changing it.")
		}
		c := v.Circle
		if err := apply(&c, set); err != nil {
			return err
		}
		if set.Category != nil {
			if err := checkCategory(ctx, tx, c.Category); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE circles SET slug = $1, name = $2, description = $3, rules_text = $4, category = $5,
			visibility = $6, review = $7, join_approval = $8, join_question = $9, policy_join = $10, policy_view = $11,
			policy_post = $12, policy_comment = $13, policy_tip = $14, policy_invite = $15, tip_fee_bps = $16, tip_min = $17,
			tip_max = $18, tip_daily_cap = $19, updated_at = $20, tip_hold_hours = $22, slow_mode_seconds = $23, posts_per_day = $24 WHERE id = $21`,
			c.Slug, c.Name, c.Description, c.Rules, c.Category, c.Visibility, c.Review, c.JoinApproval, c.JoinQuestion,
			c.Policies.Join, c.Policies.View, c.Policies.Post, c.Policies.Comment, c.Policies.Tip, c.Policies.Invite,
			c.Tips.FeeBPS, c.Tips.Min, c.Tips.Max, c.Tips.DailyCap, tx.Now, c.ID, c.TipHoldHours, c.SlowModeSeconds, c.PostsPerDay)
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Code: CodeSlugTaken, Field: "slug", Message: "The address /" + c.Slug + " is taken; choose another slug."}
		}
		if err != nil {
			return err
		}
		if err := index(ctx, tx, c.ID, true); err != nil {
			return err
		}
		return s.changed(ctx, tx, a, c.ID, "circle.update", set, &out)
	})
	return out, err
}

// SetArchived archives a circle (it leaves the directory and becomes
// read-only for its members) or brings it back; only the owner may.
func (s *Service) SetArchived(ctx context.Context, a Actor, ref string, archived bool) (Circle, error) {
	var out Circle
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		v, err := s.load(ctx, tx, a, ref)
		if err != nil {
			return err
		}
		if err := needRole(v, RoleOwner, "archive the circle"); err != nil {
			return err
		}
		var at any
		if archived {
			at = tx.Now
		}
		if _, err := tx.Exec(ctx, `UPDATE circles SET archived_at = $1, updated_at = $2 WHERE id = $3`, at, tx.Now, v.ID); err != nil {
			return err
		}
		if err := index(ctx, tx, v.ID, true); err != nil {
			return err
		}
		action := "circle.unarchive"
		if archived {
			action = "circle.archive"
		}
		return s.changed(ctx, tx, a, v.ID, action, nil, &out)
	})
	return out, err
}

// changed finishes a change to circle id in tx: it records action in the
// audit log and sets out to the circle as the actor now sees it.
func (s *Service) changed(ctx context.Context, tx *store.Tx, a Actor, id, action string, detail any, out *Circle) error {
	if err := audit.Record(ctx, tx, a.User.ID, action, "circle", id, detail); err != nil {
		return err
	}
	if err := s.rowChanged(ctx, tx, id); err != nil {
		return err
	}
	v, err := s.load(ctx, tx, a, id)
	if err == nil {
		*out = s.present(a, v)
	}
	return err
}

// apply checks settings and writes them into c.
func apply(c *Circle, set Settings) error {
	if set.Name != nil {
		name := strings.TrimSpace(*set.Name)
		if name == "" || utf8.RuneCountInString(name) > MaxName || !printable(name) {
			return errs.Field("name", "A circle's name is 1 to %d characters of text.", MaxName)
		}
		c.Name = name
	}
	if set.Slug != nil {
		slug := strings.ToLower(strings.TrimSpace(*set.Slug))
		if !validSlug(slug) {
			return errs.Field("slug", "A slug is 3 to 40 characters: letters a–z, digits and hyphens, starting with a letter.")
		}
		c.Slug = slug
	}
	for _, f := range []struct {
		val   *string
		dst   *string
		field string
		max   int
	}{{set.Description, &c.Description, "description", MaxDescription}, {set.Rules, &c.Rules, "rules", MaxRules},
		{set.JoinQuestion, &c.JoinQuestion, "join_question", MaxQuestion}} {
		if f.val == nil {
			continue
		}
		t := strings.TrimSpace(*f.val)
		if !utf8.ValidString(t) || utf8.RuneCountInString(t) > f.max {
			return errs.Field(f.field, "The %s may be at most %d characters.", strings.ReplaceAll(f.field, "_", " "), f.max)
		}
		*f.dst = t
	}
	if set.Category != nil {
		c.Category = strings.ToLower(strings.TrimSpace(*set.Category))
	}
	if set.Visibility != nil {
		if *set.Visibility != Open && *set.Visibility != Closed {
			return errs.Field("visibility", "A circle is open (found in the directory) or closed (invitation only), not %q.", errs.Clip(*set.Visibility, 20))
		}
		c.Visibility = *set.Visibility
	}
	if set.Review != nil {
		switch *set.Review {
		case ReviewNone, ReviewMedia, ReviewAll:
			c.Review = *set.Review
		default:
			return errs.Field("review", "Review is none, media (posts with pictures wait for a reviewer) or all, not %q.", errs.Clip(*set.Review, 20))
		}
	}
	if set.JoinApproval != nil {
		c.JoinApproval = *set.JoinApproval
	}
	if set.Tips != nil {
		if err := set.Tips.check(); err != nil {
			return err
		}
		c.Tips = *set.Tips
	}
	if set.TipHoldHours != nil {
		if h := *set.TipHoldHours; h < 0 || h > MaxTipHoldHours {
			return errs.Field("tip_hold_hours", "Tips are held for 0 to %d hours (a week), not %d.", MaxTipHoldHours, h)
		}
		c.TipHoldHours = *set.TipHoldHours
	}
	if set.SlowMode != nil {
		if v := *set.SlowMode; v < 0 || v > 86_400 {
			return errs.Field("slow_mode_seconds", "Slow mode is 0 (off) to 86,400 seconds (a day), not %d.", v)
		}
		c.SlowModeSeconds = *set.SlowMode
	}
	if set.PostsPerDay != nil {
		if v := *set.PostsPerDay; v < 0 || v > 1000 {
			return errs.Field("posts_per_day", "Posts per member a day is 0 (no limit) to 1,000, not %d.", v)
		}
		c.PostsPerDay = *set.PostsPerDay
	}
	if set.Policies != nil {
		p := *set.Policies
		for _, act := range policy.Actions() {
			expr := strings.TrimSpace(*p.of(act))
			if _, err := policy.Compile(expr); err != nil {
				e := *errs.As(err)
				e.Field = "policies." + string(act)
				return &e
			}
			*c.Policies.of(act) = expr
		}
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

func validSlug(s string) bool {
	if len(s) < 3 || len(s) > 40 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// slugFrom makes a slug from a name: its Latin letters and digits,
// hyphenated; empty when there are too few (the id serves then).
func slugFrom(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	s := b.String()
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if !validSlug(s) {
		return ""
	}
	return s
}

func checkCategory(ctx context.Context, q store.Querier, key string) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM circle_categories WHERE key = $1 AND NOT archived`, key).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return &errs.Error{Code: CodeUnknownCategory, Field: "category", Message: "There is no category " + errs.Clip(key, 30) + "; GET /api/v1/circle-categories lists them."}
	}
	return nil
}
