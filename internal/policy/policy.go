// Package policy decides "who may" in a circle. A circle's owners write one
// rule per action as a CEL expression over the acting user, their
// membership and the circle; Compile checks the rule when it is saved and
// Eval answers each request, explaining every denial in a sentence that
// names the unmet condition and the user's own value.
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
	// Condition, for a denial, is the source text of the failing clause.
	Condition string
}

// Rule is a compiled rule. It is immutable and safe for concurrent use.
type Rule struct {
	source string
	ast    *cel.Ast
	prg    cel.Program

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
			"The rule is too long: it has %d characters and the limit is %d.", n, MaxLength)
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
	prg, err := env.Program(ast, cel.CostLimit(MaxCost), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, errs.E(CodeInvalid, "The rule cannot be prepared: %v.", err)
	}
	return &Rule{source: expr, ast: ast, prg: prg}, nil
}

// Source returns the rule's text as written.
func (r *Rule) Source() string {
	if r == nil {
		return ""
	}
	return r.source
}

// Empty reports whether the rule is blank and so allows everything.
func (r *Rule) Empty() bool { return r == nil || r.prg == nil }

// Eval decides whether the rule allows in. It never panics: a clause that
// cannot be evaluated (say, user.verified.gender for a user without a
// verified gender) counts as not satisfied, and a rule that runs out of
// budget denies. A denial carries a reason; working it out costs a second,
// traced evaluation, so allowed requests stay on the fast path.
func (r *Rule) Eval(in Input) (d Decision) {
	if r.Empty() {
		return Decision{Allowed: true}
	}
	defer func() {
		if p := recover(); p != nil {
			d = Decision{Reason: reasonBroken, Condition: r.source}
		}
	}()
	out, _, err := r.prg.Eval(newVars(&in))
	if err == nil && out == types.True {
		return Decision{Allowed: true}
	}
	if isCostLimit(err) {
		return Decision{Reason: reasonTooCostly, Condition: r.source}
	}
	return r.explain(&in)
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

// Deny returns the denial d of action as an *errs.Error with code
// CodeDenied, its sentence as the message and the failing clause's source
// under the extra member "condition".
func Deny(action Action, d Decision) error {
	reason := d
	if reason.Reason == "" {
		reason.Reason = reasonUnknown
	}
	return &errs.Error{
		Code:    CodeDenied,
		Message: reason.Message(action),
		Extra:   map[string]any{"condition": d.Condition},
	}
}

// Reasons for denials that do not come from a clause.
const (
	reasonTooCostly = "a rule that is quicker to check; this circle's rule took too long, so its owners should simplify it"
	reasonBroken    = "a rule that can be checked; this circle's rule failed, so its owners should review it"
	reasonUnknown   = "permission that you do not have"
)

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
