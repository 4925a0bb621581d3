package policy

import (
	"fmt"
	"strconv"
	"strings"

	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// clause is a condition simple enough to put into words: a variable path
// compared with constants, a role or key looked up in a path, or a
// presence test.
type clause struct {
	path   []string
	op     string    // one of the op* constants
	values []ref.Val // one constant, or a list's items for opIn
}

// The relations a clause can state. Each has an opposite (see negate).
const (
	opEq          = "=="
	opNe          = "!="
	opLt          = "<"
	opLe          = "<="
	opGt          = ">"
	opGe          = ">="
	opIn          = "in"      // path in [constants]
	opNotIn       = "not in"  // !(path in [constants])
	opContains    = "has"     // constant in path
	opNotContains = "lacks"   // !(constant in path)
	opPresent     = "set"     // has(path)
	opAbsent      = "not set" // !has(path)
)

var opposite = map[string]string{
	opEq: opNe, opNe: opEq, opLt: opGe, opGe: opLt, opLe: opGt, opGt: opLe,
	opIn: opNotIn, opNotIn: opIn, opContains: opNotContains, opNotContains: opContains,
	opPresent: opAbsent, opAbsent: opPresent,
}

// mirrored gives the relation with its sides swapped: 750 <= x is x >= 750.
var mirrored = map[string]string{
	operators.Equals: opEq, operators.NotEquals: opNe,
	operators.Less: opGt, operators.LessEquals: opGe,
	operators.Greater: opLt, operators.GreaterEquals: opLe,
}

var direct = map[string]string{
	operators.Equals: opEq, operators.NotEquals: opNe,
	operators.Less: opLt, operators.LessEquals: opLe,
	operators.Greater: opGt, operators.GreaterEquals: opGe,
}

// at reports whether the clause is about the path written as dotted text.
func (c clause) at(path string) bool {
	return strings.Join(c.path, ".") == path
}

// negate returns the clause that holds exactly when c does not.
func (c clause) negate() clause {
	c.op = opposite[c.op]
	return c
}

// clauseOf recognises e as a clause.
func clauseOf(e celast.Expr) (clause, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			p, ok := pathOf(sel.Operand())
			if !ok {
				return clause{}, false
			}
			return clause{path: append(p, sel.FieldName()), op: opPresent}, true
		}
		// A bare path used as a condition, such as user.verified.student.
		if p, ok := pathOf(e); ok {
			return clause{path: p, op: opEq, values: []ref.Val{types.True}}, true
		}
	case celast.CallKind:
		return callClause(e.AsCall())
	}
	return clause{}, false
}

// callClause recognises comparisons and in.
func callClause(call celast.CallExpr) (clause, bool) {
	args := call.Args()
	if len(args) != 2 || call.IsMemberFunction() {
		return clause{}, false
	}
	fn := call.FunctionName()
	if op, ok := direct[fn]; ok {
		if p, ok := pathOf(args[0]); ok {
			if v, ok := constOf(args[1]); ok {
				return clause{path: p, op: op, values: []ref.Val{v}}, true
			}
		}
		if p, ok := pathOf(args[1]); ok {
			if v, ok := constOf(args[0]); ok {
				return clause{path: p, op: mirrored[fn], values: []ref.Val{v}}, true
			}
		}
		return clause{}, false
	}
	if fn != operators.In {
		return clause{}, false
	}
	if p, ok := pathOf(args[0]); ok {
		if vs, ok := constList(args[1]); ok && len(vs) > 0 {
			return clause{path: p, op: opIn, values: vs}, true
		}
	}
	if p, ok := pathOf(args[1]); ok {
		if v, ok := constOf(args[0]); ok {
			return clause{path: p, op: opContains, values: []ref.Val{v}}, true
		}
	}
	return clause{}, false
}

