package web

import (
	"net/http"

	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

func (a *App) homeRoutes() {
	a.handle("GET /{$}", options{}, a.home)
}

type homePage struct {
	Posts []post.Post
	Next  string
}

// home is the signed-in reader's feed, or the welcome page for everyone
// else.
func (a *App) home(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Nav = "home"
	if p.Session == nil {
		p.Title = p.T("quanzi — circles and a wallet")
		return a.render(w, r, p, http.StatusOK, "welcome", nil)
	}
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	posts, next, err := a.Posts.Home(r.Context(), p.Actor(), pg)
	if err != nil {
		return err
	}
	p.Title = p.T("Home")
	return a.render(w, r, p, http.StatusOK, "home", homePage{Posts: posts, Next: next})
}
