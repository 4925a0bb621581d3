package screen

import "testing"

func TestNormalizeFoldsWidthCaseAndInvisibles(t *testing.T) {
	for in, want := range map[string]string{
		"ＳＰＡＭ　１２３":            "spam 123", // full-width letters, digits and space
		"  Buy\t\nFOLLOWERS ": "buy followers",
		"sp\u200bam\u00ad":    "spam", // zero-width space, soft hyphen
		"Straße":              "strasse",
		"ｶﾀｶﾅ":                "カタカナ", // half-width katakana widen
		"ﬁne":                 "fine", // a ligature
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPhrasesMatchWholeWordsAndSeeThroughEvasion(t *testing.T) {
	for _, c := range []struct {
		phrase, text string
		want         bool
	}{
		{"spam", "this is spam.", true},
		{"spam", "SPAM!", true},
		{"spam", "ｓｐａｍ here", true},
		{"spam", "s.p.a.m", true},
		{"spam", "s p a m", true},
		{"spam", "s-p-a-m for you", true},
		{"spam", "s\u200bp\u200ba\u200bm", true},
		{"spam", "sp.am", true},
		{"spam", "spammer", false},
		{"spam", "a spa meeting", false},
		{"ass", "first class", false},
		{"ass", "a class act", false},
		{"ass", "you ass", true},
		{"ass", "a.s.s", true},
		{"buy followers", "Buy   followers now", true},
		{"buy followers", "b u y followers", true},
		{"buy followers", "buy more followers", false},
		{"spam", "加我spam微信", true}, // CJK around a Latin word bounds it
		{"微信", "加我微信", true},       // CJK matches as a substring
		{"微信", "加我 微 . 信 号", true}, // spaced and dotted out
		{"微信", "加我威信", false},
		{"ｖｘ号", "加vx号", true}, // a mixed phrase, full-width
		{"!!!", "!!!", false}, // nothing to match
	} {
		if got := ReadPhrase(c.phrase).In(ReadText(c.text)); got != c.want {
			t.Errorf("%q in %q: %v, want %v", c.phrase, c.text, got, c.want)
		}
	}
}