// pathOf returns the variable path e reads, such as user.verified.gender
// (also when written user.verified["gender"]).
func pathOf(e celast.Expr) ([]string, bool) {
	switch e.Kind() {
	case celast.IdentKind:
		if typeOf(e.AsIdent()) == "" {
			return nil, false
		}
		return []string{e.AsIdent()}, true
	case celast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			return nil, false
		}
		p, ok := pathOf(sel.Operand())
		return append(p, sel.FieldName()), ok
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != operators.Index || len(call.Args()) != 2 {
			return nil, false
		}
		key, ok := constOf(call.Args()[1])
		if !ok || key.Type() != types.StringType {
			return nil, false
		}
		p, ok := pathOf(call.Args()[0])
		return append(p, string(key.(types.String))), ok
	}
	return nil, false
}

// constOf returns the value of a literal.
func constOf(e celast.Expr) (ref.Val, bool) {
	if e.Kind() != celast.LiteralKind {
		return nil, false
	}
	return e.AsLiteral(), true
}

// constList returns the items of a list of literals.
func constList(e celast.Expr) ([]ref.Val, bool) {
	if e.Kind() != celast.ListKind {
		return nil, false
	}
	var vs []ref.Val
	for _, el := range e.AsList().Elements() {
		v, ok := constOf(el)
		if !ok {
			return nil, false
		}
		vs = append(vs, v)
	}
	return vs, true
}

// subject says how to name what a path holds.
type subject struct {
	noun    string // "a credit score", "membership"
	unit    string // appended to numbers: " days"
	owner   string // user, member or circle
	missing string // what the user lacks when the value is absent
}

// subjectOf names the thing at path, if the path is one we know.
func subjectOf(path []string) (subject, bool) {
	if len(path) == 3 && path[0] == "user" && path[1] == "verified" {
		n := "verified " + attributeName(path[2])
		return subject{noun: "a " + n, owner: "user", missing: "you have no " + n}, true
	}
	if len(path) != 2 {
		return subject{}, false
	}
	s := subject{owner: path[0]}
	switch path[0] + "." + path[1] {
	case "user.id":
		s.noun = "an account id"
	case "user.handle":
		s.noun = "a handle"
	case "user.credit_score":
		s.noun = "a credit score"
	case "user.account_age_days":
		s.noun, s.unit = "an account age", " days"
	case "user.age_years":
		s.noun, s.missing = "an age", "you have no verified birth year"
	case "member.role":
		s.noun = "a role in this circle"
	case "member.tenure_days":
		s.noun, s.unit = "membership", " days"
	case "circle.id":
		s.noun = "a circle id"
	case "circle.category":
		s.noun = "a circle category"
	case "circle.visibility":
		s.noun = "a circle visibility"
	default:
		return subject{}, false
	}
	return s, true
}

// attributeName names a verified attribute: "student" is "student status",
// and snake_case keys become words.
func attributeName(key string) string {
	switch key {
	case "student":
		return "student status"
	case "employment":
		return "employment status"
	}
	return strings.ReplaceAll(key, "_", " ")
}

// relation words, to follow the subject: "a credit score of at least 750".
var relationWords = map[string]string{
	opEq: "of", opNe: "other than", opLt: "of less than", opLe: "of at most",
	opGt: "of more than", opGe: "of at least", opIn: "of", opNotIn: "other than",
}

// need says what the clause requires, to follow the word "needs".
func (c clause) need() (string, bool) {
	if c.at("user.roles") {
		return c.roleNeed()
	}
	if c.op == opPresent || c.op == opAbsent {
		return c.presenceNeed()
	}
	if c.op == opContains || c.op == opNotContains {
		if c.at("user.verified") {
			key, ok := c.values[0].(types.String)
			if !ok {
				return "", false
			}
			return clause{path: append(c.path[:2:2], string(key)), op: presenceOp(c.op)}.presenceNeed()
		}
		return "", false
	}
	s, ok := subjectOf(c.path)
	if !ok {
		return "", false
	}
	if b, ok := c.flag(); ok && b && strings.HasPrefix(s.noun, "a verified ") {
		return strings.TrimPrefix(s.noun, "a "), true // "verified student status"
	}
	if c.at("member.role") && (c.op == opEq || c.op == opIn) {
		return "the " + valueList(c.values, "or") + " role in this circle", true
	}
	return s.noun + " " + relationWords[c.op] + " " + c.valueWords(s.unit), true
}

