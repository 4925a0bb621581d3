package web

import (
	"errors"
	"regexp"

	"github.com/quanzi/quanzi/internal/errs"
)

// The capabilities explain a refusal in one English sentence, often with a
// handle or a number in it ("@%s takes messages only from friends …").
// The catalog translates whole sentences, so a sentence with a value in
// it is recognised here by its shape and rebuilt from a translatable
// pattern with the values put back; the words among the values ("a
// student claim", "send messages to each other") are translated too.
type sentenceShape struct {
	re  *regexp.Regexp
	key string // the English pattern, a key of the catalog
	// words says which captured values are words to translate (by
	// index), and how; nil: translate them as sentences.
	words []int
	word  func(p *Page, w string) string
}

// requestState, claimState and claimKind translate the words the
// capabilities put into their sentences, through keys of their own.
func requestState(p *Page, w string) string {
	switch w {
	case "accepted":
		return p.T("(friend request) accepted")
	case "declined":
		return p.T("(friend request) declined")
	case "cancelled":
		return p.T("(friend request) cancelled")
	}
	return w
}

func claimState(p *Page, w string) string {
	switch w {
	case "approved":
		return p.T("(claim) approved")
	case "rejected":
		return p.T("(claim) rejected")
	case "revoked":
		return p.T("(claim) revoked")
	case "superseded":
		return p.T("(claim) superseded")
	case "withdrawn":
		return p.T("(claim) withdrawn")
	}
	return w
}

var sentenceShapes = []sentenceShape{
	{re: regexp.MustCompile(`^You and @(\S+) cannot (.+): one of you has blocked the other\.$`),
		key: "You and @%s cannot %s: one of you has blocked the other.", words: []int{1}},
	{re: regexp.MustCompile(`^You and @(\S+) are already friends\.$`), key: "You and @%s are already friends."},
	{re: regexp.MustCompile(`^You and @(\S+) are not friends\.$`), key: "You and @%s are not friends."},
	{re: regexp.MustCompile(`^You do not follow @(\S+)\.$`), key: "You do not follow @%s."},
	{re: regexp.MustCompile(`^You have not blocked @(\S+)\.$`), key: "You have not blocked @%s."},
	{re: regexp.MustCompile(`^Your friend request to @(\S+) is still waiting for their answer\.$`),
		key: "Your friend request to @%s is still waiting for their answer."},
	{re: regexp.MustCompile(`^@(\S+)'s account is disabled\.$`), key: "@%s's account is disabled."},
	{re: regexp.MustCompile(`^There is no user @(.+)\.$`), key: "There is no user @%s."},
	{re: regexp.MustCompile(`^@(\S+) takes messages only from friends; send them a friend request first\.$`),
		key: "@%s takes messages only from friends; send them a friend request first."},
	{re: regexp.MustCompile(`^@(\S+) declined your message request; you can write again once they write to you or you become friends\.$`),
		key: "@%s declined your message request; you can write again once they write to you or you become friends."},
	{re: regexp.MustCompile(`^This friend request was already (\w+); nothing was changed\.$`),
		key: "This friend request was already %s; nothing was changed.", words: []int{0}, word: requestState},
	{re: regexp.MustCompile(`^A message may be at most (\d+) characters; this one has (\d+)\.$`),
		key: "A message may be at most %s characters; this one has %s."},
	{re: regexp.MustCompile(`^A friend request's note may be at most (\d+) characters; this one has (\d+)\.$`),
		key: "A friend request's note may be at most %s characters; this one has %s."},
	{re: regexp.MustCompile(`^The password must be at least (\d+) characters long; it has (\d+)\.$`),
		key: "The password must be at least %s characters long; it has %s."},
	{re: regexp.MustCompile(`^The password must be at most (\d+) characters long; it has (\d+)\.$`),
		key: "The password must be at most %s characters long; it has %s."},
	{re: regexp.MustCompile(`^A birth year must be a number from 1900 to (\d+)\.$`), key: "A birth year must be a number from 1900 to %s."},
	{re: regexp.MustCompile(`^You already have a (\w+) claim waiting for review; withdraw it first to claim a different value\.$`),
		key: "You already have a %s claim waiting for review; withdraw it first to claim a different value.", words: []int{0}, word: kindLabel},
	{re: regexp.MustCompile(`^This claim is (\w+) and can no longer be withdrawn\.$`),
		key: "This claim is %s and can no longer be withdrawn.", words: []int{0}, word: claimState},
	{re: regexp.MustCompile(`^@(\S+) is not one of your friends; a moment can be shared with friends only\.$`),
		key: "@%s is not one of your friends; a moment can be shared with friends only."},
	{re: regexp.MustCompile(`^The text is (\d+) characters long; at most (\d+) are allowed\.$`),
		key: "The text is %s characters long; at most %s are allowed."},
	{re: regexp.MustCompile(`^A moment shared with a list names 1 to (\d+) friends\.$`), key: "A moment shared with a list names 1 to %s friends."},
}

// translateSentence translates a capability's sentence into the page's
// language: whole, through the catalog, or by its shape.
func translateSentence(p *Page, msg string) string {
	if p.Lang == en {
		return msg
	}
	if _, ok := zhText[msg]; ok {
		return p.T(msg)
	}
	for _, sh := range sentenceShapes {
		m := sh.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, v := range m[1:] {
			args[i] = v
		}
		for _, i := range sh.words {
			if sh.word != nil {
				args[i] = sh.word(p, m[i+1])
			} else {
				args[i] = p.T(m[i+1])
			}
		}
		return p.T(sh.key, args...)
	}
	return msg
}

// explain returns err with its explanation in the page's language, for
// formError and the error page (which translate whole sentences only).
// Faults of ours pass through untouched.
func explain(p *Page, err error) error {
	var e *errs.Error
	if err == nil || !errors.As(err, &e) || e.Code == errs.Internal || p.Lang == en {
		return err
	}
	out := *e
	out.Message = translateSentence(p, e.Message)
	return &out
}
