package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// postRoutes are a post's page and what readers do with it: comment,
// like, tip, report; and its author's edit and delete.
func (a *App) postRoutes() {
	o := options{released: "circles"}
	in := options{released: "circles", access: signedIn}
	a.handle("GET /p/{id}", o, a.postPage)
	a.handle("GET /p/{id}/tip", in, a.tipPage)
	a.handle("POST /p/{id}/comments", in, a.addComment)
	a.handle("POST /p/{id}/like", in, a.likePost)
	a.handle("POST /p/{id}/tips", in, a.tipPost)
	a.handle("POST /p/{id}/reports", in, a.reportPost)
	a.handle("POST /p/{id}/edit", in, a.editPost)
	a.handle("POST /p/{id}/delete", in, a.deletePost)
}

// right is what the reader may do with a post, and why not.
type right struct {
	Allowed bool
	Reason  string
}

type reasonOption struct{ Key, Label string }

type postView struct {
	Post     post.Post
	Author   bool
	Held     bool
	Rejected bool
	Liked    bool
	Rights   map[string]right
	Comments []post.Comment
	OlderURL string
	Board    post.TipBoard
	Tip      tipForm
	Reasons  []reasonOption
	// Open names the form the page was shown again for ("report", "edit"),
	// so that it is open.
	Open string
}

// tipForm is the tip dialog's (and the tip page's) form.
type tipForm struct {
	PostID    string
	Key       string
	Presets   []int64
	PINAbove  int64
	Min, Max  int64
	PostTitle string
}

func (a *App) postPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	open := ""
	if c := r.URL.Query().Get("reply"); c != "" {
		open = "reply:" + c // a comment's reply box, opened by a link
	}
	return a.showPost(w, r, p, http.StatusOK, open)
}

