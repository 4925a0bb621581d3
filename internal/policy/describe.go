package policy

import (
	"fmt"
	"strings"

	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// Describe returns the rule in words for members to read, such as
// "verified women only and credit score at least 750". A rule with a part
// that cannot be put into words is shown as its source text, and the empty
// rule as "".
func (r *Rule) Describe() string { return r.words().en }

// DescribeZH returns the rule in Chinese words, as Describe does in
// English: "仅限认证女性，且信用分不低于 750". A rule with a part that cannot
// be put into words is shown as its source text, and the empty rule as "".
func (r *Rule) DescribeZH() string { return r.words().zh }

// words describes the rule in both languages.
func (r *Rule) words() phrase {
	if r.Empty() {
		return phrase{}
	}
	d, ok := describe(r.ast.NativeRep().Expr(), false)
	if !ok {
		return phrase{r.source, r.source}
	}
	return d.text
}

// description is the words for part of a rule and how they were joined, so
// that a mix of "and" and "or" can be bracketed.
type description struct {
	text phrase
	join string // "and", "or", or "" for a single clause
}

// joinWordsZH gives the Chinese for the joins of describeChain.
var joinWordsZH = map[string]string{"and": "，且", "or": "或"}

// describe puts e (or, with neg, its opposite) into words.
func describe(e celast.Expr, neg bool) (description, bool) {
	if e.Kind() == celast.CallKind {
		call := e.AsCall()
		switch fn := call.FunctionName(); fn {
		case operators.LogicalNot:
			return describe(call.Args()[0], !neg)
		case operators.LogicalAnd, operators.LogicalOr:
			join := "and"
			if (fn == operators.LogicalOr) != neg {
				join = "or"
			}
			return describeChain(flatten(e, fn), neg, join)
		}
	}
	c, ok := clauseOf(e)
	if !ok {
		return description{}, false
	}
	if neg {
		c = c.negate()
	}
	if label, ok := c.label(); ok {
		return description{text: label}, true
	}
	need, ok := c.need()
	return description{text: need}, ok
}

// describeChain joins the parts of an and- or or-chain, bracketing parts
// joined the other way.
func describeChain(parts []celast.Expr, neg bool, join string) (description, bool) {
	inEN, inZH := make([]string, len(parts)), make([]string, len(parts))
	for i, p := range parts {
		d, ok := describe(p, neg)
		if !ok {
			return description{}, false
		}
		inEN[i], inZH[i] = d.text.en, d.text.zh
		if d.join != "" && d.join != join {
			inEN[i], inZH[i] = "("+d.text.en+")", "（"+d.text.zh+"）"
		}
	}
	return description{
		text: phrase{strings.Join(inEN, " "+join+" "), zhJoin(inZH, joinWordsZH[join])},
		join: join,
	}, true
}

// label gives the short wording of a clause that matches a preset, so
// that a preset reads the same in a rule's description as in its title
// (Title and TitleZH).
func (c clause) label() (phrase, bool) {
	path := strings.Join(c.path, ".")
	if b, ok := c.flag(); ok && b && path == "user.verified.student" {
		return phrase{"verified students only", "仅限认证学生"}, true
	}
	if len(c.values) != 1 {
		return phrase{}, false
	}
	switch v := c.values[0].(type) {
	case types.String:
		if path == "user.verified.gender" && c.op == opEq {
			switch v {
			case "female":
				return phrase{"verified women only", "仅限认证女性"}, true
			case "male":
				return phrase{"verified men only", "仅限认证男性"}, true
			}
		}
	case types.Int:
		if c.op != opGe {
			return phrase{}, false
		}
		switch path {
		case "user.age_years":
			if v == 18 {
				return phrase{"adults only", "仅限成年人"}, true
			}
			return phrase{fmt.Sprintf("aged %d or over", v), fmt.Sprintf("%d 岁及以上", v)}, true
		case "user.credit_score":
			return phrase{fmt.Sprintf("credit score at least %d", v), fmt.Sprintf("信用分不低于 %d", v)}, true
		case "member.tenure_days":
			return phrase{fmt.Sprintf("members for at least %d days", v), fmt.Sprintf("入圈满 %d 天的成员", v)}, true
		}
	}
	return phrase{}, false
}
