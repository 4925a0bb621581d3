package policy

import (
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"
	"cel.dev/cel-go/parser"
)

// finding is the explanation of one failed part of a rule.
type finding struct {
	need phrase    // what is required, to follow "needs" (需要)
	have phrase    // what the user has instead; may be empty
	alts []finding // for a failed "or": every alternative, each unmet
	cond celast.Expr
}

// text renders the finding: "need; have", or for alternatives
// "need (have) or need (have)"; in Chinese "need；have" and
// "need（have）或need（have）".
func (f finding) text() phrase {
	if len(f.alts) == 0 {
		if f.have.en == "" {
			return f.need
		}
		return phrase{f.need.en + "; " + f.have.en, f.need.zh + "；" + f.have.zh}
	}
	inEN, inZH := make([]string, len(f.alts)), make([]string, len(f.alts))
	for i, a := range f.alts {
		inEN[i], inZH[i] = a.need.en, a.need.zh
		if a.have.en != "" {
			inEN[i] += " (" + a.have.en + ")"
			inZH[i] += "（" + a.have.zh + "）"
		}
	}
	return phrase{joinWords(inEN, "or"), joinZH(inZH, "或")}
}

// explainer walks a denied rule's AST with the value of every node, as
// recorded by the tracing program, to find what failed.
type explainer struct {
	state interpreter.EvalState
	info  *celast.SourceInfo
	vars  vars
}

// explain works out why the rule denies in. It runs only on denials.
func (r *Rule) explain(in *Input) Decision {
	prg, err := r.traceProgram()
	if err != nil {
		return broken(r.source)
	}
	v := newVars(in)
	_, det, err := prg.Eval(v)
	if isCostLimit(err) {
		return tooCostly(r.source)
	}
	native := r.ast.NativeRep()
	x := explainer{info: native.SourceInfo(), vars: v}
	if det != nil {
		x.state = det.State()
	}
	f := x.failing(native.Expr(), false)
	t := f.text()
	return Decision{Reason: t.en, ReasonZH: t.zh, Condition: x.source(f.cond, r.source)}
}

// failing explains why e did not hold (or, when neg is set, why it held
// where the rule needed it not to).
func (x explainer) failing(e celast.Expr, neg bool) finding {
	if e.Kind() != celast.CallKind {
		return x.leaf(e, neg)
	}
	call := e.AsCall()
	switch fn := call.FunctionName(); {
	case fn == operators.LogicalNot && len(call.Args()) == 1:
		f := x.failing(call.Args()[0], !neg)
		if f.cond != nil && f.cond.ID() == call.Args()[0].ID() {
			f.cond = e
		}
		return f
	case (fn == operators.LogicalAnd && !neg) || (fn == operators.LogicalOr && neg):
		// Every part was needed: report the first that failed.
		for _, part := range flatten(e, fn) {
			if x.failed(part, neg) {
				return x.failing(part, neg)
			}
		}
	case (fn == operators.LogicalOr && !neg) || (fn == operators.LogicalAnd && neg):
		// Any part would have done: report them all.
		var alts []finding
		for _, part := range flatten(e, fn) {
			f := x.failing(part, neg)
			if len(f.alts) > 0 {
				alts = append(alts, f.alts...)
			} else {
				alts = append(alts, f)
			}
		}
		if len(alts) == 1 {
			return alts[0]
		}
		return finding{alts: alts, cond: e}
	}
	return x.leaf(e, neg)
}

// leaf explains a single clause, or falls back to its source text.
func (x explainer) leaf(e celast.Expr, neg bool) finding {
	if c, ok := clauseOf(e); ok {
		if neg {
			c = c.negate()
		}
		if need, ok := c.need(); ok {
			return finding{need: need, have: c.have(x.vars), cond: e}
		}
	}
	code := "`" + x.source(e, "") + "`"
	f := finding{need: phrase{"the condition " + code + " to be met", "满足条件 " + code}, cond: e}
	if neg {
		f.need = phrase{"the condition " + code + " not to be met", "不满足条件 " + code}
	}
	f.have = x.missingIn(e)
	return f
}

// failed reports whether part evaluated to something other than what the
// rule needed. A part whose value was not recorded is assumed fine.
func (x explainer) failed(part celast.Expr, neg bool) bool {
	if x.state == nil {
		return true
	}
	v, ok := x.state.Value(part.ID())
	if !ok {
		return false
	}
	if neg {
		return v != types.False
	}
	return v != types.True
}

// missingIn names an unverified attribute that the expression reads, which
// is the likely reason a clause we cannot put into words failed.
func (x explainer) missingIn(e celast.Expr) phrase {
	var found phrase
	visit := func(n celast.Expr) {
		if found.en != "" {
			return
		}
		p, ok := pathOf(n)
		if !ok || len(p) < 2 {
			return
		}
		s, ok := subjectOf(p)
		if !ok || s.missing.en == "" {
			return
		}
		if _, present := valueAt(x.vars, p); !present {
			found = s.missing
		}
	}
	celast.PostOrderVisit(e, celast.NewExprVisitor(visit))
	return found
}

// source prints e as CEL text, or returns fallback when it cannot.
func (x explainer) source(e celast.Expr, fallback string) string {
	if e == nil {
		return fallback
	}
	s, err := parser.Unparse(e, x.info)
	if err != nil {
		return fallback
	}
	return s
}

// flatten lists the operands of a chain of fn (&& or ||) in source order;
// CEL's parser balances long chains into a tree.
func flatten(e celast.Expr, fn string) []celast.Expr {
	if e.Kind() != celast.CallKind || e.AsCall().FunctionName() != fn {
		return []celast.Expr{e}
	}
	var out []celast.Expr
	for _, a := range e.AsCall().Args() {
		out = append(out, flatten(a, fn)...)
	}
	return out
}