// flag reports whether c asks a path to be true (or false) and which.
func (c clause) flag() (bool, bool) {
	if len(c.values) != 1 || (c.op != opEq && c.op != opNe) {
		return false, false
	}
	b, ok := c.values[0].(types.Bool)
	if !ok {
		return false, false
	}
	return bool(b) == (c.op == opEq), true
}

// presenceOp maps "key in map" relations to presence relations.
func presenceOp(op string) string {
	if op == opContains {
		return opPresent
	}
	return opAbsent
}

// roleNeed says which platform role the clause wants.
func (c clause) roleNeed() (string, bool) {
	switch c.op {
	case opContains:
		return "the " + valueWords(c.values[0]) + " role", true
	case opNotContains:
		return "an account without the " + valueWords(c.values[0]) + " role", true
	}
	return "", false
}

// presenceNeed words has() tests.
func (c clause) presenceNeed() (string, bool) {
	if len(c.path) == 3 && c.path[0] == "user" && c.path[1] == "verified" {
		n := "verified " + attributeName(c.path[2])
		if c.op == opPresent {
			return "a " + n, true
		}
		return "no " + n, true
	}
	if c.at("user.age_years") {
		if c.op == opPresent {
			return "a verified birth year", true
		}
		return "no verified birth year", true
	}
	return "", false
}

// valueWords prints the clause's constants, with the unit after numbers.
func (c clause) valueWords(unit string) string {
	if c.op == opIn || c.op == opNotIn {
		return valueList(c.values, "or")
	}
	w := valueWords(c.values[0])
	if isNumber(c.values[0]) {
		w += unit
	}
	return w
}

// have says what the user (or circle) has at the clause's path, after the
// clause failed: "yours is 712", "you have no verified gender".
func (c clause) have(v vars) string {
	if c.at("user.roles") {
		if c.op == opContains {
			return "you do not have it"
		}
		return "yours has it"
	}
	if c.op == opPresent || c.op == opContains {
		return "you have none"
	}
	if c.op == opAbsent || c.op == opNotContains {
		return "you have one"
	}
	s, _ := subjectOf(c.path)
	val, ok := valueAt(v, c.path)
	if !ok {
		return s.missing
	}
	if want, isFlag := c.flag(); isFlag && want {
		if b, ok := val.(bool); ok && !b {
			return "yours is not confirmed"
		}
	}
	if c.at("member.role") {
		switch val {
		case "none":
			return "you are not a member"
		case "pending":
			return "your membership is still pending"
		}
	}
	if s.owner == "circle" {
		return "this circle's is " + goValueWords(val)
	}
	return "yours is " + goValueWords(val)
}

// valueAt reads path from the evaluation's variables, reporting false when
// the value is absent (an unverified attribute or age).
func valueAt(v vars, path []string) (any, bool) {
	if len(path) < 2 {
		return nil, false
	}
	f, ok := fieldAt(path[0], path[1])
	if !ok || (f.set != nil && !f.set(v)) {
		return nil, false
	}
	val := f.get(v)
	for _, key := range path[2:] {
		m, ok := val.(map[string]any)
		if !ok {
			return nil, false
		}
		if val, ok = m[key]; !ok {
			return nil, false
		}
	}
	return val, true
}

// valueList prints constants as `"a", "b" or "c"`.
func valueList(vs []ref.Val, conj string) string {
	words := make([]string, len(vs))
	for i, v := range vs {
		words[i] = valueWords(v)
	}
	return joinWords(words, conj)
}

// valueWords prints a CEL constant: strings quoted, numbers plain.
func valueWords(v ref.Val) string {
	return goValueWords(v.Value())
}

// goValueWords prints a Go value as valueWords does.
func goValueWords(v any) string {
	switch t := v.(type) {
	case string:
		return strconv.Quote(t)
	case []string:
		quoted := make([]string, len(t))
		for i, s := range t {
			quoted[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case nil:
		return "empty"
	}
	return fmt.Sprint(v)
}

// isNumber reports whether v is a numeric constant.
func isNumber(v ref.Val) bool {
	switch v.Type() {
	case types.IntType, types.UintType, types.DoubleType:
		return true
	}
	return false
}

// intValue reads an integer given as any Go integer type or as a whole
// float64 (as JSON decoding produces).
func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint32:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	}
	return 0, false
}
