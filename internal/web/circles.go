package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// circleRoutes are the directory, making a circle, a circle's page with
// its rules and feed, and joining, leaving and inviting. Like the API's,
// they are behind the "circles" release; open circles read without an
// account.
func (a *App) circleRoutes() {
	o := options{released: "circles"}
	in := options{released: "circles", access: signedIn}
	a.handle("GET /circles", o, a.directory)
	a.handle("GET /circles/new", in, a.newCirclePage)
	a.handle("POST /circles/new", in, a.createCircle)
	a.handle("GET /c/{slug}", o, a.circlePage)
	a.handle("POST /c/{slug}/join", in, a.joinCircle)
	a.handle("POST /c/{slug}/leave", in, a.leaveCircle)
	a.handle("POST /c/{slug}/invites", in, a.makeInvite)
	a.handle("POST /c/{slug}/posts", options{released: "circles", access: signedIn, maxBody: maxComposerBody}, a.createPost)
}

// categoryName is a category's name in the page's language.
func categoryName(p *Page, cats []circle.Category, key string) string {
	for _, c := range cats {
		if c.Key == key {
			if p.Lang == zh && c.NameZH != "" {
				return c.NameZH
			}
			return c.Name
		}
	}
	return key
}

type categoryChip struct {
	Key, Name string
	Circles   int
	Current   bool
	URL       string
}

type listingView struct {
	circle.Listing
	CategoryName string
}

type directoryPage struct {
	Q, Category string
	Categories  []categoryChip
	Items       []listingView
	NextURL     string
	AllURL      string
}

// directory is the searchable list of open circles; closed ones are never
// listed (the directory itself never returns them).
func (a *App) directory(w http.ResponseWriter, r *http.Request, p *Page) error {
	p.Nav, p.Title = "circles", p.T("Circles")
	q := r.URL.Query()
	d := directoryPage{Q: strings.TrimSpace(q.Get("q")), Category: q.Get("category")}
	cats, err := a.Circles.Categories(r.Context())
	if err != nil {
		return err
	}
	link := func(category, cursor string) string {
		v := url.Values{}
		if d.Q != "" {
			v.Set("q", d.Q)
		}
		if category != "" {
			v.Set("category", category)
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if len(v) == 0 {
			return "/circles"
		}
		return "/circles?" + v.Encode()
	}
	d.AllURL = link("", "")
	for _, c := range cats {
		d.Categories = append(d.Categories, categoryChip{Key: c.Key, Name: categoryName(p, cats, c.Key), Circles: c.Circles,
			Current: c.Key == d.Category, URL: link(c.Key, "")})
	}
	p.Form = &Form{Values: url.Values{"q": {d.Q}}, Errors: map[string]string{}}
	status := http.StatusOK
	pg, err := store.ParsePage(q.Get("cursor"), "")
	if err == nil {
		if len([]rune(d.Q)) > 200 {
			err = errs.Field("q", "A search is at most 200 characters.")
		} else {
			var items []circle.Listing
			var next string
			items, next, err = a.Circles.Search(r.Context(), circle.Query{Q: d.Q, Category: d.Category, Page: pg})
			for _, it := range items {
				d.Items = append(d.Items, listingView{Listing: it, CategoryName: categoryName(p, cats, it.Category)})
			}
			if next != "" {
				d.NextURL = link(d.Category, next)
			}
		}
	}
	if err != nil {
		if err := p.formError(p.Form, err, "q"); err != nil {
			return err
		}
		status = http.StatusUnprocessableEntity
	}
	if d.Q != "" {
		p.Title = p.T("Circles matching “%s”", d.Q)
	}
	return a.render(w, r, p, status, "circles", d)
}

// ruleLine is one action of a circle: who may take it, in words, and
// whether the reader may, or why not.
type ruleLine struct {
	Action  string
	Label   string
	Who     string
	Known   bool // the reader is signed in, so their right is known
	Allowed bool
	Reason  string
	// JoinFirst: the reader is not a member, which is all that stands in
	// the way as far as they can be told.
	JoinFirst bool
}

type circleView struct {
	Circle       circle.Circle
	CategoryName string
	Rules        []ruleLine
	Role         string
	Member       bool
	Owner        bool
	Pending      bool
	CanJoin      bool
	JoinReason   string
	CanInvite    bool
	CanPost      bool
	PostReason   string
	Sort         string
	Feed         post.CirclePage
	NewURL       string
	HotURL       string
	OlderURL     string
	MaxPictures  int
}

// circlePage shows a circle: what it is, its rules in words, what the
// reader may do in it and why not, and its feed. A closed circle is not
// found by those outside it; to them the page offers the invite code.
func (a *App) circlePage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.showCircle(w, r, p, r.PathValue("slug"), http.StatusOK)
}

