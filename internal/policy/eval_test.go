package policy

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// The cost limit works in two places: Compile rejects a rule whose
// estimated worst case is too high (see TestCompileErrors), and Eval
// denies a rule whose real cost runs over, which can happen when an input
// is far larger than the estimate assumed.
func TestCostLimitAtEval(t *testing.T) {
	r := mustCompile(t, `user.roles.exists(r, r == "owner-of-everything")`)
	in := alice()
	in.User.Roles = make([]string, 100_000)
	for i := range in.User.Roles {
		in.User.Roles[i] = fmt.Sprint("role", i)
	}
	d := r.Eval(in)
	if d.Allowed {
		t.Fatal("allowed, want denied for running over the cost limit")
	}
	want := "Posting here needs a rule that is quicker to check; this circle's rule took too long, so its owners should simplify it."
	if got := d.Message(Post); got != want {
		t.Errorf("denial\n got: %s\nwant: %s", got, want)
	}
	// The same rule on a normal input is fine.
	if d := r.Eval(alice()); d.Allowed || !strings.Contains(d.Reason, "to be met") {
		t.Errorf("normal input: %+v", d)
	}
}

// A loop-free rule skips runtime cost tracking only for inputs of the
// sizes Compile assumed; a larger input is checked under the limit.
func TestCostLimitOutOfBounds(t *testing.T) {
	r := mustCompile(t, `user.handle.matches("^(a|b)+$")`)
	if r.fast == nil {
		t.Fatal("a loop-free rule should have a fast program")
	}
	in := alice()
	in.User.Handle = "abba"
	if d := r.Eval(in); !d.Allowed {
		t.Errorf("short handle: %+v", d)
	}
	in.User.Handle = strings.Repeat("ab", 500_000)
	if withinBounds(&in, r.reads) {
		t.Fatal("a million-character handle is within bounds")
	}
	if d := r.Eval(in); d.Allowed || d.Reason != reasonTooCostly {
		t.Errorf("huge handle: %+v, want a cost denial", d)
	}
}

func TestWithinBounds(t *testing.T) {
	long := strings.Repeat("x", maxStringLength+1)
	tests := []struct {
		name string
		edit func(*Input)
		want bool
	}{
		{"typical", func(*Input) {}, true},
		{"many roles", func(in *Input) { in.User.Roles = make([]string, maxRoles+1) }, false},
		{"long role", func(in *Input) { in.User.Roles = []string{long} }, false},
		{"long circle category", func(in *Input) { in.Circle.Category = long }, false},
		{"long verified value", func(in *Input) { in.User.Verified["employment"] = long }, false},
		{"list verified value", func(in *Input) { in.User.Verified["employment"] = []string{"a"} }, false},
		{"many verified keys", func(in *Input) {
			for i := range maxVerifiedKeys {
				in.User.Verified[fmt.Sprint("k", i)] = true
			}
		}, false},
	}
	for _, tt := range tests {
		in := alice()
		tt.edit(&in)
		if got := withinBounds(&in, footprint{all: true}); got != tt.want {
			t.Errorf("%s: withinBounds = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFootprint(t *testing.T) {
	tests := []struct {
		expr string
		want footprint
	}{
		{`user.credit_score > 1`, footprint{}},
		{`user.verified.gender == "female"`, footprint{keys: []string{"gender"}}},
		{`user.verified["gender"] == "x" || has(user.verified.student)`, footprint{keys: []string{"gender", "student"}}},
		{`"gender" in user.verified`, footprint{all: true}},
		{`size(user.verified) > 1 && user.verified.gender == "x"`, footprint{keys: []string{"gender"}, all: true}},
	}
	for _, tt := range tests {
		got := mustCompile(t, tt.expr).reads
		if got.all != tt.want.all || fmt.Sprint(got.keys) != fmt.Sprint(tt.want.keys) {
			t.Errorf("%s: footprint %+v, want %+v", tt.expr, got, tt.want)
		}
	}

	// Only the attributes a rule reads are checked.
	in := alice()
	in.User.Verified["employment"] = strings.Repeat("x", maxStringLength+1)
	if !withinBounds(&in, footprint{keys: []string{"gender"}}) {
		t.Error("an unread long attribute made the input out of bounds")
	}
	if withinBounds(&in, footprint{keys: []string{"employment"}}) {
		t.Error("a read long attribute left the input within bounds")
	}
}

func TestEvalOddInputs(t *testing.T) {
	odd := alice()
	odd.User.Verified = map[string]any{
		"gender": []int{1}, "identity_level": "2", "birth_year": "1990", "student": nil,
		"employment": map[string]any{"x": 1},
	}
	odd.User.Roles = nil
	rules := []string{
		`user.verified.gender == "female"`,
		`user.verified.identity_level >= 2`,
		`user.age_years >= 18`,
		`user.verified.student == true`,
		`user.verified.employment == "employed"`,
		`"admin" in user.roles`,
		`user.verified.employment.x == 2`,
		`size(user.verified.gender) > 5`,
	}
	for _, expr := range rules {
		d := mustCompile(t, expr).Eval(odd)
		if d.Allowed || d.Reason == "" || d.Condition == "" {
			t.Errorf("%s: %+v, want a denial with a reason", expr, d)
		}
	}
	if d := mustCompile(t, `user.verified.identity_level >= 2`).Eval(odd); d.Reason != `a verified identity level of at least 2; yours is "2"` {
		t.Errorf("reason %q", d.Reason)
	}
	if d := mustCompile(t, `size(user.roles) == 0`).Eval(Input{}); !d.Allowed {
		t.Errorf("zero input: %+v", d)
	}
}

func TestAgeYears(t *testing.T) {
	tests := []struct {
		birth any
		age   int64
		ok    bool
	}{
		{1990, 35, true},
		{int64(2008), 17, true}, // turns 18 this year, perhaps not yet
		{2007, 18, true},
		{float64(2000), 25, true}, // as decoded from JSON
		{2000.5, 0, false},
		{"2000", 0, false},
		{2030, 0, false},
		{nil, 0, false},
	}
	for _, tt := range tests {
		verified := map[string]any{}
		if tt.birth != nil {
			verified["birth_year"] = tt.birth
		}
		age, ok := ageYears(verified, now)
		if age != tt.age || ok != tt.ok {
			t.Errorf("ageYears(%v) = %d, %v; want %d, %v", tt.birth, age, ok, tt.age, tt.ok)
		}
	}
	if age, _ := ageYears(map[string]any{"birth_year": 1990}, time.Time{}); age < 35 {
		t.Errorf("zero Now should mean the current time, got age %d", age)
	}
}

// TestEvalConcurrent shares one rule between goroutines, including its
// first denial, which builds the tracing program. Run it with -race.
func TestEvalConcurrent(t *testing.T) {
	r := mustCompile(t, fiveClauses+" && circle.id != \"concurrent\"")
	inputs := []Input{alice(), bob(), carol(), alice()}
	inputs[3].Member.TenureDays = 1
	want := make([]string, len(inputs))
	for i, in := range inputs {
		want[i] = mustCompile(t, fiveClauses).Explain(Tip, in)
	}
	var wg sync.WaitGroup
	failures := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := (g + i) % len(inputs)
				if got := r.Explain(Tip, inputs[k]); got != want[k] {
					failures <- fmt.Sprintf("input %d: %q, want %q", k, got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
	close(failures)
	for e := range failures {
		t.Error(e)
	}
}
