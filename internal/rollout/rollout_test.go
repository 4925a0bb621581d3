package rollout_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/rollout"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

func user(i int) policy.User {
	return policy.User{ID: fmt.Sprintf("01user%020d", i), Handle: fmt.Sprintf("user%d", i), Verified: map[string]any{}, CreditScore: 600}
}

// 100,000 synthetic users: the share at each stage is within ±1 point of
// the percentage, and raising it never turns anyone off.
func TestPercentagesAreAccurateAndOnlyAdd(t *testing.T) {
	s := rollout.New(storetest.Open(t))
	ctx := context.Background()
	const n = 100_000
	on := make([]bool, n)
	for _, pct := range []float64{1, 5, 25, 50, 100} {
		f, err := s.Put(ctx, "", "circles", rollout.Settings{Enabled: true, Percentage: pct})
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for i := range n {
			now := f.On(user(i))
			if on[i] && !now {
				t.Fatalf("raising the percentage to %v turned user %d off", pct, i)
			}
			on[i] = now
			if now {
				count++
			}
		}
		share := 100 * float64(count) / n
		if math.Abs(share-pct) > 1 {
			t.Errorf("at %v%%, %.2f%% of users are in", pct, share)
		}
		t.Logf("at %v%%: %.2f%% of %d users", pct, share, n)
	}
}

func TestListsSegmentAndKillSwitch(t *testing.T) {
	s := rollout.New(storetest.Open(t))
	ctx := context.Background()
	rich, poor := user(1), user(2)
	rich.CreditScore = 800
	f, err := s.Put(ctx, "", "tips", rollout.Settings{Enabled: true, Percentage: 100, Segment: "user.credit_score >= 750",
		Allow: []string{"@USER2"}, Deny: []string{"user3"}})
	if err != nil {
		t.Fatal(err)
	}
	if !f.On(rich) || !f.On(poor) || f.On(user(3)) || f.On(user(4)) {
		t.Fatalf("segment, allow (user2) and deny (user3): %v %v %v %v", f.On(rich), f.On(poor), f.On(user(3)), f.On(user(4)))
	}
	// Deny wins over allow; the kill switch over everything.
	f, _ = s.Put(ctx, "", "tips", rollout.Settings{Enabled: true, Percentage: 100, Allow: []string{"user2"}, Deny: []string{"user2"}})
	if f.On(poor) {
		t.Fatal("deny did not win over allow")
	}
	f, _ = s.Put(ctx, "", "tips", rollout.Settings{Enabled: false, Percentage: 100, Allow: []string{"user1"}})
	if f.On(rich) {
		t.Fatal("a disabled flag is on")
	}
	// The service answers from the stored flags.
	if on, err := s.Enabled(ctx, "tips", rich); err != nil || on {
		t.Fatalf("Enabled after the kill switch: %v %v", on, err)
	}
	if on, _ := s.Enabled(ctx, "nope", rich); on {
		t.Fatal("an unknown flag is on")
	}
}

func TestBadFlagsAreRefusedAndWriteNothing(t *testing.T) {
	db := storetest.Open(t)
	s := rollout.New(db)
	ctx := context.Background()
	for _, c := range []struct {
		key  string
		set  rollout.Settings
		code errs.Code
	}{
		{"ok", rollout.Settings{Percentage: 101}, errs.Invalid},
		{"ok", rollout.Settings{Percentage: -1}, errs.Invalid},
		{"ok", rollout.Settings{Percentage: math.NaN()}, errs.Invalid},
		{"ok", rollout.Settings{Segment: "user.credit_score >="}, policy.CodeInvalid},
		{"ok", rollout.Settings{Segment: "usr.x"}, policy.CodeInvalid},
		{"Bad Key", rollout.Settings{}, errs.Invalid},
		{"x", rollout.Settings{}, errs.Invalid},
		{"ok", rollout.Settings{Allow: []string{"not a handle"}}, errs.Invalid},
	} {
		if _, err := s.Put(ctx, "", c.key, c.set); !errs.Is(err, c.code) {
			t.Errorf("%q %+v: %v, want %s", c.key, c.set, err, c.code)
		}
	}
	// Only the flag every database starts with (circles) is there.
	if list, err := s.List(ctx); err != nil || len(list) != 1 || list[0].Key != "circles" {
		t.Fatalf("refused flags were written: %v %v", list, err)
	}
}

