package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, time.May, 1, 12, 0, 0, 0, time.UTC)

// alice is allowed by every preset at its usual settings.
func alice() Input {
	return Input{
		User: User{
			ID: "u1", Handle: "alice",
			Verified: map[string]any{
				"gender": "female", "student": true, "employment": "employed",
				"identity_level": 2, "birth_year": 1990,
			},
			CreditScore: 780, AccountAgeDays: 400, Roles: []string{"user"},
		},
		Member: Member{Role: "member", TenureDays: 90},
		Circle: Circle{ID: "c1", Category: "campus", Visibility: "closed"},
		Now:    now,
	}
}

// bob is denied by every preset, with values of his own.
func bob() Input {
	return Input{
		User: User{
			ID: "u2", Handle: "bob",
			Verified:    map[string]any{"gender": "male", "student": false, "birth_year": 2009},
			CreditScore: 712, AccountAgeDays: 3, Roles: []string{"user"},
		},
		Member: Member{Role: "member", TenureDays: 12},
		Circle: Circle{ID: "c2", Category: "work", Visibility: "open"},
		Now:    now,
	}
}

// carol has verified nothing at all.
func carol() Input {
	in := bob()
	in.User.Handle = "carol"
	in.User.Verified = nil
	return in
}

func mustCompile(t testing.TB, expr string) *Rule {
	t.Helper()
	r, err := Compile(expr)
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	return r
}

func TestCompileErrors(t *testing.T) {
	nested := "[" + strings.Repeat("1, ", 49) + "1]"
	tests := []struct {
		name, expr, want string
	}{
		{"syntax, unfinished", `user.credit_score >=`,
			"The rule has a problem at 1:21: the rule ends too early; something is missing."},
		{"syntax, unbalanced", `(user.credit_score >= 750`,
			"The rule has a problem at 1:26: a ')' is missing."},
		{"syntax, stray token", `user.credit_score >= 750 )`,
			"The rule has a problem at 1:26: ')' is not expected here."},
		{"syntax, bad character", `user.credit_score # 750`,
			"The rule has a problem at 1:19: '#' is not allowed here. (It has 2 problems in all.)"},
		{"unknown variable", `user.credit_score >= 750 && usr.verified.gender == "female"`,
			"The rule has a problem at 1:29: undeclared reference to 'usr'; a rule can use user, member and circle."},
		{"unknown field", "user.credit_score >= 750 &&\n  user.foo == 1",
			"The rule has a problem at 2:7: there is no field 'foo' (user has account_age_days, age_years, credit_score, handle, id, roles, verified; member has role, tenure_days; circle has category, id, visibility)."},
		{"unknown function", `shout(user.handle)`,
			"The rule has a problem at 1:6: undeclared reference to 'shout'; a rule can use user, member and circle."},
		{"type mismatch", `user.credit_score >= "x"`,
			"The rule has a problem at 1:19: '>=' cannot compare a number with text."},
		{"wrong function argument", `size(member.tenure_days) > 1`,
			"The rule has a problem at 1:5: size() cannot be used with a number."},
		{"not a condition", `user.credit_score`,
			"The rule has a problem at 1:1: it gives a number, but a rule must give true or false."},
		{"not a condition, dynamic", `user.verified.student`,
			"The rule has a problem at 1:1: it gives a value of any kind, but a rule must give true or false; compare it with a value, as in user.verified.student == true."},
		{"too long", `user.handle == "` + strings.Repeat("a", MaxLength) + `"`,
			"The rule is too long: it has 2017 characters and the limit is 2000."},
		{"too costly", nested + ".all(x, " + nested + ".all(y, " + nested + ".all(z, x + y + z > 0)))",
			// The estimate itself is cel-go's to compute; only its size matters.
			"The rule could take too long to check: its worst case costs about 1...",
		},
		{"bad pattern", `user.handle.matches("(")`,
			"The rule has a problem: a pattern given to matches() is not valid (missing closing ): `(`).",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compile(tt.expr)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want an error", tt.expr, r.Source())
			}
			var e *errs.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *errs.Error", err)
			}
			if e.Code != CodeInvalid || e.Field != "" {
				t.Errorf("code %q, field %q; want %q and no field", e.Code, e.Field, CodeInvalid)
			}
			if want, ok := strings.CutSuffix(tt.want, "..."); ok {
				if !strings.HasPrefix(e.Message, want) || !strings.HasSuffix(e.Message, "one loop inside another.") {
					t.Errorf("message\n got: %s\nwant: %s", e.Message, tt.want)
				}
				return
			}
			if e.Message != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", e.Message, tt.want)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, expr := range []string{
		`user.verified.employment == "employed"`,
		`user.verified.anything_new == 1`, // verified attributes are an open set
		`user.roles.exists(r, r == "admin")`,
		`user.handle.startsWith("a") || user.id in ["u1", "u2"]`,
		`has(user.age_years) && user.age_years < 30`,
		`user.verified.identity_level >= 2.0`,
		`user.verified.employment.matches("^(student|employed)$")`,
		`user.roles.exists(r, r.startsWith("rev"))`,
	} {
		if _, err := Compile(expr); err != nil {
			t.Errorf("Compile(%q): %v", expr, err)
		}
	}
}

func TestEmptyRule(t *testing.T) {
	for _, expr := range []string{"", "  \n\t"} {
		r, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", expr, err)
		}
		if !r.Empty() || r.Source() != "" || r.Describe() != "" {
			t.Errorf("Compile(%q): Empty %v, Source %q, Describe %q", expr, r.Empty(), r.Source(), r.Describe())
		}
		if d := r.Eval(carol()); !d.Allowed {
			t.Errorf("empty rule denied: %+v", d)
		}
	}
	var nilRule *Rule
	if !nilRule.Eval(carol()).Allowed || nilRule.Check(Post, carol()) != nil {
		t.Error("a nil rule should allow")
	}
}

func TestCacheReturnsSameRule(t *testing.T) {
	expr := `user.credit_score >= 611`
	first := mustCompile(t, expr)
	if again := mustCompile(t, expr); again != first {
		t.Error("compiling the same text twice gave two rules")
	}

	// Goroutines racing to compile a new text all get the one cached rule.
	expr = `member.tenure_days >= 613`
	rules := make([]*Rule, 8)
	var wg sync.WaitGroup
	for i := range rules {
		wg.Go(func() { rules[i], _ = Compile(expr) })
	}
	wg.Wait()
	for _, r := range rules[1:] {
		if r != rules[0] || r == nil {
			t.Fatal("concurrent compiles of one text gave different rules")
		}
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := &ruleCache{rules: make(map[string]*Rule)}
	for i := range cacheSize + 10 {
		c.put(fmt.Sprint(i), empty)
	}
	if c.len() != cacheSize {
		t.Errorf("cache holds %d rules, want %d", c.len(), cacheSize)
	}
}
