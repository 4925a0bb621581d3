package web

import (
	"net/http"
	"strings"

	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

type momentsPage struct {
	Posts       []post.Post
	Next        string
	Audiences   []audienceOption
	MaxPictures int
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
	d := momentsPage{Audiences: audiences(p), MaxPictures: post.MaxMedia}
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

// shareMoment shares a moment from the composer, with up to nine
// pictures uploaded as the circle composer's are. A refusal is explained
// next to its field, what was typed kept, and nothing is shared.
func (a *App) shareMoment(w http.ResponseWriter, r *http.Request, p *Page) error {
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll() // the pictures spilled to temporary files
	}
	f := newForm(r)
	p.Form = f
	d := post.Draft{Text: f.Get("text"), Audience: f.Get("audience")}
	if d.Audience == post.List {
		d.To = handleList(f.Get("to"))
	}
	if strings.TrimSpace(d.Text) == "" && len(pictureFiles(r)) == 0 {
		f.Errors["text"] = p.T("Write something to share.")
		return a.renderMoments(w, r, p, http.StatusUnprocessableEntity)
	}
	pics, ok, err := a.uploadPictures(r.Context(), p, r, f)
	if err != nil {
		return err
	}
	if !ok {
		return a.renderMoments(w, r, p, http.StatusUnprocessableEntity)
	}
	d.MediaIDs = pics.ids
	m, err := a.Posts.CreateMoment(r.Context(), p.Actor(), d)
	if err != nil {
		pics.discard()
		if err := p.formError(f, explain(p, picturesField(err)), "text", "audience", "to", "pictures"); err != nil {
			return err
		}
		return a.renderMoments(w, r, p, http.StatusUnprocessableEntity)
	}
	if m.Status == post.Held {
		return a.redirect(w, r, "/moments", p.T("Your moment waits for a quick review before others see it."))
	}
	return a.redirect(w, r, "/moments", p.T("Your moment is shared."))
}
