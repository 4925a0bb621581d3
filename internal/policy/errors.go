package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"github.com/quanzi/quanzi/internal/errs"
)

// compileError turns CEL's first issue into an *errs.Error naming the
// position (1-based line and column) and the problem in plain words.
func compileError(iss *cel.Issues) error {
	all := iss.Errors()
	if len(all) == 0 {
		return errs.E(CodeInvalid, "The rule has a problem: %s.", strings.TrimSuffix(iss.String(), "."))
	}
	first := all[0]
	msg := fmt.Sprintf("The rule has a problem at %s: %s.", position(first.Location), plainIssue(first.Message))
	if len(all) > 1 {
		msg += fmt.Sprintf(" (It has %d problems in all.)", len(all))
	}
	return &errs.Error{Code: CodeInvalid, Message: msg, Extra: map[string]any{
		"line": first.Location.Line(), "column": first.Location.Column() + 1,
	}}
}

// position formats a CEL location as line:column, both counted from 1.
func position(loc common.Location) string {
	return fmt.Sprintf("%d:%d", loc.Line(), loc.Column()+1)
}

var (
	undeclaredRE = regexp.MustCompile(`^undeclared reference to '([^']*)'`)
	undefinedRE  = regexp.MustCompile(`^undefined field '([^']*)'`)
	overloadRE   = regexp.MustCompile(`^found no matching overload for '([^']*)' applied to '\((.*)\)'`)
)

// plainIssue rewrites CEL's wording of the common mistakes for people
// who write rules, not compilers. Anything else keeps CEL's words.
func plainIssue(msg string) string {
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ".")
	if m := undeclaredRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("undeclared reference to '%s'; a rule can use user, member and circle", m[1])
	}
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("there is no field '%s' (%s)", m[1], fieldHelp())
	}
	if m := overloadRE.FindStringSubmatch(msg); m != nil {
		return overloadProblem(m[1], splitTypes(m[2]))
	}
	if rest, ok := strings.CutPrefix(msg, "Syntax error: "); ok {
		return syntaxProblem(rest)
	}
	return msg
}

var (
	mismatchedRE = regexp.MustCompile(`^(?:mismatched|extraneous) input '(.*)' expecting`)
	missingRE    = regexp.MustCompile(`^missing '(.*)' at '(.*)'$`)
	tokenRE      = regexp.MustCompile(`^token recognition error at: '(.*)'$`)
)

// syntaxProblem rewrites the parser's messages, which list grammar tokens,
// into what went wrong.
func syntaxProblem(msg string) string {
	if m := mismatchedRE.FindStringSubmatch(msg); m != nil {
		if m[1] == "<EOF>" {
			return "the rule ends too early; something is missing"
		}
		return fmt.Sprintf("'%s' is not expected here", m[1])
	}
	if m := missingRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("a '%s' is missing", m[1])
	}
	if m := tokenRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("'%s' is not allowed here", m[1])
	}
	return "this is not valid syntax (" + msg + ")"
}

