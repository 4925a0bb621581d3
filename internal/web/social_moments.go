package web

import (
	"net/http"
	"strings"

	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

type momentsPage struct {
	Posts     []post.Post
	Next      string
	Audiences []audienceOption
}

type audienceOption struct{ Value, Label, Hint string }

func audiences(p *Page) []audienceOption {
	return []audienceOption{
		{post.Friends, p.T("Friends"), p.T("All your friends")},
		{post.Public, p.T("Everyone"), p.T("Anyone who opens your profile")},
		{post.List, p.T("Chosen friends"), p.T("Only the friends you name below")},
		{post.Private, p.T("Only me"), p.T("A note to yourself")},
	}
}

func (a *App) momentsPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.renderMoments(w, r, p, http.StatusOK)
}

func (a *App) renderMoments(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	d := momentsPage{Audiences: audiences(p)}
	if d.Posts, d.Next, err = a.Posts.Moments(r.Context(), p.Actor(), pg); err != nil {
		return err
	}
	p.Nav, p.Title = "social", p.T("Moments")
	return a.render(w, r, p, status, "moments", d)
}

// handleList reads the handles a moment is shared with: separated by
// commas, spaces or new lines, with or without "@".
func handleList(s string) []string {
	var out []string
	for _, h := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		if h = strings.TrimPrefix(strings.TrimSpace(h), "@"); h != "" {
			out = append(out, h)
		}
	}
	return out
}

func (a *App) shareMoment(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	d := post.Draft{Text: f.Get("text"), Audience: f.Get("audience")}
	if d.Audience == post.List {
		d.To = handleList(f.Get("to"))
	}
	var err error
	if strings.TrimSpace(d.Text) == "" {
		f.Errors["text"] = p.T("Write something to share.")
	} else {
		var m post.Post
		if m, err = a.Posts.CreateMoment(r.Context(), p.Actor(), d); err == nil {
			if m.Status == post.Held {
				return a.redirect(w, r, "/moments", p.T("Your moment waits for a quick review before others see it."))
			}
			return a.redirect(w, r, "/moments", p.T("Your moment is shared."))
		}
	}
	p.Form = f
	if err != nil {
		if err := p.formError(f, explain(p, err), "text", "audience", "to"); err != nil {
			return err
		}
	}
	return a.renderMoments(w, r, p, http.StatusUnprocessableEntity)
}
