package web

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Every sentence the templates and handlers show has its Chinese.
var (
	templateSentence = regexp.MustCompile(`\bt ("(?:[^"\\]|\\.)*")`)
	goSentence       = regexp.MustCompile(`(?:\.T\(|errs\.E\([\w.]+,|errs\.Field\("\w+",)\s*("(?:[^"\\]|\\.)*")`)
)

func TestTranslations(t *testing.T) {
	var missing []string
	check := func(where, quoted string) {
		s, err := strconv.Unquote(quoted)
		if err != nil {
			t.Fatalf("%s: %s: %v", where, quoted, err)
		}
		if _, ok := zhText[s]; !ok {
			missing = append(missing, where+": "+s)
		}
	}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		b, _ := fs.ReadFile(templateFS, n)
		for _, m := range templateSentence.FindAllStringSubmatch(string(b), -1) {
			check(n, m[1])
		}
	}
	gofiles, _ := filepath.Glob("*.go")
	for _, n := range gofiles {
		if strings.HasSuffix(n, "_test.go") || strings.HasPrefix(n, "zh_") {
			continue
		}
		b, _ := os.ReadFile(n)
		for _, m := range goSentence.FindAllStringSubmatch(string(b), -1) {
			check(n, m[1])
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d sentences have no Chinese:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

func TestLanguageFromHeader(t *testing.T) {
	for header, want := range map[string]lang{
		"":                        en,
		"zh":                      zh,
		"zh-TW,zh;q=0.9":          zh,
		"de-DE,de;q=0.9":          en,
		"en-US,en;q=0.9,zh;q=.8":  en,
		"ja,zh-CN;q=0.5,en;q=0.4": zh,
		"zh;q=abc, en":            en,
	} {
		r, _ := newRequest(header)
		if got := (&App{}).language(r); got != want {
			t.Errorf("Accept-Language %q: %v, want %v", header, got, want)
		}
	}
}

func newRequest(acceptLanguage string) (*http.Request, error) {
	r, err := http.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Language", acceptLanguage)
	return r, err
}