// showPost renders a post's page; a form on it shown again with its
// errors comes with 422 and the form's name.
func (a *App) showPost(w http.ResponseWriter, r *http.Request, p *Page, status int, open string) error {
	p.Nav = "circles"
	v, err := a.loadPost(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Open = open
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	var next string
	v.Comments, next, err = a.Posts.Comments(r.Context(), p.Actor(), v.Post.ID, pg)
	if err != nil {
		return err
	}
	if next != "" {
		v.OlderURL = "/p/" + url.PathEscape(v.Post.ID) + "?" + url.Values{"cursor": {next}}.Encode() + "#comments"
	}
	if v.Board, err = a.Posts.Tips(r.Context(), p.Actor(), v.Post.ID); err != nil {
		return err
	}
	for _, key := range moderation.Reasons {
		v.Reasons = append(v.Reasons, reasonOption{Key: key, Label: reportReason(p, key)})
	}
	p.Title = postTitle(p, v.Post)
	return a.render(w, r, p, status, "post", v)
}

// loadPost reads a post with the reader's rights to it.
func (a *App) loadPost(ctx context.Context, p *Page, id string) (postView, error) {
	ps, err := a.Posts.Get(ctx, p.Actor(), id)
	if err != nil {
		return postView{}, err
	}
	v := postView{Post: ps, Rights: map[string]right{}, Held: ps.Status == post.Held, Rejected: ps.Status == post.Rejected}
	v.Author = p.Session != nil && ps.Author.Handle == p.User().Handle
	if ps.Me != nil {
		v.Liked = ps.Me.Liked
		for k, r := range ps.Me.Rights {
			v.Rights[k] = right{Allowed: r.Allowed, Reason: rightIn(p, r)}
		}
	}
	v.Tip = a.newTipForm(ctx, p, ps)
	return v, nil
}

func (a *App) newTipForm(ctx context.Context, p *Page, ps post.Post) tipForm {
	t := tipForm{PostID: ps.ID, Key: p.NewKey(), Presets: []int64{100, 500, 1000}, PINAbove: pinThreshold, Min: 100, Max: 50_000,
		PostTitle: postTitle(p, ps)}
	if ps.Circle != nil {
		if c, err := a.Circles.Get(ctx, p.Actor(), ps.Circle.ID); err == nil {
			t.Min, t.Max = c.Tips.Min, c.Tips.Max
		}
	}
	return t
}

// postTitle names a post for a page title: the start of its text.
func postTitle(p *Page, ps post.Post) string {
	if ps.Text == "" {
		return p.T("A post by %s", displayName(ps.Author.DisplayName, ps.Author.Handle))
	}
	return errs.Clip(ps.Text, 60)
}

func displayName(name, handle string) string {
	if name != "" {
		return name
	}
	return handle
}

// postPath is a post's page.
func postPath(id string) string { return "/p/" + url.PathEscape(id) }

// addComment comments on a post; a refusal (the circle's comment rule, a
// block) is shown above the comment box, the text kept.
func (a *App) addComment(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	id := r.PathValue("id")
	_, err := a.Posts.AddComment(r.Context(), p.Actor(), id, post.NewComment{Text: f.Get("text"), ReplyTo: f.Get("reply_to")})
	if err == nil {
		return a.redirect(w, r, postPath(id)+"#comments", p.T("Your comment is up."))
	}
	if errs.Is(err, errs.NotFound) && errs.As(err).Field == "" {
		return err
	}
	if err := p.formError(f, err, "text"); err != nil {
		return err
	}
	p.Form = f
	return a.showPost(w, r, p, http.StatusUnprocessableEntity, "comment")
}

// likePost likes or un-likes a post (the form says which), then goes back
// to the page the button was on.
func (a *App) likePost(w http.ResponseWriter, r *http.Request, p *Page) error {
	id := r.PathValue("id")
	like := r.PostFormValue("like") != "0"
	_, err := a.Posts.Like(r.Context(), p.Actor(), id, like)
	// Liking twice (two tabs, a double tap) ends where the reader wanted.
	if err != nil && !errs.Is(err, post.CodeAlreadyLiked) && !errs.Is(err, post.CodeNotLiked) {
		return err
	}
	back := localNext(r.PostFormValue("next"))
	if back == "/" && r.PostFormValue("next") == "" {
		back = postPath(id)
	}
	return a.redirect(w, r, back, "")
}

// reportPost reports a post to its moderators.
func (a *App) reportPost(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	id := r.PathValue("id")
	_, err := a.Moderation.Report(r.Context(), p.Actor(), moderation.KindPost, id, moderation.ReportRequest{Reason: f.Get("reason"), Note: f.Get("note")})
	if err == nil {
		return a.redirect(w, r, postPath(id), p.T("Thank you. The moderators will look at this post; you will hear what they decide."))
	}
	if errs.Is(err, errs.NotFound) && errs.As(err).Field == "" {
		return err
	}
	if err := p.formError(f, err, "reason", "note"); err != nil {
		return err
	}
	p.Form = f
	return a.showPost(w, r, p, http.StatusUnprocessableEntity, "report")
}

// editPost changes a post's text (its author, within the hour). Its box
// is edit_text, so that a comment box on the same page keeps its own.
func (a *App) editPost(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	id := r.PathValue("id")
	_, err := a.Posts.Edit(r.Context(), p.Actor(), id, f.Get("edit_text"))
	if err == nil {
		return a.redirect(w, r, postPath(id), p.T("Your post is updated."))
	}
	if e := errs.As(err); e.Code == errs.NotFound && e.Field == "" {
		return err
	} else if e.Field == "text" {
		moved := *e
		moved.Field = "edit_text"
		err = &moved
	}
	if err := p.formError(f, err, "edit_text"); err != nil {
		return err
	}
	p.Form = f
	return a.showPost(w, r, p, http.StatusUnprocessableEntity, "edit")
}

// deletePost deletes a post (its author, or its circle's moderators).
func (a *App) deletePost(w http.ResponseWriter, r *http.Request, p *Page) error {
	id := r.PathValue("id")
	ps, err := a.Posts.Get(r.Context(), p.Actor(), id)
	if err != nil {
		return err
	}
	if err := a.Posts.Delete(r.Context(), p.Actor(), id, ""); err != nil {
		return err
	}
	to := "/"
	if ps.Circle != nil {
		to = circlePath(ps.Circle.Slug)
	}
	return a.redirect(w, r, to, p.T("The post is deleted."))
}

// reportReason names a report reason for the form.
func reportReason(p *Page, key string) string {
	switch key {
	case "spam":
		return p.T("Spam or advertising")
	case "nudity":
		return p.T("Nudity or sexual content")
	case "violence":
		return p.T("Violence")
	case "harassment":
		return p.T("Harassment or bullying")
	case "hate":
		return p.T("Hate speech")
	case "scam":
		return p.T("Scam or fraud")
	case "illegal":
		return p.T("Something illegal")
	case "misinformation":
		return p.T("False information")
	case "off_topic":
		return p.T("Off topic for this circle")
	}
	return p.T("Something else")
}
