package policy

import (
	"fmt"
	"strings"

	"github.com/quanzi/quanzi/internal/errs"
)

// Preset is a ready-made rule that owners can pick instead of writing CEL.
// Presets expand to ordinary rule text, which is what a circle stores, so
// a preset can later be edited by hand like any other rule.
type Preset struct {
	Key string
	// Title and TitleZH name the preset in English and Chinese. A parameter
	// appears in braces, such as "Credit score at least {score}".
	Title   string
	TitleZH string
	Params  []Param
	build   func(args []int64) string
}

// Param is an integer parameter of a preset, with its allowed range.
type Param struct {
	Name     string
	Min, Max int64
}

// Presets returns the presets, in the order a settings page lists them.
//
// Students: the verified attribute student is a bool, true once a student
// card or school email has been reviewed, so the preset tests == true.
//
// Adults: a stored rule must not go stale as years pass, so the preset
// tests user.age_years, which Eval computes from the verified birth year
// at the moment of the check, rather than a fixed birth year.
func Presets() []Preset {
	return []Preset{
		{
			Key: "verified_women", Title: "Verified women only", TitleZH: "仅限认证女性",
			build: func([]int64) string { return `user.verified.gender == "female"` },
		},
		{
			Key: "verified_students", Title: "Verified students only", TitleZH: "仅限认证学生",
			build: func([]int64) string { return `user.verified.student == true` },
		},
		{
			Key: "min_credit", Title: "Credit score at least {score}", TitleZH: "信用分不低于 {score}",
			Params: []Param{{Name: "score", Min: 350, Max: 950}},
			build:  func(a []int64) string { return fmt.Sprintf("user.credit_score >= %d", a[0]) },
		},
		{
			Key: "adults", Title: "Adults only (18 and over)", TitleZH: "仅限成年人（18 岁及以上）",
			build: func([]int64) string { return "user.age_years >= 18" },
		},
		{
			Key: "member_days", Title: "Members for at least {days} days", TitleZH: "入圈满 {days} 天的成员",
			Params: []Param{{Name: "days", Min: 1, Max: 3650}},
			build:  func(a []int64) string { return fmt.Sprintf("member.tenure_days >= %d", a[0]) },
		},
	}
}

// Expr returns the preset's rule text for args, one per parameter. Args of
// the wrong number or out of range yield an *errs.Error with CodeInvalid.
func (p Preset) Expr(args ...int64) (string, error) {
	if len(args) != len(p.Params) {
		return "", errs.E(CodeInvalid, "The preset %q takes %s.", p.Key, p.paramWords())
	}
	for i, prm := range p.Params {
		if args[i] < prm.Min || args[i] > prm.Max {
			return "", errs.E(CodeInvalid, "The %s must be between %d and %d; %d is not.",
				prm.Name, prm.Min, prm.Max, args[i])
		}
	}
	return p.build(args), nil
}

// paramWords says what arguments the preset takes.
func (p Preset) paramWords() string {
	if len(p.Params) == 0 {
		return "no numbers"
	}
	names := make([]string, len(p.Params))
	for i, prm := range p.Params {
		names[i] = prm.Name
	}
	if len(names) == 1 {
		return "one number: the " + names[0]
	}
	return fmt.Sprintf("%d numbers: %s", len(names), strings.Join(names, ", "))
}

// ExpandPreset returns the rule text of the preset named key for args.
// (It is not called Preset because that names the type.)
func ExpandPreset(key string, args ...int64) (string, error) {
	for _, p := range Presets() {
		if p.Key == key {
			return p.Expr(args...)
		}
	}
	return "", errs.E(CodeInvalid, "There is no preset called %q.", key)
}