// showCircle renders a circle's page with status (a composer or join form
// shown again with its errors is 422).
func (a *App) showCircle(w http.ResponseWriter, r *http.Request, p *Page, ref string, status int) error {
	p.Nav = "circles"
	ctx := r.Context()
	c, err := a.Circles.Get(ctx, p.Actor(), ref)
	if errs.Is(err, errs.NotFound) {
		return a.unknownCircle(w, r, p, ref)
	}
	if err != nil {
		return err
	}
	var cats []circle.Category
	switch cat, err := a.Circles.Category(ctx, c.Category); {
	case err == nil:
		cats = append(cats, cat)
	case !errs.Is(err, errs.NotFound):
		return err
	}
	v := circleView{Circle: c, CategoryName: categoryName(p, cats, c.Category), Role: circle.RoleNone, MaxPictures: post.MaxMedia}
	v.Rules = a.ruleLines(p, c)
	if c.Me != nil {
		v.Role = c.Me.Role
		v.Member = v.Role != circle.RoleNone && v.Role != circle.RolePending
		v.Owner = v.Role == circle.RoleOwner
		v.Pending = v.Role == circle.RolePending
		join := c.Me.Rights["join"]
		v.CanJoin, v.JoinReason = join.Allowed, rightIn(p, join)
		v.CanInvite = v.Member && c.Me.Rights["invite"].Allowed && !c.Archived
		pr := c.Me.Rights["post"]
		v.CanPost, v.PostReason = pr.Allowed, rightIn(p, pr)
	}
	q := r.URL.Query()
	v.Sort = q.Get("sort")
	if v.Sort != post.SortHot {
		v.Sort = post.SortNew
	}
	base := "/c/" + url.PathEscape(c.Slug)
	v.NewURL, v.HotURL = base, base+"?sort=hot"
	pg, err := store.ParsePage(q.Get("cursor"), "")
	if err != nil {
		return err
	}
	v.Feed, err = a.Posts.CircleFeed(ctx, p.Actor(), c.ID, v.Sort, pg)
	if err != nil {
		return err
	}
	if v.Feed.NextCursor != "" {
		u := url.Values{"cursor": {v.Feed.NextCursor}}
		if v.Sort == post.SortHot {
			u.Set("sort", post.SortHot)
		}
		v.OlderURL = base + "?" + u.Encode()
	}
	p.Title = c.Name
	return a.render(w, r, p, status, "circle", v)
}

// unknownCircle answers for a circle that does not exist or that the
// reader may not know of (closed, and they are not in it): the same page
// for both, with a way in for someone who holds an invite code.
func (a *App) unknownCircle(w http.ResponseWriter, r *http.Request, p *Page, ref string) error {
	p.Title = p.T("Not found")
	if p.Form == nil {
		p.Form = &Form{Values: url.Values{}, Errors: map[string]string{}}
	}
	return a.render(w, r, p, http.StatusNotFound, "circle_unknown", map[string]string{"Slug": ref})
}

// ruleLines puts a circle's rules into words, one per action, with the
// reader's right to each.
func (a *App) ruleLines(p *Page, c circle.Circle) []ruleLine {
	var out []ruleLine
	for _, act := range []struct{ key, label string }{
		{"view", p.T("Reading")}, {"join", p.T("Joining")}, {"post", p.T("Posting")},
		{"comment", p.T("Commenting")}, {"tip", p.T("Tipping")}, {"invite", p.T("Inviting")},
	} {
		l := ruleLine{Action: act.key, Label: act.label, Who: ruleWords(p, c, act.key)}
		if c.Me != nil {
			right := c.Me.Rights[act.key]
			l.Known, l.Allowed, l.Reason = true, right.Allowed, rightIn(p, right)
			member := c.Me.Role != circle.RoleNone && c.Me.Role != circle.RolePending
			switch {
			case act.key == "join" && !right.Allowed && member:
				l.Allowed, l.Reason = true, p.T("You are a member.")
			case act.key != "join" && act.key != "view" && !right.Allowed && !member && c.Me.Banned == nil:
				l.JoinFirst, l.Reason = true, ""
			}
		}
		out = append(out, l)
	}
	return out
}
