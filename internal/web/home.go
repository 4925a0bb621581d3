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
	// Waiting: circles are not released to the reader yet.
	Waiting bool
}

// home is the signed-in reader's feed — posts from their circles and
// moments shared with them — or the welcome page for everyone else.
func (a *App) home(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Nav = "home"
	if p.Session == nil {
		p.Title = p.T("quanzi — circles and a wallet")
		return a.render(w, r, p, http.StatusOK, "welcome", nil)
	}
	p.Title = p.T("Home")
	if a.Flags != nil {
		on, err := a.Flags.Enabled(r.Context(), "circles", p.Actor().PolicyUser())
		if err != nil {
			return err
		}
		if !on {
			return a.render(w, r, p, http.StatusOK, "home", homePage{Waiting: true})
		}
	}
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	posts, next, err := a.Posts.Home(r.Context(), p.Actor(), pg)
	if err != nil {
		return err
	}
	return a.render(w, r, p, http.StatusOK, "home", homePage{Posts: posts, Next: next})
}