// fieldHelp lists every field, for messages about a mistyped one.
func fieldHelp() string {
	var parts []string
	for _, v := range []string{"user", "member", "circle"} {
		names := make([]string, 0, len(schema[typeOf(v)]))
		for n := range schema[typeOf(v)] {
			names = append(names, n)
		}
		slices.Sort(names)
		parts = append(parts, v+" has "+strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}

// overloadProblem explains an operator or function used on the wrong types.
func overloadProblem(fn string, args []string) string {
	kinds := make([]string, len(args))
	for i, a := range args {
		kinds[i] = typeWords(a)
	}
	if op, ok := operators.FindReverse(fn); ok && op != "" {
		switch fn {
		case operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals,
			operators.Greater, operators.GreaterEquals:
			if len(kinds) == 2 {
				return fmt.Sprintf("'%s' cannot compare %s with %s", op, kinds[0], kinds[1])
			}
		case operators.In:
			if len(kinds) == 2 {
				return fmt.Sprintf("'in' cannot look for %s in %s", kinds[0], kinds[1])
			}
		}
		return fmt.Sprintf("'%s' cannot be used with %s", op, joinWords(kinds, "and"))
	}
	if len(kinds) == 0 {
		return fmt.Sprintf("%s() cannot be used like this", fn)
	}
	return fmt.Sprintf("%s() cannot be used with %s", fn, joinWords(kinds, "and"))
}

// splitTypes splits a CEL type list such as "map(string, dyn), int" at its
// top-level commas.
func splitTypes(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// typeWords names a CEL type the way a rule's author thinks of it.
func typeWords(t string) string {
	switch {
	case t == "int" || t == "uint":
		return "a number"
	case t == "double":
		return "a decimal number"
	case t == "string":
		return "text"
	case t == "bool":
		return "true or false"
	case t == "null_type":
		return "null"
	case t == "dyn" || t == "*":
		return "a value of any kind"
	case strings.HasPrefix(t, "list("):
		return "a list"
	case strings.HasPrefix(t, "map("):
		return "a map"
	case t == userType:
		return "user"
	case t == memberType:
		return "member"
	case t == circleType:
		return "circle"
	}
	return t
}

// notBoolError reports a rule whose result is not true or false.
func notBoolError(ast *cel.Ast) error {
	native := ast.NativeRep()
	loc := native.SourceInfo().GetStartLocation(firstID(native.Expr()))
	out := ast.OutputType()
	hint := ""
	if out.IsExactType(types.DynType) {
		hint = "; compare it with a value, as in user.verified.student == true"
	}
	return errs.E(CodeInvalid,
		"The rule has a problem at %s: it gives %s, but a rule must give true or false%s.",
		position(loc), typeWords(out.String()), hint)
}

// firstID returns the id of the leftmost node under e, whose start is the
// start of the whole expression.
func firstID(e celast.Expr) int64 {
	for {
		switch e.Kind() {
		case celast.CallKind:
			c := e.AsCall()
			if c.IsMemberFunction() {
				e = c.Target()
				continue
			}
			if len(c.Args()) > 0 && isOperator(c.FunctionName()) {
				e = c.Args()[0]
				continue
			}
		case celast.SelectKind:
			if !e.AsSelect().IsTestOnly() {
				e = e.AsSelect().Operand()
				continue
			}
		}
		return e.ID()
	}
}

// isOperator reports whether fn is an infix operator, written after its
// first argument.
func isOperator(fn string) bool {
	switch fn {
	case operators.LogicalAnd, operators.LogicalOr, operators.Equals, operators.NotEquals,
		operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals,
		operators.Add, operators.Subtract, operators.Multiply, operators.Divide,
		operators.Modulo, operators.In, operators.Index, operators.Conditional:
		return true
	}
	return false
}

// tooCostlyError reports a rule whose estimated worst case is over MaxCost.
func tooCostlyError(estimate uint64) error {
	return errs.E(CodeInvalid,
		"The rule could take too long to check: its worst case costs %s steps and the limit is %d. Avoid looping over long lists, especially one loop inside another.",
		costWords(estimate), MaxCost)
}

// costWords prints a cost estimate, which can be astronomically large.
func costWords(n uint64) string {
	if n > 1_000_000_000 {
		return "more than a billion"
	}
	return fmt.Sprint("about ", n)
}

// programError reports a rule that checks but cannot be prepared to run,
// which in practice means an invalid regular expression given to matches.
func programError(err error) error {
	msg := err.Error()
	if _, detail, ok := strings.Cut(msg, "error parsing regexp: "); ok {
		return errs.E(CodeInvalid, "The rule has a problem: a pattern given to matches() is not valid (%s).", detail)
	}
	return &errs.Error{Code: CodeInvalid, Message: "The rule cannot be prepared to run.", Err: err}
}

// joinWords joins items as "a, b and c" (or with "or").
func joinWords(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}
