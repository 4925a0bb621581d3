package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/errs"
)

func TestPresets(t *testing.T) {
	tests := []struct {
		key      string
		args     []int64
		expr     string
		describe string
		denied   Input
		why      string // the denial of Comment for denied
	}{
		{"verified_women", nil, `user.verified.gender == "female"`, "verified women only",
			bob(), `Commenting here needs a verified gender of "female"; yours is "male".`},
		{"verified_women", nil, `user.verified.gender == "female"`, "verified women only",
			carol(), `Commenting here needs a verified gender of "female"; you have no verified gender.`},
		{"verified_students", nil, `user.verified.student == true`, "verified students only",
			bob(), `Commenting here needs verified student status; yours is not confirmed.`},
		{"verified_students", nil, `user.verified.student == true`, "verified students only",
			carol(), `Commenting here needs verified student status; you have no verified student status.`},
		{"min_credit", []int64{750}, `user.credit_score >= 750`, "credit score at least 750",
			bob(), `Commenting here needs a credit score of at least 750; yours is 712.`},
		{"adults", nil, `user.age_years >= 18`, "adults only",
			bob(), `Commenting here needs an age of at least 18; yours is 16.`},
		{"adults", nil, `user.age_years >= 18`, "adults only",
			carol(), `Commenting here needs an age of at least 18; you have no verified birth year.`},
		{"member_days", []int64{30}, `member.tenure_days >= 30`, "members for at least 30 days",
			bob(), `Commenting here needs membership of at least 30 days; yours is 12.`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.denied.User.Handle, func(t *testing.T) {
			expr, err := ExpandPreset(tt.key, tt.args...)
			if err != nil || expr != tt.expr {
				t.Fatalf("ExpandPreset(%q, %v) = %q, %v; want %q", tt.key, tt.args, expr, err, tt.expr)
			}
			r := mustCompile(t, expr)
			if got := r.Describe(); got != tt.describe {
				t.Errorf("Describe() = %q, want %q", got, tt.describe)
			}
			if d := r.Eval(alice()); !d.Allowed || d.Reason != "" {
				t.Errorf("alice: %+v, want allowed", d)
			}
			d := r.Eval(tt.denied)
			if d.Allowed {
				t.Fatalf("%s allowed, want denied", tt.denied.User.Handle)
			}
			if got := d.Message(Comment); got != tt.why {
				t.Errorf("denial\n got: %s\nwant: %s", got, tt.why)
			}
			if d.Condition != tt.expr {
				t.Errorf("condition %q, want %q", d.Condition, tt.expr)
			}
		})
	}
}

func TestPresetList(t *testing.T) {
	for _, p := range Presets() {
		if p.Key == "" || p.Title == "" || p.TitleZH == "" {
			t.Errorf("preset %+v lacks a key or title", p)
		}
		args := make([]int64, len(p.Params))
		for i, prm := range p.Params {
			args[i] = prm.Min
		}
		expr, err := p.Expr(args...)
		if err != nil {
			t.Errorf("%s: %v", p.Key, err)
			continue
		}
		if _, err := Compile(expr); err != nil {
			t.Errorf("%s expands to a rule that does not compile: %v", p.Key, err)
		}
	}
}

func TestPresetErrors(t *testing.T) {
	tests := []struct {
		key  string
		args []int64
		want string
	}{
		{"nope", nil, `There is no preset called "nope".`},
		{"min_credit", nil, `The preset "min_credit" takes one number: the score.`},
		{"verified_women", []int64{1}, `The preset "verified_women" takes no numbers.`},
		{"min_credit", []int64{1000}, `The score must be between 350 and 950; 1000 is not.`},
		{"member_days", []int64{0}, `The days must be between 1 and 3650; 0 is not.`},
	}
	for _, tt := range tests {
		_, err := ExpandPreset(tt.key, tt.args...)
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != CodeInvalid || e.Message != tt.want {
			t.Errorf("ExpandPreset(%q, %v) = %v, want %s", tt.key, tt.args, err, tt.want)
		}
	}
}

// fiveClauses mixes && and || over five clauses.
const fiveClauses = `user.verified.gender == "female" && user.credit_score >= 600 &&
	(member.tenure_days >= 30 || "admin" in user.roles) && user.verified.identity_level >= 2`

