package web

import (
	"fmt"

	"net/http"
	"strings"

	"github.com/quanzi/quanzi/internal/errs"
)

// lang is a language the app speaks.
type lang int

const (
	en lang = iota
	zh
)

var langs = []lang{en, zh}

func (l lang) tag() string {
	if l == zh {
		return "zh-CN"
	}
	return "en"
}

// code is the language's value in the switch form and its cookie.
func (l lang) code() string {
	if l == zh {
		return "zh"
	}
	return "en"
}

// Sentences are written in English in the code and the templates, and
// that English is the key of their translation: {{t "Wallet"}} in a
// template, p.T("Wallet") in Go. A sentence with values takes fmt verbs:
// {{t "%d members" .Members}}. The catalog of Simplified Chinese is
// spread over zh_*.go, one file per part of the app, each adding its
// sentences in an init function through addZH; TestTranslations checks
// every sentence the templates and handlers use has its translation.
var zhText = map[string]string{}

// addZH adds translations; the same sentence translated twice differently
// is a mistake the program refuses to start with.
func addZH(m map[string]string) {
	for k, v := range m {
		if old, ok := zhText[k]; ok && old != v {
			panic(fmt.Sprintf("web: %q is translated twice: %q and %q", k, old, v))
		}
		zhText[k] = v
	}
}

// T translates s and fills in its verbs. A sentence without a translation
// stays in English (sentences from the capabilities, such as a policy's
// explanation, are in English unless the catalog knows them).
func (l lang) T(s string, args ...any) string {
	if l == zh {
		if z, ok := zhText[s]; ok {
			s = z
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Explain is an error's sentence in the page's language: the translation
// the capability made (a policy's explanation is built in Chinese from the
// same clause as the English), else the catalog's, else the English.
func (p *Page) Explain(err error) string {
	e := errs.As(err)
	if p.Lang == zh {
		if z := e.Translations["zh"]; z != "" {
			return z
		}
	}
	return p.T(e.Message)
}

const langCookie = "qz-lang"

// language is the reader's choice (the switch's cookie), else the first
// of ours in their Accept-Language, else English.
func (a *App) language(r *http.Request) lang {
	if c, err := r.Cookie(langCookie); err == nil {
		return parseLang(c.Value, en)
	}
	best, bestQ := en, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				continue
			}
		}
		tag = strings.ToLower(tag)
		var l lang
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			l = zh
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			l = en
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

func parseLang(s string, fallback lang) lang {
	switch s {
	case "zh":
		return zh
	case "en":
		return en
	}
	return fallback
}
