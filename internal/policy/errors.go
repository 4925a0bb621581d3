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

// Rule authors read these errors in English or Chinese: each function
// below words its part in either (inZH), and the errors carry both.

// pick is en or zh by language.
func pick(inZH bool, en, zh string) string {
	if inZH {
		return zh
	}
	return en
}

// compileError turns CEL's first issue into an *errs.Error naming the
// position (1-based line and column) and the problem in plain words.
func compileError(iss *cel.Issues) error {
	all := iss.Errors()
	if len(all) == 0 {
		detail := strings.TrimSuffix(iss.String(), ".")
		return errs.E(CodeInvalid, "The rule has a problem: %s.", detail).Say("zh", "规则有问题：%s。", detail)
	}
	first := all[0]
	say := func(inZH bool) string {
		msg := fmt.Sprintf(pick(inZH, "The rule has a problem at %s: %s.", "规则在 %s（行:列）处有问题：%s。"),
			position(first.Location), plainIssue(first.Message, inZH))
		if len(all) > 1 {
			msg += fmt.Sprintf(pick(inZH, " (It has %d problems in all.)", "（共有 %d 处问题。）"), len(all))
		}
		return msg
	}
	e := &errs.Error{Code: CodeInvalid, Message: say(false), Extra: map[string]any{
		"line": first.Location.Line(), "column": first.Location.Column() + 1,
	}}
	return e.Say("zh", "%s", say(true))
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
func plainIssue(msg string, inZH bool) string {
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ".")
	if m := undeclaredRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf(pick(inZH, "undeclared reference to '%s'; a rule can use user, member and circle",
			"无法识别“%s”；规则中只能使用 user、member 和 circle"), m[1])
	}
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf(pick(inZH, "there is no field '%s' (%s)", "没有字段“%s”（%s）"), m[1], fieldHelp(inZH))
	}
	if m := overloadRE.FindStringSubmatch(msg); m != nil {
		return overloadProblem(m[1], splitTypes(m[2]), inZH)
	}
	if rest, ok := strings.CutPrefix(msg, "Syntax error: "); ok {
		return syntaxProblem(rest, inZH)
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
func syntaxProblem(msg string, inZH bool) string {
	if m := mismatchedRE.FindStringSubmatch(msg); m != nil {
		if m[1] == "<EOF>" {
			return pick(inZH, "the rule ends too early; something is missing", "规则提前结束了，缺了些什么")
		}
		return fmt.Sprintf(pick(inZH, "'%s' is not expected here", "此处不应出现“%s”"), m[1])
	}
	if m := missingRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf(pick(inZH, "a '%s' is missing", "缺少“%s”"), m[1])
	}
	if m := tokenRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf(pick(inZH, "'%s' is not allowed here", "此处不允许出现“%s”"), m[1])
	}
	return fmt.Sprintf(pick(inZH, "this is not valid syntax (%s)", "语法不正确（%s）"), msg)
}

// fieldHelp lists every field, for messages about a mistyped one.
func fieldHelp(inZH bool) string {
	var parts []string
	for _, v := range []string{"user", "member", "circle"} {
		names := make([]string, 0, len(schema[typeOf(v)]))
		for n := range schema[typeOf(v)] {
			names = append(names, n)
		}
		slices.Sort(names)
		parts = append(parts, v+pick(inZH, " has ", " 有 ")+strings.Join(names, ", "))
	}
	return strings.Join(parts, pick(inZH, "; ", "；"))
}

// overloadProblem explains an operator or function used on the wrong types.
func overloadProblem(fn string, args []string, inZH bool) string {
	kinds := make([]string, len(args))
	for i, a := range args {
		kinds[i] = typeWords(a, inZH)
	}
	all := joinWords(kinds, "and")
	if inZH {
		all = joinZH(kinds, "和")
	}
	if op, ok := operators.FindReverse(fn); ok && op != "" {
		switch fn {
		case operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals,
			operators.Greater, operators.GreaterEquals:
			if len(kinds) == 2 {
				return fmt.Sprintf(pick(inZH, "'%s' cannot compare %s with %s", "“%s”不能比较%s和%s"), op, kinds[0], kinds[1])
			}
		case operators.In:
			if len(kinds) == 2 {
				if inZH {
					return fmt.Sprintf("“in”不能在%s中查找%s", kinds[1], kinds[0])
				}
				return fmt.Sprintf("'in' cannot look for %s in %s", kinds[0], kinds[1])
			}
		}
		return fmt.Sprintf(pick(inZH, "'%s' cannot be used with %s", "“%s”不能用于%s"), op, all)
	}
	if len(kinds) == 0 {
		return fmt.Sprintf(pick(inZH, "%s() cannot be used like this", "%s() 不能这样使用"), fn)
	}
	return fmt.Sprintf(pick(inZH, "%s() cannot be used with %s", "%s() 不能用于%s"), fn, all)
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
func typeWords(t string, inZH bool) string {
	switch {
	case t == "int" || t == "uint":
		return pick(inZH, "a number", "数字")
	case t == "double":
		return pick(inZH, "a decimal number", "小数")
	case t == "string":
		return pick(inZH, "text", "文本")
	case t == "bool":
		return pick(inZH, "true or false", "true 或 false")
	case t == "null_type":
		return "null"
	case t == "dyn" || t == "*":
		return pick(inZH, "a value of any kind", "任意类型的值")
	case strings.HasPrefix(t, "list("):
		return pick(inZH, "a list", "列表")
	case strings.HasPrefix(t, "map("):
		return pick(inZH, "a map", "映射")
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
	hint, hintZH := "", ""
	if out.IsExactType(types.DynType) {
		hint, hintZH = "; compare it with a value, as in user.verified.student == true", "；请把它与一个值比较，例如 user.verified.student == true"
	}
	return errs.E(CodeInvalid,
		"The rule has a problem at %s: it gives %s, but a rule must give true or false%s.",
		position(loc), typeWords(out.String(), false), hint).
		Say("zh", "规则在 %s（行:列）处有问题：它得出的是%s，但规则必须得出 true 或 false%s。", position(loc), typeWords(out.String(), true), hintZH)
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
		costWords(estimate, false), MaxCost).
		Say("zh", "这条规则检查起来可能太慢：最坏情况下要%s步，上限是 %d 步。请避免遍历很长的列表，尤其是循环套循环。", costWords(estimate, true), MaxCost)
}

// costWords prints a cost estimate, which can be astronomically large.
func costWords(n uint64, inZH bool) string {
	if n > 1_000_000_000 {
		return pick(inZH, "more than a billion", "超过十亿")
	}
	return fmt.Sprint(pick(inZH, "about ", "约 "), n)
}

// programError reports a rule that checks but cannot be prepared to run,
// which in practice means an invalid regular expression given to matches.
func programError(err error) error {
	msg := err.Error()
	if _, detail, ok := strings.Cut(msg, "error parsing regexp: "); ok {
		return errs.E(CodeInvalid, "The rule has a problem: a pattern given to matches() is not valid (%s).", detail).
			Say("zh", "规则有问题：传给 matches() 的模式无效（%s）。", detail)
	}
	return (&errs.Error{Code: CodeInvalid, Message: "The rule cannot be prepared to run.", Err: err}).Say("zh", "这条规则无法准备运行。")
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
