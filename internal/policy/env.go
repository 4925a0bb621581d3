package policy

import (
	"fmt"
	"math"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// Limits that keep a rule cheap enough to run on every request.
const (
	// MaxLength is the longest rule text, in characters, that Compile accepts.
	MaxLength = 2000
	// MaxCost bounds a rule's work: Compile rejects a rule whose estimated
	// worst case exceeds it, and Eval stops (and denies) a rule whose actual
	// cost reaches it. A clause like user.credit_score >= 750 costs a few
	// units; looping over a list costs a few per item.
	MaxCost = 10_000
)

// The CEL type names of the three variables. They carry a package prefix
// so that they can never be mistaken for the variables themselves.
const (
	userType   = "quanzi.User"
	memberType = "quanzi.Member"
	circleType = "quanzi.Circle"
)

// Sizes the cost estimator assumes for the variables' lists, maps and
// strings. Without them CEL takes a list or string to be of any length,
// and every rule mentioning user.roles would look too expensive. An input
// beyond them is checked under a runtime cost limit (see withinBounds).
const (
	maxRoles        = 8
	maxVerifiedKeys = 32
	maxStringLength = 256
)

// field describes one field of a variable: its CEL type, how to read it
// from the evaluation's variables, and whether it is present.
type field struct {
	typ *types.Type
	get func(v vars) any
	// set reports presence for has(); nil means always present.
	set func(v vars) bool
}

// schema lists every field of every variable. It is the single source of
// truth for the type checker, the runtime and the cost estimator, and is
// never modified.
var schema = map[string]map[string]field{
	userType: {
		"id":               {typ: types.StringType, get: func(v vars) any { return v.in.User.ID }},
		"handle":           {typ: types.StringType, get: func(v vars) any { return v.in.User.Handle }},
		"verified":         {typ: types.NewMapType(types.StringType, types.DynType), get: verifiedOf},
		"credit_score":     {typ: types.IntType, get: func(v vars) any { return v.in.User.CreditScore }},
		"account_age_days": {typ: types.IntType, get: func(v vars) any { return v.in.User.AccountAgeDays }},
		"roles":            {typ: types.NewListType(types.StringType), get: rolesOf},
		"age_years":        {typ: types.IntType, get: ageOf, set: hasAge},
	},
	memberType: {
		"role":        {typ: types.StringType, get: func(v vars) any { return v.in.Member.Role }},
		"tenure_days": {typ: types.IntType, get: func(v vars) any { return v.in.Member.TenureDays }},
	},
	circleType: {
		"id":         {typ: types.StringType, get: func(v vars) any { return v.in.Circle.ID }},
		"category":   {typ: types.StringType, get: func(v vars) any { return v.in.Circle.Category }},
		"visibility": {typ: types.StringType, get: func(v vars) any { return v.in.Circle.Visibility }},
	},
}

// verifiedOf returns the verified attributes, never a nil map, so that a
// missing attribute reads as a missing key rather than a null.
func verifiedOf(v vars) any {
	if v.in.User.Verified == nil {
		return map[string]any{}
	}
	return v.in.User.Verified
}

// rolesOf returns the roles, never nil, for the same reason.
func rolesOf(v vars) any {
	if v.in.User.Roles == nil {
		return []string{}
	}
	return v.in.User.Roles
}

// ageOf returns user.age_years. It is read only when hasAge holds; an
// absent age makes the field access an error, which fails its clause.
func ageOf(v vars) any {
	age, _ := ageYears(v.in.User.Verified, v.in.Now)
	return age
}

// hasAge reports whether user.age_years is present.
func hasAge(v vars) bool {
	_, ok := ageYears(v.in.User.Verified, v.in.Now)
	return ok
}

// vars holds one evaluation's input. It is the CEL activation, and the
// three variables resolve to typed handles on it, so that reading a field
// is a switch and a function call rather than reflection over a map. It
// and the handles are each a single pointer, so storing one in an
// interface does not allocate.
type vars struct {
	in *Input
}

// The handles that user, member and circle resolve to.
type (
	userVar   struct{ v vars }
	memberVar struct{ v vars }
	circleVar struct{ v vars }
)

func newVars(in *Input) vars { return vars{in: in} }

// ResolveName implements interpreter.Activation.
func (v vars) ResolveName(name string) (any, bool) {
	switch name {
	case "user":
		return userVar{v}, true
	case "member":
		return memberVar{v}, true
	case "circle":
		return circleVar{v}, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v vars) Parent() interpreter.Activation { return nil }

// varsOf unwraps a handle and reports which CEL type it belongs to.
func varsOf(target any) (vars, string) {
	switch t := target.(type) {
	case userVar:
		return t.v, userType
	case memberVar:
		return t.v, memberType
	case circleVar:
		return t.v, circleType
	}
	return vars{}, ""
}

// provider tells CEL about the three variable types. It answers for them
// and hands every other question to CEL's own registry.
//
// cel-go can describe object types natively only for protocol buffers or,
// through reflection, for Go structs. Declaring the types here instead
// gives what a rule needs: user.foo and user.credit_score >= "x" are
// compile-time errors, user.age_years can be absent (so has() and the
// denial message can tell "unverified" from a value), and reading a field
// costs no reflection. Declaring user as map(string, dyn) would push every
// mistake to run time, where it could only deny.
type provider struct {
	*types.Registry
}

// FindStructType implements types.Provider.
func (p provider) FindStructType(name string) (*types.Type, bool) {
	if _, ok := schema[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Registry.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p provider) FindStructFieldNames(name string) ([]string, bool) {
	fields, ok := schema[name]
	if !ok {
		return p.Registry.FindStructFieldNames(name)
	}
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	return names, true
}

// FindStructFieldType implements types.Provider.
func (p provider) FindStructFieldType(name, fieldName string) (*types.FieldType, bool) {
	fields, ok := schema[name]
	if !ok {
		return p.Registry.FindStructFieldType(name, fieldName)
	}
	f, ok := fields[fieldName]
	if !ok {
		return nil, false
	}
	return &types.FieldType{
		Type: f.typ,
		IsSet: func(target any) bool {
			v, typ := varsOf(target)
			return typ == name && (f.set == nil || f.set(v))
		},
		GetFrom: func(target any) (any, error) {
			v, typ := varsOf(target)
			if typ != name {
				return nil, fmt.Errorf("no field %s on %T", fieldName, target)
			}
			if f.set != nil && !f.set(v) {
				return nil, fmt.Errorf("no value for %s", fieldName)
			}
			return f.get(v), nil
		},
	}, true
}

// NewValue implements types.Provider. Rules cannot build the variable
// types themselves.
func (p provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := schema[name]; ok {
		return types.NewErr("a rule cannot create a %s", name)
	}
	return p.Registry.NewValue(name, fields)
}

// environment returns the shared, immutable CEL environment. It is built
// once; a failure here is a programming error, reported by every Compile.
var environment = sync.OnceValues(func() (*cel.Env, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	return cel.NewEnv(
		cel.CustomTypeProvider(provider{reg}),
		cel.Variable("user", cel.ObjectType(userType)),
		cel.Variable("member", cel.ObjectType(memberType)),
		cel.Variable("circle", cel.ObjectType(circleType)),
		cel.EnableMacroCallTracking(),
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(MaxLength), // Compile checks first, in plainer words
	)
})

// estimator gives the cost estimator sizes for the variables' lists, maps
// and strings.
type estimator struct{}

// EstimateSize implements cost.Estimator.
func (estimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	var size cost.SizeEstimate
	switch path := n.Path(); {
	case len(path) == 2 && path[0] == "user" && path[1] == "roles":
		size = cost.RangedSizeEstimate(0, maxRoles)
	case len(path) == 2 && path[0] == "user" && path[1] == "verified":
		size = cost.RangedSizeEstimate(0, maxVerifiedKeys)
	case len(path) == 3 && path[0] == "user" && (path[1] == "roles" || path[1] == "verified"):
		// A role, or a verified attribute's key or value.
		size = cost.RangedSizeEstimate(0, maxStringLength)
	case len(path) == 2:
		f, ok := fieldAt(path[0], path[1])
		if !ok || f.typ != types.StringType {
			return nil
		}
		size = cost.RangedSizeEstimate(0, maxStringLength)
	default:
		return nil
	}
	return &size
}

// EstimateCallCost implements cost.Estimator; CEL's own model is used.
func (estimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// fieldAt finds a field by variable and field name.
func fieldAt(variable, name string) (field, bool) {
	f, ok := schema[typeOf(variable)][name]
	return f, ok
}

// typeOf returns the CEL type name of a variable, or "" for an unknown one.
func typeOf(variable string) string {
	switch variable {
	case "user":
		return userType
	case "member":
		return memberType
	case "circle":
		return circleType
	}
	return ""
}

// ageYears computes user.age_years from the verified birth year: the age
// the user has certainly reached at now, which is one less than this
// year's birthday age until the calendar year ends. A birth year alone
// cannot say more, and an age check should never let in someone too young.
func ageYears(verified map[string]any, now time.Time) (int64, bool) {
	year, ok := intValue(verified["birth_year"])
	if !ok {
		return 0, false
	}
	if now.IsZero() {
		now = time.Now()
	}
	age := int64(now.Year()) - year - 1
	if age < 0 || age > math.MaxInt32 {
		return 0, false
	}
	return age, true
}
