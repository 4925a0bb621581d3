package policy

import (
	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
)

// footprint is what a rule reads of user.verified, so that checking an
// input's sizes (see withinBounds) looks only at what matters.
type footprint struct {
	keys []string // verified attributes read by name
	all  bool     // the map is used whole: iterated, searched or sized
}

// footprintOf works out a rule's footprint.
func footprintOf(ast *cel.Ast) footprint {
	var fp footprint
	uses, named := 0, 0
	celast.PostOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if isVerifiedMap(e) {
			uses++
		}
		if key, ok := verifiedKey(e); ok {
			named++
			fp.keys = append(fp.keys, key)
		}
	}))
	fp.all = uses > named
	return fp
}

// isVerifiedMap reports whether e is user.verified.
func isVerifiedMap(e celast.Expr) bool {
	p, ok := pathOf(e)
	return ok && len(p) == 2 && p[0] == "user" && p[1] == "verified"
}

// verifiedKey returns the key of user.verified.key, user.verified["key"]
// or has(user.verified.key).
func verifiedKey(e celast.Expr) (string, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		if isVerifiedMap(e.AsSelect().Operand()) {
			return e.AsSelect().FieldName(), true
		}
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != operators.Index || len(call.Args()) != 2 || !isVerifiedMap(call.Args()[0]) {
			return "", false
		}
		if key, ok := constOf(call.Args()[1]); ok && key.Type() == types.StringType {
			return string(key.(types.String)), true
		}
	}
	return "", false
}

// withinBounds reports whether in keeps to the sizes the cost estimator
// assumes, in the parts of user.verified that fp says the rule reads. For
// such an input a rule's cost is at most its estimate, which Compile has
// held to MaxCost.
func withinBounds(in *Input, fp footprint) bool {
	u := &in.User
	if len(u.Roles) > maxRoles || len(u.Verified) > maxVerifiedKeys {
		return false
	}
	for _, s := range [...]string{u.ID, u.Handle, in.Member.Role, in.Circle.ID, in.Circle.Category, in.Circle.Visibility} {
		if len(s) > maxStringLength {
			return false
		}
	}
	for _, r := range u.Roles {
		if len(r) > maxStringLength {
			return false
		}
	}
	if fp.all {
		for k, v := range u.Verified {
			if len(k) > maxStringLength || !scalarWithin(v) {
				return false
			}
		}
		return true
	}
	for _, k := range fp.keys {
		if v, ok := u.Verified[k]; ok && !scalarWithin(v) {
			return false
		}
	}
	return true
}

// scalarWithin reports whether a verified value is a scalar of bounded
// size. Lists, maps and other values are left to the runtime limit.
func scalarWithin(v any) bool {
	switch t := v.(type) {
	case string:
		return len(t) <= maxStringLength
	case bool, int, int32, int64, uint32, float64:
		return true
	}
	return false
}