func TestFiveClauses(t *testing.T) {
	r := mustCompile(t, fiveClauses)
	tests := []struct {
		name      string
		edit      func(*Input)
		why       string
		condition string
	}{
		{"allowed", func(*Input) {}, "", ""},
		{"admin instead of tenure", func(in *Input) {
			in.Member.TenureDays = 2
			in.User.Roles = append(in.User.Roles, "admin")
		}, "", ""},
		{"first clause", func(in *Input) { in.User.Verified["gender"] = "male" },
			`Posting here needs a verified gender of "female"; yours is "male".`,
			`user.verified.gender == "female"`},
		{"second clause", func(in *Input) { in.User.CreditScore = 590 },
			`Posting here needs a credit score of at least 600; yours is 590.`,
			`user.credit_score >= 600`},
		{"both alternatives", func(in *Input) { in.Member.TenureDays = 12 },
			`Posting here needs membership of at least 30 days (yours is 12) or the "admin" role (you do not have it).`,
			`member.tenure_days >= 30 || "admin" in user.roles`},
		{"last clause, unverified", func(in *Input) { delete(in.User.Verified, "identity_level") },
			`Posting here needs a verified identity level of at least 2; you have no verified identity level.`,
			`user.verified.identity_level >= 2`},
		{"first of several failures", func(in *Input) {
			in.User.CreditScore = 400
			in.User.Verified["identity_level"] = 1
		}, `Posting here needs a credit score of at least 600; yours is 400.`, `user.credit_score >= 600`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := alice()
			tt.edit(&in)
			d := r.Eval(in)
			if d.Allowed != (tt.why == "") {
				t.Fatalf("allowed = %v, want %v (%s)", d.Allowed, tt.why == "", d.Reason)
			}
			if got := d.Message(Post); got != tt.why {
				t.Errorf("denial\n got: %s\nwant: %s", got, tt.why)
			}
			if d.Condition != tt.condition {
				t.Errorf("condition %q, want %q", d.Condition, tt.condition)
			}
		})
	}
	want := `verified women only and credit score at least 600 and (members for at least 30 days or the "admin" role) and a verified identity level of at least 2`
	if got := r.Describe(); got != want {
		t.Errorf("Describe()\n got: %s\nwant: %s", got, want)
	}
}

func TestExplainClauses(t *testing.T) {
	tests := []struct {
		expr string
		in   Input
		why  string
	}{
		{`user.account_age_days >= 7`, bob(),
			`an account age of at least 7 days; yours is 3`},
		{`user.verified.identity_level >= 2`, bob(),
			`a verified identity level of at least 2; you have no verified identity level`},
		{`"admin" in user.roles`, bob(),
			`the "admin" role; you do not have it`},
		{`!("user" in user.roles)`, bob(),
			`an account without the "user" role; yours has it`},
		{`has(user.verified.student)`, carol(),
			`a verified student status; you have none`},
		{`"employment" in user.verified`, bob(),
			`a verified employment status; you have none`},
		{`circle.category == "campus"`, bob(),
			`a circle category of "campus"; this circle's is "work"`},
		{`circle.visibility in ["closed", "secret"]`, bob(),
			`a circle visibility of "closed" or "secret"; this circle's is "open"`},
		{`member.role in ["moderator", "admin", "owner"]`, bob(),
			`the "moderator", "admin" or "owner" role in this circle; yours is "member"`},
		{`member.role != "member"`, bob(),
			`a role in this circle other than "member"; yours is "member"`},
		{`member.role == "member"`, func() Input { in := bob(); in.Member.Role = "none"; return in }(),
			`the "member" role in this circle; you are not a member`},
		{`750 <= user.credit_score`, bob(),
			`a credit score of at least 750; yours is 712`},
		{`user.credit_score > 800`, bob(),
			`a credit score of more than 800; yours is 712`},
		{`!(user.credit_score < 750)`, bob(),
			`a credit score of at least 750; yours is 712`},
		{`user.verified["gender"] == "female"`, bob(),
			`a verified gender of "female"; yours is "male"`},
		{`!(user.verified.gender == "male")`, carol(),
			`a verified gender other than "male"; you have no verified gender`},
		{`user.verified.student == false`, carol(),
			`a verified student status of false; you have no verified student status`},
		{`member.role in []`, bob(),
			"the condition `member.role in []` to be met"},
		{`user.verified.birth_year <= 2000`, bob(),
			`a verified birth year of at most 2000; yours is 2009`},
		{`user.handle.startsWith("a")`, bob(),
			"the condition `user.handle.startsWith(\"a\")` to be met"},
		{`!user.handle.startsWith("b")`, bob(),
			"the condition `user.handle.startsWith(\"b\")` not to be met"},
		{`user.verified.identity_level + 1 > 3`, carol(),
			"the condition `user.verified.identity_level + 1 > 3` to be met; you have no verified identity level"},
		{`!(user.credit_score > 700 && member.tenure_days > 10)`, bob(),
			`a credit score of at most 700 (yours is 712) or membership of at most 10 days (yours is 12)`},
		{`!(user.credit_score > 800 || member.tenure_days > 10)`, bob(),
			`membership of at most 10 days; yours is 12`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			d := mustCompile(t, tt.expr).Eval(tt.in)
			if d.Allowed {
				t.Fatal("allowed, want denied")
			}
			if d.Reason != tt.why {
				t.Errorf("reason\n got: %s\nwant: %s", d.Reason, tt.why)
			}
		})
	}
}

