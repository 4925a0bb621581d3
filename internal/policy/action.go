package policy

import "strings"

// Action is something a circle's rule can allow or deny.
type Action string

// The actions a circle has a rule for.
const (
	Join    Action = "join"
	View    Action = "view"
	Post    Action = "post"
	Comment Action = "comment"
	Tip     Action = "tip"
	Invite  Action = "invite"
)

// actionWords holds, per action, the verb phrase, whether the phrase
// already says where ("seeing this circle") or needs "here" after it, and
// the subject of a Chinese denial sentence, which says where on its own.
var actionWords = map[Action]struct {
	verb      string
	placeless bool
	subjectZH string
}{
	Join:    {"joining", false, "加入这个圈子"},
	View:    {"seeing this circle", true, "查看这个圈子"},
	Post:    {"posting", false, "在这里发帖"},
	Comment: {"commenting", false, "在这里评论"},
	Tip:     {"tipping", false, "在这里打赏"},
	Invite:  {"inviting people", false, "在这里邀请他人"},
}

// Actions returns every action, in the order a settings page lists them.
func Actions() []Action {
	return []Action{Join, View, Post, Comment, Tip, Invite}
}

// Valid reports whether a is one of the known actions.
func (a Action) Valid() bool {
	_, ok := actionWords[a]
	return ok
}

// Verb returns the action as a verb phrase for messages, such as
// "commenting" or "seeing this circle"; an unknown action reads "doing this".
func (a Action) Verb() string {
	if w, ok := actionWords[a]; ok {
		return w.verb
	}
	return "doing this"
}

// subject returns the start of a denial sentence, such as "Commenting here"
// or "Seeing this circle".
func (a Action) subject() string {
	verb := a.Verb()
	if w, ok := actionWords[a]; !ok || !w.placeless {
		verb += " here"
	}
	return strings.ToUpper(verb[:1]) + verb[1:]
}

// subjectZH returns the start of a Chinese denial sentence, such as
// 在这里评论 ("commenting here").
func (a Action) subjectZH() string {
	if w, ok := actionWords[a]; ok {
		return w.subjectZH
	}
	return "在这里这样做"
}
