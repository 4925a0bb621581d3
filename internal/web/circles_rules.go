package web

import (
	"regexp"
	"strings"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/policy"
)

// ruleWords says who may take action in c, in plain words: the circle's
// rule as its description reads ("verified women only and credit score at
// least 750"), or what an empty rule means for the action.
func ruleWords(p *Page, c circle.Circle, action string) string {
	var expr string
	switch action {
	case "join":
		expr = c.Policies.Join
	case "view":
		expr = c.Policies.View
	case "post":
		expr = c.Policies.Post
	case "comment":
		expr = c.Policies.Comment
	case "tip":
		expr = c.Policies.Tip
	case "invite":
		expr = c.Policies.Invite
	}
	words := ""
	if strings.TrimSpace(expr) != "" {
		if rule, err := policy.Compile(expr); err == nil {
			words = describeIn(p, rule.Describe())
		} else {
			words = expr
		}
	}
	switch action {
	case "view":
		if c.Visibility == circle.Closed {
			return withRule(p, p.T("Members only"), words)
		}
		if words == "" {
			return p.T("Anyone, even without an account")
		}
		return p.T("Signed-in people: %s", words)
	case "join":
		who := p.T("Anyone with an account")
		if c.Visibility == circle.Closed {
			who = p.T("People with an invite code")
		}
		who = withRule(p, who, words)
		if c.JoinApproval {
			who += p.T(" — a moderator approves each request")
		}
		return who
	case "invite":
		return withRule(p, p.T("Members (moderators always)"), words)
	}
	return withRule(p, p.T("Members"), words)
}

func withRule(p *Page, who, words string) string {
	if words == "" {
		return who
	}
	return who + colon(p) + words
}

// colon is a colon in the page's language.
func colon(p *Page) string {
	if p.Lang == zh {
		return "："
	}
	return ": "
}

// Chinese for the phrases a rule's description is made of. A description
// with a phrase not here stays in English rather than half-translated.
var (
	zhRulePhrases = []struct {
		re *regexp.Regexp
		zh string
	}{
		{regexp.MustCompile(`verified women only`), "仅限认证女性"},
		{regexp.MustCompile(`verified men only`), "仅限认证男性"},
		{regexp.MustCompile(`verified students only`), "仅限认证学生"},
		{regexp.MustCompile(`adults only`), "仅限成年人"},
		{regexp.MustCompile(`aged (\d+) or over`), "年满 $1 岁"},
		{regexp.MustCompile(`credit score at least (\d+)`), "信用分不低于 $1"},
		{regexp.MustCompile(`members for at least (\d+) days`), "入圈满 $1 天"},
		{regexp.MustCompile(` and `), "，且"},
		{regexp.MustCompile(` or `), "，或"},
	}
	latinLetters = regexp.MustCompile(`[A-Za-z]`)
)

// describeIn gives a rule's description in the page's language.
func describeIn(p *Page, words string) string {
	if p.Lang != zh || words == "" {
		return words
	}
	out := words
	for _, ph := range zhRulePhrases {
		out = ph.re.ReplaceAllString(out, ph.zh)
	}
	if latinLetters.MatchString(out) {
		return words
	}
	return out
}

// zhDenials translate the policy's most common refusals; the rest stay in
// the policy's English.
var zhDenials = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^(Joining|Posting|Commenting|Tipping|Inviting people) here needs a credit score of at least (\d+); yours is (\d+)\.$`),
		"在这里${1}需要信用分不低于 $2；你的信用分是 $3。"},
	{regexp.MustCompile(`^(Joining|Posting|Commenting|Tipping|Inviting people) here needs membership of at least (\d+) days; yours is (\d+) days?\.$`),
		"在这里${1}需要入圈满 $2 天；你已入圈 $3 天。"},
	{regexp.MustCompile(`^(Joining|Posting|Commenting|Tipping|Inviting people) here needs a verified gender of "female"; .*\.$`),
		"在这里${1}仅限认证女性。"},
	{regexp.MustCompile(`^(Joining|Posting|Commenting|Tipping|Inviting people) here needs verified student status; .*\.$`),
		"在这里${1}仅限认证学生。"},
}

var zhVerbs = map[string]string{"Joining": "加入", "Posting": "发帖", "Commenting": "评论", "Tipping": "打赏", "Inviting people": "邀请他人"}

// explainIn gives a capability's refusal in the page's language: the
// catalog's translation, a translated policy denial, or the English.
func explainIn(p *Page, msg string) string {
	if p.Lang != zh || msg == "" {
		return p.T(msg)
	}
	if z, ok := zhText[msg]; ok {
		return z
	}
	for _, d := range zhDenials {
		if m := d.re.FindStringSubmatch(msg); m != nil {
			out := d.re.ReplaceAllString(msg, d.zh)
			return strings.Replace(out, m[1], zhVerbs[m[1]], 1)
		}
	}
	return msg
}
