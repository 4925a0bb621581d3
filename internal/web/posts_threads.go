package web

import (
	"net/http"
	"net/url"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// postsUIRoutes are replies to comments and the page of a comment's
// replies, moderators' pinning, and a circle's settings page.
func (a *App) postsUIRoutes() {
	o := options{released: "circles"}
	in := options{released: "circles", access: signedIn}
	a.handle("GET /p/{id}/c/{comment}", o, a.threadPage)
	a.handle("POST /p/{id}/replies", in, a.addReply)
	a.handle("POST /p/{id}/pin", in, a.pinPost(true))
	a.handle("POST /p/{id}/unpin", in, a.pinPost(false))
	a.circleSettingsRoutes()
}

// threadPath is the page of a comment's replies.
func threadPath(postID, commentID string) string {
	return postPath(postID) + "/c/" + url.PathEscape(commentID)
}

// threadView is the page of one comment's replies.
type threadView struct {
	postView
	Parent   post.Comment
	Replies  []post.Comment
	MoreURL  string
	CanReply bool
}

func (a *App) threadPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.showThread(w, r, p, http.StatusOK)
}

// showThread renders a comment with its replies, oldest first, and the
// reply form; a reply refused is shown again with 422.
func (a *App) showThread(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	p.Nav = "circles"
	ctx := r.Context()
	pv, err := a.loadPost(ctx, p, r.PathValue("id"))
	if err != nil {
		return posts2Explain(p, err)
	}
	v := threadView{postView: pv}
	if v.Parent, err = a.Posts.Thread(ctx, p.Actor(), pv.Post.ID, r.PathValue("comment")); err != nil {
		return posts2Explain(p, err)
	}
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	var next string
	if v.Replies, next, err = a.Posts.Replies(ctx, p.Actor(), pv.Post.ID, v.Parent.ID, pg); err != nil {
		return posts2Explain(p, err)
	}
	if next != "" {
		v.MoreURL = threadPath(pv.Post.ID, v.Parent.ID) + "?" + url.Values{"cursor": {next}}.Encode() + "#replies"
	}
	v.CanReply = pv.Rights["comment"].Allowed
	if p.Form != nil {
		v.Open = "reply:" + v.Parent.ID // the reply refused, shown again
	}
	name := "—"
	if v.Parent.Author != nil {
		name = displayName(v.Parent.Author.DisplayName, v.Parent.Author.Handle)
	}
	p.Title = p.T("Replies to %s", name)
	return a.render(w, r, p, status, "post_thread", v)
}

// addReply replies to a top-level comment under the circle's comment
// rule, as POST /api/v1/posts/{id}/comments with reply_to does. A refusal
// is explained next to that comment's reply box, with the text kept;
// the form's "from" says whether it was sent from the post's page or
// from the page of the comment's replies, which is shown again.
func (a *App) addReply(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	id, parent := r.PathValue("id"), f.Get("reply_to")
	thread := f.Get("from") == "thread"
	if parent == "" {
		// Without it the capability would take the reply for a comment.
		return errs.E(errs.BadRequest, "Choose the comment you are replying to.")
	}
	c, err := a.Posts.AddComment(r.Context(), p.Actor(), id, post.NewComment{Text: f.Get("reply_text"), ReplyTo: parent})
	if err == nil {
		to := postPath(id) + "#c-" + url.PathEscape(parent)
		if thread {
			to = threadPath(id, parent) + "#replies"
		}
		if c.Status == post.Held {
			return a.redirect(w, r, to, p.T("Your reply waits for a moderator's review before others see it."))
		}
		return a.redirect(w, r, to, p.T("Your reply is up."))
	}
	e := errs.As(err)
	switch {
	case e.Code == errs.NotFound || e.Field == "reply_to":
		// No such comment to answer (deleted meanwhile, a reply itself):
		// there is no reply box to show the reason next to.
		return posts2Explain(p, err)
	case e.Field == "text":
		moved := *e
		moved.Field = "reply_text"
		err = &moved
	}
	if err := p.formError(f, posts2Explain(p, err), "reply_text"); err != nil {
		return err
	}
	p.Form = f
	if thread {
		r.SetPathValue("comment", parent)
		return a.showThread(w, r, p, http.StatusUnprocessableEntity)
	}
	return a.showPost(w, r, p, http.StatusUnprocessableEntity, "reply:"+parent)
}

// pinPost pins a post to the top of its circle, or unpins it, for its
// moderators, as PUT and DELETE /api/v1/posts/{id}/pin do; anyone else
// gets the capability's refusal. A circle that already has its most
// pinned posts is explained next to the button.
func (a *App) pinPost(pin bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, p *Page) error {
		id := r.PathValue("id")
		_, err := a.Posts.Pin(r.Context(), p.Actor(), id, pin)
		if err == nil {
			back := postPath(id)
			if next := r.PostFormValue("next"); next != "" {
				back = localNext(next)
			}
			if pin {
				return a.redirect(w, r, back, p.T("The post is pinned to the top of its circle."))
			}
			return a.redirect(w, r, back, p.T("The post is no longer pinned."))
		}
		f := newForm(r)
		switch errs.CodeOf(err) {
		case post.CodeTooManyPins:
			f.Error = p.T("This circle already has %d pinned posts, the most it may have. Unpin one of them first, then pin this one.", post.MaxPins)
		case post.CodeInReview:
			f.Error = p.T("Only published posts can be pinned; this one is not published.")
		default:
			return posts2Explain(p, err)
		}
		p.Form = f
		return a.showPost(w, r, p, a.Status(errs.CodeOf(err)), "pin")
	}
}
