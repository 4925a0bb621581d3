// Package policy decides "who may" in a circle. A circle's owners write one
// rule per action as a CEL expression over the acting user, their
// membership and the circle; Compile checks the rule when it is saved and
// Eval answers each request, explaining every denial in a sentence that
// names the unmet condition and the user's own value, in English and in
// Chinese (Decision.Message and MessageZH; Describe and DescribeZH put a
// whole rule into words).
//
// A rule sees three variables, with typed fields, so that a misspelt field
// or a comparison of a number with text is caught when the rule is saved:
//
//	user.id, user.handle          string
//	user.verified                 map(string, dyn): reviewed attributes only,
//	                              such as gender, student (a bool),
//	                              employment, identity_level, birth_year
//	user.credit_score             int, 350 to 950
//	user.account_age_days         int
//	user.roles                    list(string): user, reviewer, admin
//	user.age_years                int, from the verified birth year; absent
//	                              without one (test with has(user.age_years))
//	member.role                   string: none, pending, member, moderator,
//	                              admin, owner
//	member.tenure_days            int
//	circle.id, circle.category, circle.visibility   string
//
// The package depends on cel-go (cel.dev/cel-go, formerly
// github.com/google/cel-go). CEL is the standard expression language for
// exactly this job, used by Kubernetes and Envoy for access rules: it is
// type-checked before it runs, it cannot loop forever or touch the
// outside world, and its cost can be estimated and capped. Writing our own
// language would mean re-doing all of that, worse.
package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/quanzi/quanzi/internal/errs"
)

// Error codes of this package.
const (
	// CodeInvalid marks a rule that cannot be saved: it does not parse, names
	// something unknown, mixes types, is not a yes-or-no condition, or is too
	// long or too expensive.
	CodeInvalid errs.Code = "invalid_policy"
	// CodeDenied marks a request that a circle's rule does not allow.
	CodeDenied errs.Code = "policy_denied"
)

// Input is everything a rule can see about one request.
type Input struct {
	User   User
	Member Member
	Circle Circle
	// Now is the moment of the check. It is used to compute user.age_years;
	// the zero value means the current time.
	Now time.Time
}

// User is the acting user, seen by rules as user.
type User struct {
	ID     string
	Handle string
	// Verified holds reviewed attributes only; a claimed but unreviewed
	// attribute is absent. Values keep the types given here: gender and
	// employment are strings, student is a bool, identity_level and
	// birth_year are integers.
	Verified       map[string]any
	CreditScore    int64
	AccountAgeDays int64
	Roles          []string
}

// Member is the user's standing in the circle, seen by rules as member.
type Member struct {
	// Role is one of none, pending, member, moderator, admin and owner.
	Role       string
	TenureDays int64
}

// Circle is the circle the request is about, seen by rules as circle.
type Circle struct {
	ID         string
	Category   string
	Visibility string
}

// Decision is the outcome of a rule for one input.
type Decision struct {
	Allowed bool
	// Reason, for a denial, says what is needed and what the user has,
	// phrased to follow the word "needs": `a credit score of at least 750;
	// yours is 712`. Message and Deny turn it into a sentence.
	Reason string
	// ReasonZH is Reason in Chinese, phrased to follow 需要 ("needs"):
	// 信用分至少 750；你的是 712. MessageZH and Deny turn it into a sentence.
	ReasonZH string
	// Condition, for a denial, is the source text of the failing clause.
	Condition string
}

// Rule is a compiled rule. It is immutable and safe for concurrent use.
type Rule struct {
	source string
	ast    *cel.Ast
	// limited runs under cel.CostLimit and is safe for any input. fast has
	// no runtime cost tracking, which more than halves the time of a check;
	// it exists only for a rule without loops, and Eval uses it only for an
	// input within the sizes Compile's estimate assumed, so its cost is
	// bounded by that estimate, itself at most MaxCost.
	limited cel.Program
	fast    cel.Program
	reads   footprint

	// The tracing program records every clause's value. It is slower, so it
	// is built on the first denial and run only to explain one.
	traceOnce sync.Once
	trace     cel.Program
	traceErr  error
}

