package policy

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/quanzi/quanzi/internal/errs"
)

// The Chinese twins of the tables in explain_test.go: the same rules and
// people, with the exact sentence each should give in Chinese.

func TestPresetsZH(t *testing.T) {
	tests := []struct {
		key      string
		args     []int64
		describe string
		denied   Input
		why      string // the denial of Comment for denied
	}{
		{"verified_women", nil, "仅限认证女性", bob(), "在这里评论需要认证性别为女性；你的是男性。"},
		{"verified_women", nil, "仅限认证女性", carol(), "在这里评论需要认证性别为女性；你没有认证性别。"},
		{"verified_students", nil, "仅限认证学生", bob(), "在这里评论需要认证学生身份；你的未获确认。"},
		{"verified_students", nil, "仅限认证学生", carol(), "在这里评论需要认证学生身份；你没有认证学生身份。"},
		{"min_credit", []int64{750}, "信用分不低于 750", bob(), "在这里评论需要信用分至少 750；你的是 712。"},
		{"adults", nil, "仅限成年人", bob(), "在这里评论需要年龄至少 18 岁；你的是 16 岁。"},
		{"adults", nil, "仅限成年人", carol(), "在这里评论需要年龄至少 18 岁；你没有认证出生年份。"},
		{"member_days", []int64{30}, "入圈满 30 天的成员", bob(), "在这里评论需要入圈时长至少 30 天；你的是 12 天。"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.denied.User.Handle, func(t *testing.T) {
			expr, err := ExpandPreset(tt.key, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			r := mustCompile(t, expr)
			if got := r.DescribeZH(); got != tt.describe {
				t.Errorf("DescribeZH() = %q, want %q", got, tt.describe)
			}
			if d := r.Eval(alice()); d.ReasonZH != "" || d.MessageZH(Comment) != "" {
				t.Errorf("alice: %+v, want allowed without a reason", d)
			}
			d := r.Eval(tt.denied)
			if got := d.MessageZH(Comment); got != tt.why {
				t.Errorf("denial\n got: %s\nwant: %s", got, tt.why)
			}
			checkChinese(t, d.ReasonZH)
		})
	}
}

// TestPresetTitlesZH: a preset at its usual setting reads in a rule's
// Chinese description as its Chinese title does.
func TestPresetTitlesZH(t *testing.T) {
	usual := map[string][]int64{"min_credit": {750}, "member_days": {30}}
	for _, p := range Presets() {
		expr, err := p.Expr(usual[p.Key]...)
		if err != nil {
			t.Fatal(err)
		}
		title := strings.NewReplacer("{score}", "750", "{days}", "30").Replace(p.TitleZH)
		if got := mustCompile(t, expr).DescribeZH(); !strings.HasPrefix(title, got) {
			t.Errorf("%s: DescribeZH() = %q, title %q", p.Key, got, title)
		}
	}
}

func TestFiveClausesZH(t *testing.T) {
	r := mustCompile(t, fiveClauses)
	tests := []struct {
		name string
		edit func(*Input)
		why  string
	}{
		{"allowed", func(*Input) {}, ""},
		{"first clause", func(in *Input) { in.User.Verified["gender"] = "male" },
			"在这里发帖需要认证性别为女性；你的是男性。"},
		{"second clause", func(in *Input) { in.User.CreditScore = 590 },
			"在这里发帖需要信用分至少 600；你的是 590。"},
		{"both alternatives", func(in *Input) { in.Member.TenureDays = 12 },
			"在这里发帖需要入圈时长至少 30 天（你的是 12 天）或管理员角色（你没有这个角色）。"},
		{"last clause, unverified", func(in *Input) { delete(in.User.Verified, "identity_level") },
			"在这里发帖需要认证身份等级至少 2；你没有认证身份等级。"},
		{"first of several failures", func(in *Input) {
			in.User.CreditScore = 400
			in.User.Verified["identity_level"] = 1
		}, "在这里发帖需要信用分至少 600；你的是 400。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := alice()
			tt.edit(&in)
			d := r.Eval(in)
			if got := d.MessageZH(Post); got != tt.why {
				t.Errorf("denial\n got: %s\nwant: %s", got, tt.why)
			}
			checkChinese(t, d.ReasonZH)
		})
	}
	want := "仅限认证女性，且信用分不低于 600，且（入圈满 30 天的成员或管理员角色），且认证身份等级至少 2"
	if got := r.DescribeZH(); got != want {
		t.Errorf("DescribeZH()\n got: %s\nwant: %s", got, want)
	}
}

