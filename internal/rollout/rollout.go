// Package rollout is quanzi's feature flags for staged ("grayscale")
// release. A flag is off for everyone until enabled (the kill switch);
// once enabled, it is on for the handles in its allow list, off for those
// in its deny list, and otherwise on for the users its segment rule admits
// whose stable hash of (flag, user id) falls under its percentage. The
// hash makes each user's answer sticky: raising the percentage only adds
// users, and lowering it only removes them.
package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Flag is one feature flag.
type Flag struct {
	Key         string   `json:"key"`
	Description string   `json:"description"`
	Enabled     bool     `json:"enabled"`    // false: off for everyone, whatever else says
	Percentage  float64  `json:"percentage"` // 0–100, to two decimals
	Allow       []string `json:"allow"`      // handles always on
	Deny        []string `json:"deny"`       // handles always off (deny wins over allow)
	Segment     string   `json:"segment"`    // a rule over user.*; empty: everyone
	// Stages raise (or lower) the percentage at set times; before the
	// first, Percentage holds. A paused flag stays at the stage it had
	// reached when it was paused.
	Stages   []Stage    `json:"stages"`
	PausedAt *time.Time `json:"paused_at,omitempty"`
	// Guard, if set, pauses the release when a safety measure crosses its
	// threshold; Tripped says when it last did (cleared on resume).
	Guard     *Guard    `json:"guard,omitempty"`
	Tripped   *Trip     `json:"tripped,omitempty"`
	Reading   *Reading  `json:"guard_reading,omitempty"` // the guard's measure now (one flag's answer only)
	UpdatedAt time.Time `json:"updated_at"`

	rule        *policy.Rule
	allow, deny map[string]bool
	armedAt     *time.Time
}

// Stage is a step of a staged release: from At on, Percentage.
type Stage struct {
	At         time.Time `json:"at"`
	Percentage float64   `json:"percentage"`
}

// Settings are what an admin sets on a flag; PUT replaces them all (a
// pause stays until resumed).
type Settings struct {
	Description string   `json:"description"`
	Enabled     bool     `json:"enabled"`
	Percentage  float64  `json:"percentage"`
	Allow       []string `json:"allow"`
	Deny        []string `json:"deny"`
	Segment     string   `json:"segment"`
	Stages      []Stage  `json:"stages"`
	Guard       *Guard   `json:"guard,omitempty"`
}

// CodeUnavailable is the answer to a request for a feature that is not
// released to the caller (yet).
const CodeUnavailable errs.Code = "feature_unavailable"

// Require returns nil if the flag key is on for user, and otherwise the
// refusal to give: the feature is not released to them.
func (s *Service) Require(ctx context.Context, key string, user policy.User) error {
	on, err := s.Enabled(ctx, key, user)
	if err != nil || on {
		return err
	}
	if user.ID == "" {
		return errs.E(CodeUnavailable, "%s is not open to everyone yet; sign in: you may be among those who have it.", strings.ToUpper(key[:1])+key[1:])
	}
	return errs.E(CodeUnavailable, "%s is not available to you yet: it is being released to users in stages.", strings.ToUpper(key[:1])+key[1:])
}

// MaxStages bounds a flag's schedule.
const MaxStages = 20

// Limits on flags.
const (
	MaxListed = 10_000 // handles in allow or deny
	buckets   = 10_000 // a user's bucket is 0–9,999: percentages to 0.01
	reload    = 2 * time.Second
)

// Service answers and changes flags. Answers come from memory, read
// again from the database when a second or so old and never served more
// than two seconds old (at once after a change made here), so a change
// reaches every node within two seconds.
type Service struct {
	db *store.DB
	// Gauge measures guards (nil: guards are never read); Notifier tells
	// admins when one pauses a flag.
	Gauge    Gauge
	Notifier Notifier

	flags *store.Cache[struct{}, map[string]*Flag]
}

// New returns the flag service.
func New(db *store.DB) *Service {
	return &Service{db: db, flags: store.NewCacheOn[struct{}, map[string]*Flag](db, reload/2, 1)}
}

