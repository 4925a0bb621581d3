package screen

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Normalize is the form in which phrases are listed and text is read:
// Unicode NFKC (full-width letters and digits become ASCII, compatibility
// forms their plain letters), case folded, invisible format characters
// (zero-width spaces and joiners, soft hyphens, bidi marks) removed, and
// runs of spaces collapsed to one.
func Normalize(s string) string {
	s = cases.Fold().String(norm.NFKC.String(s))
	s = norm.NFKC.String(s) // folding can leave a string that is not NFKC
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) || unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isCJK reports whether r is written without spaces between words:
// Chinese, Japanese kana and Korean.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

// words splits normalized text into words: runs of letters and digits,
// broken where the script changes between CJK and the rest. Between
// words lie spaces and, unless glued, punctuation; with glued,
// punctuation inside a space-separated chunk is dropped instead, so that
// "sp.am" reads as "spam". Then a run of two or more one-letter words
// becomes one word, so that "s p a m" and "s.p.a.m" read as "spam".
func words(s string, glued bool) []string {
	var out []string
	var cur []rune
	prevCJK := false
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	for _, r := range s {
		switch {
		case isWord(r):
			c := isCJK(r)
			if len(cur) > 0 && c != prevCJK {
				flush()
			}
			cur, prevCJK = append(cur, r), c
		case unicode.IsSpace(r) || !glued:
			flush()
		}
	}
	flush()
	return joinLetters(out)
}

// joinLetters joins each run of two or more one-letter words.
func joinLetters(ws []string) []string {
	out := ws[:0:0]
	for i := 0; i < len(ws); {
		j := i
		for j < len(ws) && utf8.RuneCountInString(ws[j]) == 1 {
			j++
		}
		if j-i >= 2 {
			out = append(out, strings.Join(ws[i:j], ""))
			i = j
			continue
		}
		out = append(out, ws[i])
		i++
	}
	return out
}

// skeleton is the text's letters and digits alone, for CJK phrases,
// which match anywhere (CJK writing has no spaces to bound words).
func skeleton(s string) string {
	return strings.Map(func(r rune) rune {
		if isWord(r) {
			return r
		}
		return -1
	}, s)
}

func spaced(ws []string) string { return " " + strings.Join(ws, " ") + " " }

// Text is a text made ready for matching phrases against.
type Text struct {
	split, glued, skeleton string
}

// ReadText prepares a post's or comment's text.
func ReadText(s string) Text {
	n := Normalize(s)
	return Text{split: spaced(words(n, false)), glued: spaced(words(n, true)), skeleton: skeleton(n)}
}

// Phrase is a listed phrase made ready for matching.
type Phrase struct {
	Text              string // as listed (normalized)
	cjk               bool
	split, glued, skl string
}

// ReadPhrase prepares a phrase. A phrase with CJK in it matches as a
// substring of the text's letters; any other matches whole words, in
// order, so "ass" does not match "class".
func ReadPhrase(s string) Phrase {
	n := Normalize(s)
	p := Phrase{Text: n, skl: skeleton(n)}
	for _, r := range n {
		if isCJK(r) {
			p.cjk = true
			break
		}
	}
	if ws := words(n, false); len(ws) > 0 {
		p.split = spaced(ws)
	}
	if ws := words(n, true); len(ws) > 0 {
		p.glued = spaced(ws)
	}
	return p
}

// Empty reports whether the phrase has nothing to match: no letters or
// digits.
func (p Phrase) Empty() bool { return p.skl == "" }

// In reports whether the text contains the phrase.
func (p Phrase) In(t Text) bool {
	switch {
	case p.Empty():
		return false
	case p.cjk:
		return strings.Contains(t.skeleton, p.skl)
	}
	return strings.Contains(t.split, p.split) || strings.Contains(t.glued, p.glued)
}