func TestExplainClausesZH(t *testing.T) {
	tests := []struct {
		expr string
		in   Input
		why  string
	}{
		{`user.account_age_days >= 7`, bob(), "注册时长至少 7 天；你的是 3 天"},
		{`user.verified.identity_level >= 2`, bob(), "认证身份等级至少 2；你没有认证身份等级"},
		{`"admin" in user.roles`, bob(), "管理员角色；你没有这个角色"},
		{`!("user" in user.roles)`, bob(), "没有普通用户角色的账号；你的账号有这个角色"},
		{`has(user.verified.student)`, carol(), "认证学生身份；你没有"},
		{`"employment" in user.verified`, bob(), "认证就业状态；你没有"},
		{`circle.category == "campus"`, bob(), "圈子分类为“campus”；这个圈子的是“work”"},
		{`circle.visibility in ["closed", "secret"]`, bob(), "圈子可见性为不公开或“secret”；这个圈子的是公开"},
		{`member.role in ["moderator", "admin", "owner"]`, bob(), "圈内的版主、管理员或圈主角色；你的是成员"},
		{`member.role != "member"`, bob(), "圈内角色不是成员；你的是成员"},
		{`member.role == "member"`, func() Input { in := bob(); in.Member.Role = "none"; return in }(),
			"圈内的成员角色；你还不是成员"},
		{`member.role == "member"`, func() Input { in := bob(); in.Member.Role = "pending"; return in }(),
			"圈内的成员角色；你的入圈申请还在审核中"},
		{`750 <= user.credit_score`, bob(), "信用分至少 750；你的是 712"},
		{`user.credit_score > 800`, bob(), "信用分超过 800；你的是 712"},
		{`user.credit_score < 700`, bob(), "信用分低于 700；你的是 712"},
		{`!(user.credit_score < 750)`, bob(), "信用分至少 750；你的是 712"},
		{`user.verified["gender"] == "female"`, bob(), "认证性别为女性；你的是男性"},
		{`!(user.verified.gender == "male")`, carol(), "认证性别不是男性；你没有认证性别"},
		{`user.verified.gender in ["female", "other"]`, bob(), "认证性别为女性或其他；你的是男性"},
		{`user.verified.student == false`, carol(), "认证学生身份为否；你没有认证学生身份"},
		{`!has(user.verified.gender)`, bob(), "没有认证性别；你有"},
		{`has(user.age_years)`, carol(), "认证出生年份；你没有"},
		{`user.verified.employment == "teacher"`, alice(), "认证就业状态为“teacher”；你的是“employed”"},
		{`user.verified.nationality == "cn"`, alice(), "认证属性“nationality”为“cn”；你没有认证属性“nationality”"},
		{`user.handle == "alice"`, bob(), "用户名为“alice”；你的是“bob”"},
		{`user.id in ["u1", "u3"]`, bob(), "账号编号为“u1”或“u3”；你的是“u2”"},
		{`circle.id == "c1"`, bob(), "圈子编号为“c1”；这个圈子的是“c2”"},
		{`member.tenure_days in [1, 2]`, bob(), "入圈时长为 1 天或 2 天；你的是 12 天"},
		{`user.age_years >= 21`, bob(), "年龄至少 21 岁；你的是 16 岁"},
		{`member.role in []`, bob(), "满足条件 `member.role in []`"},
		{`user.verified.birth_year <= 2000`, bob(), "认证出生年份不超过 2000；你的是 2009"},
		{`user.handle.startsWith("a")`, bob(), "满足条件 `user.handle.startsWith(\"a\")`"},
		{`!user.handle.startsWith("b")`, bob(), "不满足条件 `user.handle.startsWith(\"b\")`"},
		{`user.verified.identity_level + 1 > 3`, carol(),
			"满足条件 `user.verified.identity_level + 1 > 3`；你没有认证身份等级"},
		{`!(user.credit_score > 700 && member.tenure_days > 10)`, bob(),
			"信用分不超过 700（你的是 712）或入圈时长不超过 10 天（你的是 12 天）"},
		{`!(user.credit_score > 800 || member.tenure_days > 10)`, bob(), "入圈时长不超过 10 天；你的是 12 天"},
		{`user.credit_score >= 800 || user.verified.student == true || "admin" in user.roles`, bob(),
			"信用分至少 800（你的是 712）、认证学生身份（你的未获确认）或管理员角色（你没有这个角色）"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			d := mustCompile(t, tt.expr).Eval(tt.in)
			if d.Allowed {
				t.Fatal("allowed, want denied")
			}
			if d.ReasonZH != tt.why {
				t.Errorf("reason\n got: %s\nwant: %s", d.ReasonZH, tt.why)
			}
			checkChinese(t, d.ReasonZH)
		})
	}
}