// empty is the rule for blank text; it allows everything.
var empty = &Rule{}

// Compile checks expr and returns its compiled rule. Blank text gives the
// empty rule, which allows everything (the circle package reads an empty
// rule as "members may" on its own). A rule that cannot be used yields an
// *errs.Error with code CodeInvalid and a message naming the position and
// the problem; its Field is left for the caller to set. Compiled rules are
// cached by text, so compiling a known rule is a map lookup.
func Compile(expr string) (*Rule, error) {
	if strings.TrimSpace(expr) == "" {
		return empty, nil
	}
	if r, ok := cache.get(expr); ok {
		return r, nil
	}
	r, err := compile(expr)
	if err != nil {
		return nil, err
	}
	return cache.put(expr, r), nil
}

// compile does the work of Compile, without the cache.
func compile(expr string) (*Rule, error) {
	if n := utf8.RuneCountInString(expr); n > MaxLength {
		return nil, errs.E(CodeInvalid,
			"The rule is too long: it has %d characters and the limit is %d.", n, MaxLength).Say("zh", "规则太长：有 %d 个字符，上限是 %d。", n, MaxLength)
	}
	env, err := environment()
	if err != nil {
		return nil, errs.Wrap(err, "The rule checker is not available.")
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, compileError(iss)
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		return nil, notBoolError(ast)
	}
	est, err := env.EstimateCost(ast, estimator{})
	if err != nil {
		return nil, errs.E(CodeInvalid, "The rule's cost cannot be worked out: %v.", err)
	}
	if est.Max > MaxCost {
		return nil, tooCostlyError(est.Max)
	}
	r := &Rule{source: expr, ast: ast, reads: footprintOf(ast)}
	r.limited, err = env.Program(ast, cel.CostLimit(MaxCost), cel.EvalOptions(cel.OptOptimize))
	if err == nil && !hasLoop(ast) {
		r.fast, err = env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	}
	if err != nil {
		return nil, programError(err)
	}
	return r, nil
}

// hasLoop reports whether the rule iterates, through all, exists, map,
// filter or the like.
func hasLoop(ast *cel.Ast) bool {
	found := false
	celast.PostOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		found = found || e.Kind() == celast.ComprehensionKind
	}))
	return found
}

// Source returns the rule's text as written.
func (r *Rule) Source() string {
	if r == nil {
		return ""
	}
	return r.source
}

// Empty reports whether the rule is blank and so allows everything.
func (r *Rule) Empty() bool { return r == nil || r.limited == nil }

// Eval decides whether the rule allows in. It never panics: a clause that
// cannot be evaluated (say, user.verified.gender for a user without a
// verified gender) counts as not satisfied, and a rule that reaches
// MaxCost is stopped and denies. A denial carries a reason; working it out
// takes a second, traced evaluation, so allowed requests stay fast.
func (r *Rule) Eval(in Input) (d Decision) {
	if r.Empty() {
		return Decision{Allowed: true}
	}
	defer func() {
		if p := recover(); p != nil {
			d = broken(r.source)
		}
	}()
	allowed, err := r.run(&in)
	if allowed {
		return Decision{Allowed: true}
	}
	if isCostLimit(err) {
		return tooCostly(r.source)
	}
	return r.explain(&in)
}

// Allows reports whether the rule allows in, like Eval but without working
// out a reason for a denial, for callers that check many inputs.
func (r *Rule) Allows(in Input) bool {
	if r.Empty() {
		return true // before in is copied to the heap for the program
	}
	return r.allows(in)
}

func (r *Rule) allows(in Input) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	ok, _ = r.run(&in)
	return ok
}