func BenchmarkOn(b *testing.B) {
	s := rollout.New(storetest.Open(b))
	ctx := context.Background()
	pct, _ := s.Put(ctx, "", "pct", rollout.Settings{Enabled: true, Percentage: 50})
	seg, _ := s.Put(ctx, "", "seg", rollout.Settings{Enabled: true, Percentage: 100, Segment: `user.credit_score >= 500 && user.account_age_days >= 0`})
	u := user(7)
	users := make([]policy.User, 1024)
	for i := range users {
		users[i] = user(i)
	}
	b.Run("percentage", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			pct.On(users[i&1023])
		}
	})
	b.Run("percentage+segment", func(b *testing.B) {
		for b.Loop() {
			if !seg.On(u) {
				b.Fatal("off")
			}
		}
	})
}

func TestStagesAdvanceUntilPaused(t *testing.T) {
	s := rollout.New(storetest.Open(t))
	ctx := context.Background()
	now := time.Now()
	f, err := s.Put(ctx, "", "circles", rollout.Settings{Enabled: true, Percentage: 1, Stages: []rollout.Stage{
		{At: now.Add(-time.Hour), Percentage: 5}, {At: now.Add(time.Hour), Percentage: 25}, {At: now.Add(2 * time.Hour), Percentage: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	for at, want := range map[time.Duration]float64{-2 * time.Hour: 1, 0: 5, 90 * time.Minute: 25, 3 * time.Hour: 100} {
		if got := f.PercentageAt(now.Add(at)); got != want {
			t.Errorf("at now%+v: %v%%, want %v%%", at, got, want)
		}
	}
	f, err = s.SetPaused(ctx, "", "circles", true)
	if err != nil || f.PercentageAt(now.Add(3*time.Hour)) != 5 {
		t.Fatalf("paused at the 5%% stage: %v %v", f.PercentageAt(now.Add(3*time.Hour)), err)
	}
	// A new PUT keeps the pause; resuming lets the schedule go on.
	if f, _ = s.Put(ctx, "", "circles", rollout.Settings{Enabled: true, Stages: f.Stages}); f.PausedAt == nil {
		t.Fatal("a PUT lifted the pause")
	}
	if f, _ = s.SetPaused(ctx, "", "circles", false); f.PercentageAt(now.Add(3*time.Hour)) != 100 {
		t.Fatalf("resumed: %v", f.PercentageAt(now.Add(3*time.Hour)))
	}
	if _, err := s.SetPaused(ctx, "", "nope", true); !errs.Is(err, errs.NotFound) {
		t.Fatalf("pausing a flag that does not exist: %v", err)
	}
	_, err = s.Put(ctx, "", "circles", rollout.Settings{Enabled: true, Stages: []rollout.Stage{
		{At: now.Add(time.Hour), Percentage: 5}, {At: now, Percentage: 25}}})
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "time order") {
		t.Fatalf("stages out of order: %v", err)
	}
}

// Another node (another Service on the same database) answers a change
// within two seconds; when it cannot read the flags, it keeps answering
// from the last ones it read.
func TestAChangeReachesAnotherNodeWithinTwoSecondsAndAFailedReadKeepsTheLast(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	a, b := rollout.New(db), rollout.New(db)
	on := func(when string, want bool) {
		t.Helper()
		got, err := b.Enabled(ctx, "tips", user(1))
		if err != nil || got != want {
			t.Fatalf("node B %s: on %v (%v), want %v", when, got, err, want)
		}
	}
	on("before the flag exists", false)
	if _, err := a.Put(ctx, "", "tips", rollout.Settings{Enabled: true, Percentage: 100}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	db.Clock = func() time.Time { return start.Add(2100 * time.Millisecond) }
	on("two seconds after the change", true)

	if _, err := db.Exec(ctx, `ALTER TABLE feature_flags RENAME TO feature_flags_gone`); err != nil {
		t.Fatal(err)
	}
	db.Clock = func() time.Time { return start.Add(5 * time.Second) }
	on("when the flags cannot be read", true)
	if _, err := db.Exec(ctx, `ALTER TABLE feature_flags_gone RENAME TO feature_flags`); err != nil {
		t.Fatal(err)
	}
}