func TestDescribeZH(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`user.verified.gender == "female" && user.credit_score >= 750`, "仅限认证女性，且信用分不低于 750"},
		{`user.verified.gender == "male"`, "仅限认证男性"},
		{`user.age_years >= 21 || "admin" in user.roles`, "21 岁及以上或管理员角色"},
		{`!(member.role in ["none", "pending"])`, "圈内角色不是未加入或待审核"},
		{`user.verified.student == true && circle.category == "campus"`, "仅限认证学生，且圈子分类为“campus”"},
		{`(user.credit_score >= 700 && member.tenure_days >= 7) || member.role == "owner"`,
			"（信用分不低于 700，且入圈满 7 天的成员）或圈内的圈主角色"},
		{`user.roles.exists(r, r == "admin") && user.credit_score >= 700`,
			`user.roles.exists(r, r == "admin") && user.credit_score >= 700`},
		{``, ``},
	}
	for _, tt := range tests {
		if got := mustCompile(t, tt.expr).DescribeZH(); got != tt.want {
			t.Errorf("DescribeZH(%s)\n got: %s\nwant: %s", tt.expr, got, tt.want)
		}
	}
}

func TestActionSentencesZH(t *testing.T) {
	d := Decision{Reason: "a credit score of at least 750; yours is 712", ReasonZH: "信用分至少 750；你的是 712"}
	want := map[Action]string{
		Join:    "加入这个圈子需要信用分至少 750；你的是 712。",
		View:    "查看这个圈子需要信用分至少 750；你的是 712。",
		Post:    "在这里发帖需要信用分至少 750；你的是 712。",
		Comment: "在这里评论需要信用分至少 750；你的是 712。",
		Tip:     "在这里打赏需要信用分至少 750；你的是 712。",
		Invite:  "在这里邀请他人需要信用分至少 750；你的是 712。",
		"dance": "在这里这样做需要信用分至少 750；你的是 712。",
	}
	for _, a := range Actions() {
		if _, ok := want[a]; !ok {
			t.Errorf("no Chinese sentence expected for %q", a)
		}
	}
	for a, w := range want {
		if got := d.MessageZH(a); got != w {
			t.Errorf("%s: %q, want %q", a, got, w)
		}
	}
	if got := (Decision{Reason: "x"}).MessageZH(Post); got != "" {
		t.Errorf("MessageZH without a Chinese reason = %q, want empty", got)
	}
}

