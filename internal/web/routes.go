package web

import "net/http"

// routes registers every page. Each part of the app registers its own in
// a function of its file.
func (a *App) routes() {
	a.mux.HandleFunc("GET /static/{hash}/{name...}", a.serveAsset)
	a.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		r.SetPathValue("name", "icon.svg")
		a.serveAsset(w, r)
	})
	a.authRoutes()
	a.homeRoutes()
	a.circleRoutes()
	a.postRoutes()
	a.adminRoutes()
	a.meRoutes()
	a.socialRoutes()
	a.notificationRoutes()
	a.walletRoutes()
	a.profileRoutes()
	a.postsUIRoutes()
	// Last: every path no page claims gets the friendly 404.
	a.handle("/", options{}, a.notFound)
}
