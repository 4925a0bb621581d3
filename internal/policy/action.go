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

// actionWords holds, per action, the verb phrase and whether the phrase
// already says where ("seeing this circle") or needs "here" after it.
var actionWords = map[Action]struct {
	verb      string
	placeless bool
}{
	Join:    {"joining", false},
	View:    {"seeing this circle", true},
	Post:    {"posting", false},
	Comment: {"commenting", false},
	Tip:     {"tipping", false},
	Invite:  {"inviting people", false},
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