func TestDenyZH(t *testing.T) {
	r := mustCompile(t, `user.credit_score >= 750 && member.tenure_days >= 1`)
	err := r.Check(Comment, bob())
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("Check(bob) = %v, want an *errs.Error", err)
	}
	want := "在这里评论需要信用分至少 750；你的是 712。"
	if got := e.Translations["zh"]; got != want {
		t.Errorf("translation %q, want %q", got, want)
	}
	if got := e.In("zh"); got != want {
		t.Errorf("In(zh) = %q, want %q", got, want)
	}
	if e.Message != "Commenting here needs a credit score of at least 750; yours is 712." {
		t.Errorf("message %q changed", e.Message)
	}

	tests := []struct {
		d    Decision
		want string
	}{
		{Decision{}, "在这里评论需要你没有的权限。"},
		{tooCostly("x"), "在这里评论需要检查起来更快的规则；这个圈子的规则运行太久，圈主应当简化它。"},
		{broken("x"), "在这里评论需要能够检查的规则；这个圈子的规则出错了，圈主应当检查它。"},
	}
	for _, tt := range tests {
		if got := errs.As(Deny(Comment, tt.d)).In("zh"); got != tt.want {
			t.Errorf("Deny(%+v).In(zh) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if e := errs.As(Deny(Comment, Decision{Reason: "x"})); e.Translations != nil {
		t.Errorf("a reason without Chinese got translations %v", e.Translations)
	}
}

// TestEveryClauseInChinese words every clause over every path a rule can
// read, with every relation and constants of every kind, and checks that
// whatever has English words has Chinese ones too. A new field or a new
// kind of clause worded in English only fails here.
func TestEveryClauseInChinese(t *testing.T) {
	var paths [][]string
	for _, v := range []string{"user", "member", "circle"} {
		for name := range schema[typeOf(v)] {
			paths = append(paths, []string{v, name})
			if v == "user" && name == "verified" {
				for _, key := range []string{"gender", "student", "employment", "identity_level", "birth_year", "some_new_key"} {
					paths = append(paths, []string{"user", "verified", key})
				}
			}
		}
	}
	consts := []ref.Val{types.True, types.False, types.Int(5), types.Uint(5), types.Double(2.5), types.String("zzz")}
	for _, names := range valueNamesZH {
		for v := range names {
			consts = append(consts, types.String(v))
		}
	}
	people := []Input{alice(), bob(), carol()}
	for _, p := range paths {
		worded := false
		for op := range opposite {
			for _, vals := range constSets(op, consts) {
				c := clause{path: p, op: op, values: vals}
				need, ok := c.need()
				if !ok {
					continue
				}
				worded = true
				where := strings.Join(p, ".") + " " + op + " " + valueList(vals, "or")
				if need.zh == "" {
					t.Errorf("%s: %q has no Chinese", where, need.en)
				}
				checkChinese(t, need.zh)
				if l, ok := c.label(); ok && (l.zh == "" || l.en == "") {
					t.Errorf("%s: label %+v is in one language only", where, l)
				}
				for _, in := range people {
					have := c.have(newVars(&in))
					if (have.en == "") != (have.zh == "") {
						t.Errorf("%s, %s: have %+v is in one language only", where, in.User.Handle, have)
					}
					checkChinese(t, have.zh)
				}
			}
		}
		if !worded {
			t.Errorf("no clause about %s can be put into words", strings.Join(p, "."))
		}
	}
}

// constSets gives the constants to try with op: none for presence tests,
// pairs for lists, and each one alone otherwise.
func constSets(op string, consts []ref.Val) [][]ref.Val {
	switch op {
	case opPresent, opAbsent:
		return [][]ref.Val{nil}
	case opIn, opNotIn:
		return [][]ref.Val{consts[2:4], consts[len(consts)-2:]}
	}
	sets := make([][]ref.Val, len(consts))
	for i, v := range consts {
		sets[i] = []ref.Val{v}
	}
	return sets
}

// quoted matches what a Chinese sentence may leave as written in the rule:
// constants in Chinese quotation marks and source text in backquotes.
var quoted = regexp.MustCompile("“[^”]*”|`[^`]*`")

// checkChinese fails when s has Latin letters outside quoted rule text,
// which means part of it was left in English.
func checkChinese(t *testing.T, s string) {
	t.Helper()
	if rest := quoted.ReplaceAllString(s, ""); strings.ContainsFunc(rest, func(r rune) bool {
		return r < 0x80 && (r|0x20 >= 'a' && r|0x20 <= 'z')
	}) {
		t.Errorf("%q has English left in it", s)
	}
}

// A rule's author reads why it does not compile in Chinese too.
func TestCompileErrorsInChinese(t *testing.T) {
	for _, tc := range []struct{ rule, en, zh string }{
		{"user.credit_scor >= 700", "there is no field 'credit_scor'", "没有字段“credit_scor”"},
		{"usr.credit_score >= 700", "undeclared reference to 'usr'", "无法识别“usr”"},
		{"user.credit_score >= ", "the rule ends too early", "规则提前结束了"},
		{"user.credit_score == 'high'", "cannot compare a number with text", "不能比较数字和文本"},
		{"user.credit_score", "it gives a number, but a rule must give true or false", "它得出的是数字，但规则必须得出 true 或 false"},
		{strings.Repeat("true && ", 400) + "true", "The rule is too long", "规则太长"},
	} {
		_, err := Compile(tc.rule)
		e := errs.As(err)
		if e == nil || !strings.Contains(e.Message, tc.en) || !strings.Contains(e.Translations["zh"], tc.zh) {
			t.Errorf("%q: %v\nzh: %q", tc.rule, err, e.Translations["zh"])
		}
	}
}
