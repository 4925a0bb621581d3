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
func (r *Rule) Describe() string {
	if r.Empty() {
		return ""
	}
	d, ok := describe(r.ast.NativeRep().Expr(), false)
	if !ok {
		return r.source
	}
	return d.text
}

// description is the words for part of a rule and how they were joined, so
// that a mix of "and" and "or" can be bracketed.
type description struct {
	text string
	join string // "and", "or", or "" for a single clause
}

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
	words := make([]string, len(parts))
	for i, p := range parts {
		d, ok := describe(p, neg)
		if !ok {
			return description{}, false
		}
		words[i] = d.text
		if d.join != "" && d.join != join {
			words[i] = "(" + d.text + ")"
		}
	}
	return description{text: strings.Join(words, " "+join+" "), join: join}, true
}

// label gives the short wording of a clause that matches a preset, so
// that a preset reads the same in a rule's description as in its title.
func (c clause) label() (string, bool) {
	path := strings.Join(c.path, ".")
	if b, ok := c.flag(); ok && b && path == "user.verified.student" {
		return "verified students only", true
	}
	if len(c.values) != 1 {
		return "", false
	}
	switch v := c.values[0].(type) {
	case types.String:
		if path == "user.verified.gender" && c.op == opEq {
			switch v {
			case "female":
				return "verified women only", true
			case "male":
				return "verified men only", true
			}
		}
	case types.Int:
		if c.op != opGe {
			return "", false
		}
		switch path {
		case "user.age_years":
			if v == 18 {
				return "adults only", true
			}
			return fmt.Sprintf("aged %d or over", v), true
		case "user.credit_score":
			return fmt.Sprintf("credit score at least %d", v), true
		case "member.tenure_days":
			return fmt.Sprintf("members for at least %d days", v), true
		}
	}
	return "", false
}