// CheckKey says whether key can name a flag: 2 to 64 characters, lower
// case letters, digits, "_", "-" and ".", starting with a letter.
func CheckKey(key string) error {
	ok := len(key) >= 2 && len(key) <= 64 && key[0] >= 'a' && key[0] <= 'z'
	for i := 0; ok && i < len(key); i++ {
		c := key[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
	}
	if !ok {
		return errs.Field("key", "A flag's key is 2 to 64 characters: lower-case letters, digits, \"_\", \"-\" and \".\", starting with a letter.")
	}
	return nil
}

// prepare checks settings and makes the flag they describe.
func prepare(key string, set Settings) (*Flag, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if err := checkPercentage("percentage", set.Percentage); err != nil {
		return nil, err
	}
	if len(set.Stages) > MaxStages {
		return nil, errs.Field("stages", "A schedule has at most %d stages.", MaxStages)
	}
	for i, st := range set.Stages {
		if err := checkPercentage(fmt.Sprintf("stages[%d].percentage", i), st.Percentage); err != nil {
			return nil, err
		}
		if st.At.IsZero() {
			return nil, errs.Field(fmt.Sprintf("stages[%d].at", i), "Each stage needs a time (at).")
		}
		if i > 0 && !st.At.After(set.Stages[i-1].At) {
			return nil, errs.Field(fmt.Sprintf("stages[%d].at", i), "Stages must be in time order: stage %d starts at %s, not after stage %d at %s.",
				i+1, st.At.UTC().Format(time.RFC3339), i, set.Stages[i-1].At.UTC().Format(time.RFC3339))
		}
	}
	desc := strings.TrimSpace(set.Description)
	if len([]rune(desc)) > 500 {
		return nil, errs.Field("description", "The description may be at most 500 characters.")
	}
	f := &Flag{Key: key, Description: desc, Enabled: set.Enabled, Percentage: math.Round(set.Percentage*100) / 100,
		Segment: strings.TrimSpace(set.Segment), Stages: []Stage{}}
	for _, st := range set.Stages {
		f.Stages = append(f.Stages, Stage{At: st.At.UTC().Truncate(time.Microsecond), Percentage: math.Round(st.Percentage*100) / 100})
	}
	var err error
	if f.Allow, err = handles("allow", set.Allow); err != nil {
		return nil, err
	}
	if f.Deny, err = handles("deny", set.Deny); err != nil {
		return nil, err
	}
	if f.rule, err = policy.Compile(f.Segment); err != nil {
		e := *errs.As(err)
		e.Field = "segment"
		return nil, &e
	}
	f.index()
	return f, nil
}

func checkPercentage(field string, p float64) error {
	if math.IsNaN(p) || p < 0 || p > 100 {
		return errs.Field(field, "A percentage is from 0 to 100; it is %v.", p)
	}
	return nil
}

// index builds what evaluation reads.
func (f *Flag) index() {
	f.allow, f.deny = map[string]bool{}, map[string]bool{}
	for _, h := range f.Allow {
		f.allow[h] = true
	}
	for _, h := range f.Deny {
		f.deny[h] = true
	}
}

// PercentageAt is the share of users the flag is on for at t: the latest
// stage begun by t (or by the pause, if earlier), else Percentage.
func (f *Flag) PercentageAt(t time.Time) float64 {
	if f.PausedAt != nil && f.PausedAt.Before(t) {
		t = *f.PausedAt
	}
	p := f.Percentage
	for _, st := range f.Stages {
		if st.At.After(t) {
			break
		}
		p = st.Percentage
	}
	return p
}

// handles normalises a list of handles, sorted and without repeats.
func handles(field string, in []string) ([]string, error) {
	if len(in) > MaxListed {
		return nil, errs.Field(field, "A list holds at most %d handles.", MaxListed)
	}
	out := make([]string, 0, len(in))
	for _, h := range in {
		n, err := account.NormalizeHandle(h)
		if err != nil {
			return nil, errs.Field(field, "%q is not a handle.", errs.Clip(h, 40))
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Bucket is where a user falls for a flag, 0–9,999: a stable hash of the
// flag's key and the user's id.
func Bucket(key, userID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(userID))
	// FNV's low bits mix poorly for similar inputs: finish with a mixer
	// (MurmurHash3's) before taking the remainder.
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x % buckets
}

// On says whether the flag is on for user.
func (f *Flag) On(user policy.User) bool {
	switch {
	case !f.Enabled || f.deny[user.Handle]:
		return false
	case f.allow[user.Handle]:
		return true
	}
	cutoff := uint64(math.Round(f.PercentageAt(time.Now()) * buckets / 100))
	if cutoff < buckets && (user.ID == "" || Bucket(f.Key, user.ID) >= cutoff) {
		return false // at 100% everyone is in, the signed-out too
	}
	return f.rule.Allows(policy.Input{User: user})
}

// Features returns every flag's answer for user.
func (s *Service) Features(ctx context.Context, user policy.User) (map[string]bool, error) {
	flags, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(flags))
	for k, f := range flags {
		out[k] = f.On(user)
	}
	return out, nil
}

// Enabled says whether the flag key is on for user; an unknown flag is off.
func (s *Service) Enabled(ctx context.Context, key string, user policy.User) (bool, error) {
	flags, err := s.current(ctx)
	if err != nil {
		return false, err
	}
	f := flags[key]
	return f != nil && f.On(user), nil
}

// current returns the flags, from memory or read again. Requests never
// wait for each other here: a read under way is shared, and while flags
// older than reload/2 are read again in the background the old ones are
// answered (never older than reload). When the read fails, the last good
// flags are kept.
func (s *Service) current(ctx context.Context) (map[string]*Flag, error) {
	return s.flags.LoadFrom(ctx, struct{}{}, func(ctx context.Context, old map[string]*Flag, ok bool) (map[string]*Flag, error) {
		list, err := s.read(ctx, s.db)
		if err != nil {
			if ok {
				return old, nil
			}
			return nil, err
		}
		flags := make(map[string]*Flag, len(list))
		for _, f := range list {
			flags[f.Key] = f
		}
		return flags, nil
	})
}

func (s *Service) read(ctx context.Context, q store.Querier) ([]*Flag, error) {
	rows, err := q.Query(ctx, `SELECT key, description, enabled, percentage, allow_list, deny_list, segment, stages, paused_at, updated_at,
		guard, guard_armed_at, guard_tripped FROM feature_flags ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Flag
	for rows.Next() {
		f := &Flag{}
		var allow, deny, stages, guard, tripped string
		if err := rows.Scan(&f.Key, &f.Description, &f.Enabled, &f.Percentage, &allow, &deny, &f.Segment, &stages, &f.PausedAt, &f.UpdatedAt,
			&guard, &f.armedAt, &tripped); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(allow), &f.Allow)
		json.Unmarshal([]byte(deny), &f.Deny)
		json.Unmarshal([]byte(stages), &f.Stages)
		if guard != "" {
			json.Unmarshal([]byte(guard), &f.Guard)
		}
		if tripped != "" {
			json.Unmarshal([]byte(tripped), &f.Tripped)
		}
		// A stored segment that no longer compiles shuts the flag rather
		// than opening it to everyone.
		if f.rule, err = policy.Compile(f.Segment); err != nil {
			f.rule, _ = policy.Compile("false")
		}
		f.index()
		out = append(out, f)
	}
	return out, rows.Err()
}

// List returns every flag, by key.
func (s *Service) List(ctx context.Context) ([]Flag, error) {
	list, err := s.read(ctx, s.db)
	out := make([]Flag, len(list))
	for i, f := range list {
		out[i] = *f
	}
	return out, err
}

// Get returns one flag, with its guard's reading now.
func (s *Service) Get(ctx context.Context, key string) (Flag, error) {
	f, err := s.one(ctx, s.db, key)
	if err != nil {
		return f, err
	}
	f.Reading, err = s.Read(ctx, &f)
	return f, err
}

func (s *Service) one(ctx context.Context, q store.Querier, key string) (Flag, error) {
	list, err := s.read(ctx, q)
	if err != nil {
		return Flag{}, err
	}
	for _, f := range list {
		if f.Key == key {
			return *f, nil
		}
	}
	return Flag{}, errs.E(errs.NotFound, "There is no flag %q.", errs.Clip(key, 64))
}

// SetPaused pauses a flag's schedule where it stands, or resumes it (from
// wherever its stages have got to by then); audited as actorID's change.
func (s *Service) SetPaused(ctx context.Context, actorID, key string, paused bool) (Flag, error) {
	var f Flag
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = s.one(ctx, tx, key); err != nil {
			return err
		}
		var at any
		f.PausedAt = nil
		if paused {
			t := tx.Now
			at, f.PausedAt = t, &t
		}
		var actor any
		if actorID != "" {
			actor = actorID
		}
		q := `UPDATE feature_flags SET paused_at = $1, updated_by = $2, updated_at = $3 WHERE key = $4`
		if !paused {
			// A resumed guard counts afresh, from now.
			q = `UPDATE feature_flags SET paused_at = $1, updated_by = $2, updated_at = $3, guard_armed_at = $3, guard_tripped = '' WHERE key = $4`
			f.Tripped = nil
		}
		if _, err := tx.Exec(ctx, q, at, actor, tx.Now, key); err != nil {
			return err
		}
		f.UpdatedAt = tx.Now
		tx.AfterCommit(s.forget)
		action := "flag.resume"
		if paused {
			action = "flag.pause"
		}
		return audit.Record(ctx, tx, actorID, action, "flag", key, map[string]any{"percentage_now": f.PercentageAt(tx.Now)})
	})
	return f, err
}

// Put creates or replaces a flag, audited as actorID's change.
func (s *Service) Put(ctx context.Context, actorID, key string, set Settings) (Flag, error) {
	f, err := prepare(key, set)
	if err != nil {
		return Flag{}, err
	}
	allow, _ := json.Marshal(f.Allow)
	deny, _ := json.Marshal(f.Deny)
	stages, _ := json.Marshal(f.Stages)
	var actor any
	if actorID != "" {
		actor = actorID
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		guard := ""
		if set.Guard != nil {
			g := *set.Guard
			if err := checkGuard(ctx, tx, &g); err != nil {
				return err
			}
			b, _ := json.Marshal(g)
			guard, f.Guard = string(b), &g
		}
		before, err := s.one(ctx, tx, key)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		f.UpdatedAt, f.PausedAt, f.Tripped = tx.Now, before.PausedAt, before.Tripped
		// Saving a guard arms it afresh: it counts from now.
		_, err = tx.Exec(ctx, `INSERT INTO feature_flags (key, description, enabled, percentage, allow_list, deny_list, segment, stages, updated_by,
			created_at, updated_at, guard, guard_armed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $10)
			ON CONFLICT (key) DO UPDATE SET description = excluded.description, enabled = excluded.enabled, percentage = excluded.percentage,
			allow_list = excluded.allow_list, deny_list = excluded.deny_list, segment = excluded.segment, stages = excluded.stages,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at, guard = excluded.guard, guard_armed_at = excluded.guard_armed_at`,
			f.Key, f.Description, f.Enabled, f.Percentage, string(allow), string(deny), f.Segment, string(stages), actor, tx.Now, guard)
		if err != nil {
			return err
		}
		detail := map[string]any{"after": f}
		if before.Key != "" {
			detail["before"] = before
		}
		tx.AfterCommit(s.forget)
		return audit.Record(ctx, tx, actorID, "flag.put", "flag", f.Key, detail)
	})
	return *f, err
}

// forget drops the flags held in memory, so the next answer reloads them.
func (s *Service) forget() { s.flags.Evict(struct{}{}) }
