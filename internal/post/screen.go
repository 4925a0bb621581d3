package post

import (
	"context"
	"fmt"
	"strings"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Screening is what a screener reads of a post or comment before it is
// written.
type Screening struct {
	Kind     string // "post" or "comment"
	CircleID string // "" for a moment: the platform's list only
	AuthorID string
	Text     string
	MediaIDs []string // the author's pictures, in order
}

// Screening actions, weakest first.
const (
	ScreenFlag  = "flag"  // published, and a report case opened for moderators
	ScreenHold  = "hold"  // held and queued for review
	ScreenBlock = "block" // refused: nothing is written
)

// Screening causes, as a review item or a case names them.
const (
	CauseScreenWords           = "screen_words"           // a listed phrase
	CauseScreenHash            = "screen_hash"            // a picture on the hash block list
	CauseClassifier            = "classifier"             // a picture the classifier scored at or above its threshold
	CauseClassifierUnavailable = "classifier_unavailable" // a picture the configured classifier did not score
)

// Finding is one thing screening found.
type Finding struct {
	Action  string // flag, hold or block
	Cause   string
	Phrase  string // the listed phrase, for words
	Global  bool   // the phrase is on the platform's list, not the circle's
	Picture int    // the picture's number (from 1), for pictures
	Detail  string // for a picture: what was found, in words
}

// Verdict is everything screening found; its action is the strongest.
type Verdict struct {
	Findings []Finding
}

var screenRank = map[string]int{ScreenFlag: 1, ScreenHold: 2, ScreenBlock: 3}

// Action is the strongest action found: block, hold, flag or "" (none).
func (v Verdict) Action() string {
	best := ""
	for _, f := range v.Findings {
		if screenRank[f.Action] > screenRank[best] {
			best = f.Action
		}
	}
	return best
}

// Top is the findings with the strongest action.
func (v Verdict) Top() []Finding {
	act := v.Action()
	var out []Finding
	for _, f := range v.Findings {
		if f.Action == act {
			out = append(out, f)
		}
	}
	return out
}

// Cause is why the strongest findings were made (the first one's cause).
func (v Verdict) Cause() string {
	if top := v.Top(); len(top) > 0 {
		return top[0].Cause
	}
	return ""
}

// Detail says, for a reviewer, what the strongest findings are.
func (v Verdict) Detail() string {
	var words, pics []string
	for _, f := range v.Top() {
		if f.Cause == CauseScreenWords {
			list := "the circle's list"
			if f.Global {
				list = "the platform's list"
			}
			words = append(words, fmt.Sprintf("%q (%s)", f.Phrase, list))
		} else {
			pics = append(pics, fmt.Sprintf("picture %d: %s", f.Picture, f.Detail))
		}
	}
	var parts []string
	if len(words) > 0 {
		parts = append(parts, "contains "+strings.Join(words, ", "))
	}
	parts = append(parts, pics...)
	return strings.Join(parts, "; ")
}

// without drops the word findings whose phrase was already found in
// before: an edit answers for what it introduces.
func (v Verdict) without(before Verdict) Verdict {
	had := map[string]bool{}
	for _, f := range before.Findings {
		if f.Cause == CauseScreenWords {
			had[f.Phrase] = true
		}
	}
	var out Verdict
	for _, f := range v.Findings {
		if f.Action == ScreenBlock || f.Cause != CauseScreenWords || !had[f.Phrase] {
			out.Findings = append(out.Findings, f)
		}
	}
	return out
}

// Error codes for what screening refuses.
const (
	CodeBlockedWords errs.Code = "blocked_words"
	CodeBlockedImage errs.Code = "blocked_image"
)

// Screener screens posts and comments against word lists, the picture
// block list and the classifier's scores (the screen part).
type Screener interface {
	Screen(ctx context.Context, q store.Querier, s Screening) (Verdict, error)
}

// screen screens what is about to be written; a block is returned as the
// error that refuses it.
func (s *Service) screen(ctx context.Context, q store.Querier, sc Screening) (Verdict, error) {
	if s.Screener == nil {
		return Verdict{}, nil
	}
	v, err := s.Screener.Screen(ctx, q, sc)
	if err != nil {
		return Verdict{}, err
	}
	if v.Action() == ScreenBlock {
		return v, blocked(sc.Kind, v.Top()[0])
	}
	return v, nil
}

// blocked is the refusal of a post or comment for a blocking finding.
func blocked(kind string, f Finding) error {
	if f.Cause != CauseScreenWords {
		return (&errs.Error{Code: CodeBlockedImage, Field: "media_ids",
			Message: fmt.Sprintf("Picture %d matches a picture that may not be posted; remove it and try again.", f.Picture)}).
			Say("zh", "第 %d 张图片与禁止发布的图片相符；请去掉它再试。", f.Picture)
	}
	where, whereZH := "which this circle does not allow", "这个圈子不允许"
	if f.Global {
		where, whereZH = "which is not allowed anywhere on quanzi", "quanzi 上任何地方都不允许"
	}
	what, whatZH := "text", "内容"
	if kind == "comment" {
		what, whatZH = "comment", "评论"
	}
	return (&errs.Error{Code: CodeBlockedWords, Field: "text", Message: fmt.Sprintf("The %s contains %q, %s.", what, f.Phrase, where)}).
		Say("zh", "%s包含“%s”，%s使用这个词。", whatZH, f.Phrase, whereZH)
}

// afterScreen queues what screening held and opens a case for what it
// flagged, in the transaction that wrote it.
func (s *Service) afterScreen(ctx context.Context, tx *store.Tx, v Verdict, h Hold) error {
	if s.Reviewer == nil {
		return nil
	}
	switch v.Action() {
	case ScreenHold:
		h.Cause, h.Detail = v.Cause(), v.Detail()
		return s.Reviewer.Hold(ctx, tx, h)
	case ScreenFlag:
		h.Cause, h.Detail = v.Cause(), v.Detail()
		return s.Reviewer.Flag(ctx, tx, h)
	}
	return nil
}
