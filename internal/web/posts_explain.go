package web

import (
	"errors"
	"regexp"

	"github.com/quanzi/quanzi/internal/errs"
)

// The refusals the reply, pin and circle settings forms meet carry values
// in their sentences (a circle's name, an amount), so the catalog, which
// translates whole sentences, does not know them. Like social_errors.go,
// these shapes recognise them and rebuild them from translatable keys.
// Keys that only these shapes use start with "(posts2)" to stay apart
// from other parts' sentences.
var posts2Shapes = []sentenceShape{
	{re: regexp.MustCompile(`^Only (moderators, admins and the owner|admins and the owner|the owner) of (.+) may (.+)\.$`),
		key: "(posts2) Only %s of %s may %s.", words: []int{0, 2}, word: posts2Word},
	{re: regexp.MustCompile(`^There is no comment (.+) on this post\.$`), key: "(posts2) There is no comment %s on this post."},
	{re: regexp.MustCompile(`^There is no post "(.+)"\.$`), key: "(posts2) There is no post “%s”."},
	{re: regexp.MustCompile(`^There is no circle "(.+)"\.$`), key: "(posts2) There is no circle “%s”."},
	{re: regexp.MustCompile(`^The (description|rules|join question) may be at most (\d+) characters\.$`),
		key: "(posts2) The %s may be at most %s characters.", words: []int{0}, word: posts2Word},
	{re: regexp.MustCompile(`^Tips are held for 0 to (\d+) hours \(a week\), not (-?\d+)\.$`),
		key: "(posts2) Tips are held for 0 to %s hours (a week), not %s."},
	{re: regexp.MustCompile(`^Slow mode is 0 \(off\) to 86,400 seconds \(a day\), not (-?\d+)\.$`),
		key: "(posts2) Slow mode is 0 (off) to 86,400 seconds (a day), not %s."},
	{re: regexp.MustCompile(`^Posts per member a day is 0 \(no limit\) to 1,000, not (-?\d+)\.$`),
		key: "(posts2) Posts per member a day is 0 (no limit) to 1,000, not %s."},
	{re: regexp.MustCompile(`^The smallest tip is from ¥0\.01 to (\S+)\.$`), key: "(posts2) The smallest tip is from ¥0.01 to %s."},
	{re: regexp.MustCompile(`^The largest tip is from the smallest \((\S+)\) to (\S+)\.$`),
		key: "(posts2) The largest tip is from the smallest (%s) to %s."},
	{re: regexp.MustCompile(`^The daily cap per tipper is from the largest tip \((\S+)\) to (\S+)\.$`),
		key: "(posts2) The daily cap per tipper is from the largest tip (%s) to %s."},
	{re: regexp.MustCompile(`^The address /(\S+) is taken; choose another slug\.$`), key: "(posts2) The address /%s is taken; choose another slug."},
	{re: regexp.MustCompile(`^There is no category (.+); GET /api/v1/circle-categories lists them\.$`),
		key: "(posts2) There is no category %s; choose one from the list."},
}

// posts2Word translates the words the capabilities put into the sentences
// above.
func posts2Word(p *Page, w string) string {
	switch w {
	case "moderators, admins and the owner":
		return p.T("(posts2) moderators, admins and the owner")
	case "admins and the owner":
		return p.T("(posts2) admins and the owner")
	case "the owner":
		return p.T("(posts2) the owner")
	case "pin posts":
		return p.T("(posts2) pin posts")
	case "change the circle's settings":
		return p.T("(posts2) change the circle's settings")
	case "archive the circle":
		return p.T("(posts2) archive the circle")
	case "description":
		return p.T("(posts2) description")
	case "rules":
		return p.T("(posts2) house rules")
	case "join question":
		return p.T("(posts2) join question")
	}
	return w
}

// posts2Explain returns err with its explanation in the page's language,
// for the forms and error pages of replies, pins and circle settings:
// a translation the capability made, a sentence the catalog knows, one
// of the shapes above, or one social_errors.go knows.
func posts2Explain(p *Page, err error) error {
	var e *errs.Error
	if err == nil || !errors.As(err, &e) || e.Code == errs.Internal || p.Lang == en || e.Translations["zh"] != "" {
		return err
	}
	if _, ok := zhText[e.Message]; !ok {
		for _, sh := range posts2Shapes {
			m := sh.re.FindStringSubmatch(e.Message)
			if m == nil {
				continue
			}
			args := make([]any, len(m)-1)
			for i, v := range m[1:] {
				args[i] = v
			}
			for _, i := range sh.words {
				args[i] = sh.word(p, m[i+1])
			}
			out := *e
			out.Message = p.T(sh.key, args...)
			return &out
		}
	}
	return explain(p, err)
}
