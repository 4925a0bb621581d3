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
	noun    phrase // "a credit score" (信用分), "membership" (入圈时长)
	unit    phrase // appended to numbers: " days" (天)
	owner   string // user, member or circle
	missing phrase // what the user lacks when the value is absent
}

// subjectOf names the thing at path, if the path is one we know.
func subjectOf(path []string) (subject, bool) {
	if len(path) == 3 && path[0] == "user" && path[1] == "verified" {
		n := verifiedName(path[2])
		return subject{
			noun:    phrase{"a " + n.en, n.zh},
			owner:   "user",
			missing: phrase{"you have no " + n.en, "你没有" + n.zh},
		}, true
	}
	if len(path) != 2 {
		return subject{}, false
	}
	s := subject{owner: path[0]}
	switch path[0] + "." + path[1] {
	case "user.id":
		s.noun = phrase{"an account id", "账号编号"}
	case "user.handle":
		s.noun = phrase{"a handle", "用户名"}
	case "user.credit_score":
		s.noun = phrase{"a credit score", "信用分"}
	case "user.account_age_days":
		s.noun, s.unit = phrase{"an account age", "注册时长"}, phrase{" days", "天"}
	case "user.age_years":
		s.noun, s.unit = phrase{"an age", "年龄"}, phrase{"", "岁"}
		s.missing = phrase{"you have no verified birth year", "你没有认证出生年份"}
	case "member.role":
		s.noun = phrase{"a role in this circle", "圈内角色"}
	case "member.tenure_days":
		s.noun, s.unit = phrase{"membership", "入圈时长"}, phrase{" days", "天"}
	case "circle.id":
		s.noun = phrase{"a circle id", "圈子编号"}
	case "circle.category":
		s.noun = phrase{"a circle category", "圈子分类"}
	case "circle.visibility":
		s.noun = phrase{"a circle visibility", "圈子可见性"}
	default:
		return subject{}, false
	}
	return s, true
}

// verifiedName names a verified attribute with the word "verified":
// "verified student status", 认证学生身份.
func verifiedName(key string) phrase {
	return phrase{"verified " + attributeName(key), "认证" + attributeNameZH(key)}
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

// relation words, to follow the subject: "a credit score of at least 750",
// 信用分至少 750.
var relationWords = map[string]phrase{
	opEq: {"of", "为"}, opNe: {"other than", "不是"}, opLt: {"of less than", "低于"},
	opLe: {"of at most", "不超过"}, opGt: {"of more than", "超过"}, opGe: {"of at least", "至少"},
	opIn: {"of", "为"}, opNotIn: {"other than", "不是"},
}

// need says what the clause requires, to follow the word "needs" (需要).
func (c clause) need() (phrase, bool) {
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
				return phrase{}, false
			}
			return clause{path: append(c.path[:2:2], string(key)), op: presenceOp(c.op)}.presenceNeed()
		}
		return phrase{}, false
	}
	s, ok := subjectOf(c.path)
	if !ok {
		return phrase{}, false
	}
	if b, ok := c.flag(); ok && b && strings.HasPrefix(s.noun.en, "a verified ") {
		return phrase{strings.TrimPrefix(s.noun.en, "a "), s.noun.zh}, true // "verified student status"
	}
	if c.at("member.role") && (c.op == opEq || c.op == opIn) {
		return phrase{
			"the " + valueList(c.values, "or") + " role in this circle",
			"圈内的" + c.valueListZH("", "或") + "角色",
		}, true
	}
	v, rel := c.valueWords(s.unit), relationWords[c.op]
	return phrase{s.noun.en + " " + rel.en + " " + v.en, zh(s.noun.zh, rel.zh, v.zh)}, true
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
func (c clause) roleNeed() (phrase, bool) {
	if c.op != opContains && c.op != opNotContains {
		return phrase{}, false
	}
	role := phrase{valueWords(c.values[0]), c.valueZH(c.values[0], "")}
	if c.op == opContains {
		return phrase{"the " + role.en + " role", role.zh + "角色"}, true
	}
	return phrase{"an account without the " + role.en + " role", "没有" + role.zh + "角色的账号"}, true
}

// presenceNeed words has() tests.
func (c clause) presenceNeed() (phrase, bool) {
	var n phrase
	switch {
	case len(c.path) == 3 && c.path[0] == "user" && c.path[1] == "verified":
		n = verifiedName(c.path[2])
	case c.at("user.age_years"):
		n = verifiedName("birth_year")
	default:
		return phrase{}, false
	}
	if c.op == opPresent {
		return phrase{"a " + n.en, n.zh}, true
	}
	return phrase{"no " + n.en, "没有" + n.zh}, true
}

// valueWords prints the clause's constants, with the unit after numbers.
func (c clause) valueWords(unit phrase) phrase {
	if c.op == opIn || c.op == opNotIn {
		return phrase{valueList(c.values, "or"), c.valueListZH(unit.zh, "或")}
	}
	w := valueWords(c.values[0])
	if isNumber(c.values[0]) {
		w += unit.en
	}
	return phrase{w, c.valueZH(c.values[0], unit.zh)}
}

// valueZH prints one of the clause's constants in Chinese, named by what
// the clause's path holds.
func (c clause) valueZH(v ref.Val, unit string) string {
	return goValueZH(c.path, v.Value(), unit)
}

// valueListZH prints the clause's constants in Chinese as "甲、乙或丙".
func (c clause) valueListZH(unit, conj string) string {
	words := make([]string, len(c.values))
	for i, v := range c.values {
		words[i] = c.valueZH(v, unit)
	}
	return joinZH(words, conj)
}

// have says what the user (or circle) has at the clause's path, after the
// clause failed: "yours is 712" (你的是 712), "you have no verified
// gender" (你没有认证性别).
func (c clause) have(v vars) phrase {
	if c.at("user.roles") {
		if c.op == opContains {
			return phrase{"you do not have it", "你没有这个角色"}
		}
		return phrase{"yours has it", "你的账号有这个角色"}
	}
	if c.op == opPresent || c.op == opContains {
		return phrase{"you have none", "你没有"}
	}
	if c.op == opAbsent || c.op == opNotContains {
		return phrase{"you have one", "你有"}
	}
	s, _ := subjectOf(c.path)
	val, ok := valueAt(v, c.path)
	if !ok {
		return s.missing
	}
	if want, isFlag := c.flag(); isFlag && want {
		if b, ok := val.(bool); ok && !b {
			return phrase{"yours is not confirmed", "你的未获确认"}
		}
	}
	if c.at("member.role") {
		switch val {
		case "none":
			return phrase{"you are not a member", "你还不是成员"}
		case "pending":
			return phrase{"your membership is still pending", "你的入圈申请还在审核中"}
		}
	}
	w := phrase{goValueWords(val), goValueZH(c.path, val, s.unit.zh)}
	if s.owner == "circle" {
		return phrase{"this circle's is " + w.en, zh("这个圈子的是", w.zh)}
	}
	return phrase{"yours is " + w.en, zh("你的是", w.zh)}
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