func TestDeny(t *testing.T) {
	r := mustCompile(t, `user.credit_score >= 750 && member.tenure_days >= 1`)
	if !r.Allows(alice()) || r.Allows(bob()) || !empty.Allows(bob()) {
		t.Error("Allows disagrees with Eval")
	}
	if err := r.Check(Comment, alice()); err != nil {
		t.Errorf("Check(alice) = %v, want nil", err)
	}
	err := r.Check(Comment, bob())
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("Check(bob) = %v, want an *errs.Error", err)
	}
	if e.Code != CodeDenied || !errs.Is(err, "policy_denied") {
		t.Errorf("code %q, want %q", e.Code, CodeDenied)
	}
	if want := "Commenting here needs a credit score of at least 750; yours is 712."; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	if c := e.Extra["condition"]; c != "user.credit_score >= 750" {
		t.Errorf("condition %v", c)
	}
	if got := r.Explain(Comment, bob()); got != e.Message {
		t.Errorf("Explain = %q, want the error's message", got)
	}
	if got := r.Explain(Comment, alice()); got != "" {
		t.Errorf("Explain(alice) = %q, want empty", got)
	}
}

func TestActionSentences(t *testing.T) {
	d := Decision{Reason: "a credit score of at least 750; yours is 712"}
	want := map[Action]string{
		Join:    "Joining here needs",
		View:    "Seeing this circle needs",
		Post:    "Posting here needs",
		Comment: "Commenting here needs",
		Tip:     "Tipping here needs",
		Invite:  "Inviting people here needs",
		"dance": "Doing this here needs",
	}
	for _, a := range Actions() {
		if !a.Valid() {
			t.Errorf("%q is not valid", a)
		}
	}
	if len(Actions()) != 6 || Action("dance").Valid() {
		t.Error("Actions and Valid disagree")
	}
	for a, prefix := range want {
		if got := d.Message(a); !strings.HasPrefix(got, prefix+" a credit score") {
			t.Errorf("%s: %q", a, got)
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`user.verified.gender == "female" && user.credit_score >= 750`,
			"verified women only and credit score at least 750"},
		{`user.age_years >= 21 || "admin" in user.roles`,
			`aged 21 or over or the "admin" role`},
		{`!(member.role in ["none", "pending"])`,
			`a role in this circle other than "none" or "pending"`},
		{`user.verified.student == true && circle.category == "campus"`,
			`verified students only and a circle category of "campus"`},
		{`user.roles.exists(r, r == "admin") && user.credit_score >= 700`,
			`user.roles.exists(r, r == "admin") && user.credit_score >= 700`},
	}
	for _, tt := range tests {
		if got := mustCompile(t, tt.expr).Describe(); got != tt.want {
			t.Errorf("Describe(%s)\n got: %s\nwant: %s", tt.expr, got, tt.want)
		}
	}
}
