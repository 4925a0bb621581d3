package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var static embed.FS

// parseTemplates builds every page in every language: layout.html and the
// partials (files starting with "_") with each page's file. The "t" of a
// language's set translates into that language, so a template writes
// {{t "Wallet"}} and nothing more.
func (a *App) parseTemplates() {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	var shared, pages []string
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			shared = append(shared, n)
		} else {
			pages = append(pages, n)
		}
	}
	a.pages = map[lang]map[string]*template.Template{}
	for _, l := range langs {
		root := template.Must(template.New("layout").Funcs(a.funcs(l)).ParseFS(templateFS, shared...))
		a.pages[l] = map[string]*template.Template{}
		for _, n := range pages {
			t := template.Must(template.Must(root.Clone()).ParseFS(templateFS, n))
			a.pages[l][strings.TrimSuffix(path.Base(n), ".html")] = t
		}
	}
}

// funcs are the template functions, with "t" bound to l.
func (a *App) funcs(l lang) template.FuncMap {
	m := template.FuncMap{
		"t":     l.T,
		"asset": a.assetURL,
		"money": money,
		"ago":   func(t time.Time) string { return ago(l, time.Since(t)) },
		"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
		"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"add":   func(a, b int) int { return a + b },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"initial": initial,
	}
	for k, f := range postFuncs(l) {
		m[k] = f
	}
	return m
}

// initial is a name's first letter, as an avatar shows it.
func initial(s string) string {
	for _, r := range s {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// money writes an amount in minor units as yuan: 1250 → "¥12.50".
func money(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, minor/100, minor%100)
}

// ago says how long ago something happened, in words.
func ago(l lang, d time.Duration) string {
	switch {
	case d < time.Minute:
		return l.T("just now")
	case d < time.Hour:
		return l.T("%d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return l.T("%d h ago", int(d/time.Hour))
	default:
		return l.T("%d d ago", int(d/(24*time.Hour)))
	}
}

// asset is one embedded static file, with its gzip form for text.
type asset struct {
	name, hash, mime string
	body, gz         []byte
}

func (a *App) loadAssets() {
	a.assets = map[string]*asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "static/")
		as := &asset{name: name, hash: hex.EncodeToString(sum[:5]), body: body, mime: mime.TypeByExtension(path.Ext(name))}
		if strings.HasPrefix(as.mime, "text/") || strings.Contains(as.mime, "javascript") || strings.Contains(as.mime, "svg") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			as.gz = buf.Bytes()
		}
		a.assets[name] = as
		return nil
	})
	if err != nil {
		panic(err)
	}
}

// assetURL is a static file's address, which changes with its content, so
// browsers may keep it for a year.
func (a *App) assetURL(name string) (string, error) {
	as := a.assets[name]
	if as == nil {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + as.hash + "/" + name, nil
}

// serveAsset serves /static/{hash}/{name...}. An old hash still gets the
// current file (a page from before an upgrade keeps working), but only
// the current one may be kept for good.
func (a *App) serveAsset(w http.ResponseWriter, r *http.Request) {
	as := a.assets[r.PathValue("name")]
	if as == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", as.mime)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if r.PathValue("hash") == as.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body := as.body
	if as.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = as.gz
	}
	h.Set("ETag", `"`+as.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+as.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(body)
}
