package web

import (
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
			words = describeIn(p, rule)
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

// describeIn gives a rule's description in the page's language.
func describeIn(p *Page, rule *policy.Rule) string {
	if p.Lang == zh {
		return rule.DescribeZH()
	}
	return rule.Describe()
}

// rightIn is why a right is refused, in the page's language: the policy's
// own Chinese for a rule's refusal, else the catalog's.
func rightIn(p *Page, r circle.Right) string {
	if p.Lang == zh && r.ReasonZH != "" {
		return r.ReasonZH
	}
	return p.T(r.Reason)
}