// run evaluates the rule on the fastest program that is safe for in.
func (r *Rule) run(in *Input) (bool, error) {
	prg := r.limited
	if r.fast != nil && withinBounds(in, r.reads) {
		prg = r.fast
	}
	out, _, err := prg.Eval(newVars(in))
	return err == nil && out == types.True, err
}

// Check evaluates the rule for action and returns nil when it allows, or
// the denial as an error (see Deny).
func (r *Rule) Check(action Action, in Input) error {
	d := r.Eval(in)
	if d.Allowed {
		return nil
	}
	return Deny(action, d)
}

// Explain returns the sentence telling the user why the rule denies action
// to them, such as "Commenting here needs a credit score of at least 750;
// yours is 712." It returns "" when the rule allows.
func (r *Rule) Explain(action Action, in Input) string {
	d := r.Eval(in)
	if d.Allowed {
		return ""
	}
	return d.Message(action)
}

// Message returns the denial as a sentence about action.
func (d Decision) Message(action Action) string {
	if d.Allowed {
		return ""
	}
	return action.subject() + " needs " + d.Reason + "."
}

// MessageZH returns the denial as a sentence in Chinese about action, such
// as "在这里评论需要信用分至少 750；你的是 712。" It returns "" when the rule
// allows or the decision has no Chinese reason.
func (d Decision) MessageZH(action Action) string {
	if d.Allowed || d.ReasonZH == "" {
		return ""
	}
	return action.subjectZH() + "需要" + d.ReasonZH + "。"
}

// Deny returns the denial d of action as an *errs.Error with code
// CodeDenied, its sentence as the message, the Chinese sentence under the
// translation "zh" and the failing clause's source under the extra member
// "condition".
func Deny(action Action, d Decision) error {
	d.Allowed = false
	if d.Reason == "" {
		d.Reason, d.ReasonZH = reasonUnknown, reasonUnknownZH
	}
	e := &errs.Error{
		Code:    CodeDenied,
		Message: d.Message(action),
		Extra:   map[string]any{"condition": d.Condition},
	}
	if zh := d.MessageZH(action); zh != "" {
		e.Translations = map[string]string{"zh": zh}
	}
	return e
}

// Reasons for denials that do not come from a clause.
const (
	reasonTooCostly = "a rule that is quicker to check; this circle's rule took too long, so its owners should simplify it"
	reasonBroken    = "a rule that can be checked; this circle's rule failed, so its owners should review it"
	reasonUnknown   = "permission that you do not have"

	reasonTooCostlyZH = "检查起来更快的规则；这个圈子的规则运行太久，圈主应当简化它"
	reasonBrokenZH    = "能够检查的规则；这个圈子的规则出错了，圈主应当检查它"
	reasonUnknownZH   = "你没有的权限"
)

// tooCostly is the denial by a rule stopped for its cost.
func tooCostly(source string) Decision {
	return Decision{Reason: reasonTooCostly, ReasonZH: reasonTooCostlyZH, Condition: source}
}

// broken is the denial by a rule that failed to run.
func broken(source string) Decision {
	return Decision{Reason: reasonBroken, ReasonZH: reasonBrokenZH, Condition: source}
}

// isCostLimit reports whether err is CEL stopping a rule for its cost.
func isCostLimit(err error) bool {
	var cancelled interpreter.EvalCancelledError
	return errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded
}

// traceProgram returns the rule's tracing program, building it once.
func (r *Rule) traceProgram() (cel.Program, error) {
	r.traceOnce.Do(func() {
		env, err := environment()
		if err != nil {
			r.traceErr = err
			return
		}
		r.trace, r.traceErr = env.Program(r.ast,
			cel.CostLimit(MaxCost), cel.EvalOptions(cel.OptExhaustiveEval))
		if r.traceErr != nil {
			r.traceErr = fmt.Errorf("policy: tracing %q: %w", r.source, r.traceErr)
		}
	})
	return r.trace, r.traceErr
}
