package policy

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// phrase is the same words in English and in Chinese. Every sentence the
// package makes is built as a phrase, part by part from the rule's
// structure, so that neither language is a translation of the other's
// finished string and a new kind of clause cannot be worded in one only.
type phrase struct{ en, zh string }

// Chinese names of verified attributes, after 认证 ("verified").
var attributeNamesZH = map[string]string{
	"gender":         "性别",
	"student":        "学生身份",
	"employment":     "就业状态",
	"identity_level": "身份等级",
	"birth_year":     "出生年份",
}

// attributeNameZH names a verified attribute in Chinese; one we do not
// know keeps its key, quoted, as written in the rule.
func attributeNameZH(key string) string {
	if n, ok := attributeNamesZH[key]; ok {
		return n
	}
	return "属性" + quoteZH(key)
}

// valueNamesZH gives Chinese names to the values a known path holds, by
// path. Values we cannot name, such as a handle, a circle category or an
// employer, are shown quoted as the rule writes them.
var valueNamesZH = map[string]map[string]string{
	"user.verified.gender": {"female": "女性", "male": "男性", "other": "其他"},
	"user.roles":           {"user": "普通用户", "reviewer": "审核员", "admin": "管理员"},
	"member.role": {"none": "未加入", "pending": "待审核", "member": "成员",
		"moderator": "版主", "admin": "管理员", "owner": "圈主"},
	"circle.visibility": {"open": "公开", "closed": "不公开"},
}

// goValueZH prints a Go value for a Chinese sentence: a named value by its
// Chinese name, other text quoted, a number with unit after it.
func goValueZH(path []string, v any, unit string) string {
	switch t := v.(type) {
	case string:
		if n, ok := valueNamesZH[strings.Join(path, ".")][t]; ok {
			return n
		}
		return quoteZH(t)
	case []string:
		names := make([]string, len(t))
		for i, s := range t {
			names[i] = goValueZH(path, s, "")
		}
		return strings.Join(names, "、")
	case bool:
		if t {
			return "是"
		}
		return "否"
	case nil:
		return "空"
	case int, int32, int64, uint, uint32, uint64, float64:
		return zh(goValueWords(v), unit)
	}
	return quoteZH(goValueWords(v))
}

// quoteZH puts text from a rule in Chinese quotation marks. Control
// characters and the like are escaped as strconv.Quote would.
func quoteZH(s string) string {
	q := strconv.Quote(s)
	return "“" + q[1:len(q)-1] + "”"
}

// joinZH joins items as "甲、乙或丙" (or with another conjunction).
func joinZH(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return zh(zhJoin(items[:len(items)-1], "、"), conj, items[len(items)-1])
}

// zhJoin joins items with sep between each two, spaced as zh spaces.
func zhJoin(items []string, sep string) string {
	parts := make([]string, 0, 2*len(items))
	for i, it := range items {
		if i > 0 {
			parts = append(parts, sep)
		}
		parts = append(parts, it)
	}
	return zh(parts...)
}

// zh joins parts of a Chinese phrase, with a space wherever Chinese
// characters meet Latin letters or digits ("至少 750", "12 天"), as is
// the custom in Chinese text.
func zh(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		last, _ := utf8.DecodeLastRuneInString(b.String())
		first, _ := utf8.DecodeRuneInString(p)
		if b.Len() > 0 && (isHan(last) && isLatin(first) || isLatin(last) && isHan(first)) {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// isHan reports whether r is a Chinese character.
func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// isLatin reports whether r is an ASCII letter or digit, or a minus sign
// starting a number.
func isLatin(r rune) bool {
	return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-')
}
