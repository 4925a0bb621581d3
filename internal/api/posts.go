package api

import (
	"context"
	"net/http"

	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

func (s *Server) postRoutes() {
	if s.Posts == nil {
		return
	}
	add := func(method, path, summary string, acc access, body, resp any, status int, h handlerFunc, query ...param) {
		s.add(route{Method: method, Path: path, Tag: "posts", Access: acc, Summary: summary, Body: body, Response: resp, Status: status, Query: query,
			handle: s.released("circles", h)})
	}
	add("GET", "/api/v1/circles/{id}/posts", "A circle's published posts, newest (sort=new, with the pinned ones on the first page) or hottest first, for those who may read the circle.",
		public, nil, post.CirclePage{}, 0, s.circleFeed, append([]param{{"sort", "new (the default) or hot"}}, pageParams...)...)
	add("POST", "/api/v1/circles/{id}/posts", "Post in a circle under its post rule: text up to 5,000 characters and up to 9 of your pictures. In a circle that reviews posts it waits for a reviewer (status held).",
		signedIn, post.Draft{}, post.Post{}, http.StatusCreated, s.createPost)
	add("POST", "/api/v1/moments", "Share a moment outside circles: audience public, friends (the default), list (with to: friends' handles) or private.",
		signedIn, post.Draft{}, post.Post{}, http.StatusCreated, s.createMoment)
	add("GET", "/api/v1/feed", "Your home feed, newest first: posts from your circles and moments shared with you.",
		signedIn, nil, list[post.Post]{}, 0, s.homeFeed, pageParams...)
	add("GET", "/api/v1/users/{handle}/posts", "A user's posts that you may see: moments shared with you and posts in circles you may read (your own include those in review).",
		public, nil, list[post.Post]{}, 0, s.userPosts, pageParams...)
	add("GET", "/api/v1/posts/{id}", "One post, with its pictures, counts, tip totals and what you may do with it.",
		public, nil, post.Post{}, 0, s.getPost)
	add("PATCH", "/api/v1/posts/{id}", "Edit a post's text (its author, within an hour of posting); the old text is kept in its history.",
		signedIn, editRequest{}, post.Post{}, 0, s.editPost)
	add("GET", "/api/v1/posts/{id}/edits", "What a post said before each edit, oldest first.",
		public, nil, list[post.Version]{}, 0, s.postEdits)
	add("DELETE", "/api/v1/posts/{id}", "Delete a post (its author or the circle's moderators): hidden from everyone, kept for audit.",
		signedIn, nil, nil, http.StatusNoContent, s.deletePost)
	add("PUT", "/api/v1/posts/{id}/pin", "Pin a post to the top of its circle (moderators; at most 3 at a time).",
		signedIn, nil, post.Post{}, 0, s.pinPost(true))
	add("DELETE", "/api/v1/posts/{id}/pin", "Unpin a post (moderators).",
		signedIn, nil, post.Post{}, 0, s.pinPost(false))
	add("POST", "/api/v1/posts/{id}/like", "Like a post (already_liked the second time).",
		signedIn, nil, post.Likes{}, 0, s.likePost(true))
	add("DELETE", "/api/v1/posts/{id}/like", "Take back a like.",
		signedIn, nil, post.Likes{}, 0, s.likePost(false))
	add("GET", "/api/v1/posts/{id}/comments", "A post's comments, oldest first, each with its reply count and newest replies.",
		public, nil, list[post.Comment]{}, 0, s.postComments, pageParams...)
	add("POST", "/api/v1/posts/{id}/comments", "Comment under the circle's comment rule, or reply to a comment with reply_to (one level deep).",
		signedIn, post.NewComment{}, post.Comment{}, http.StatusCreated, s.addComment)
	add("GET", "/api/v1/posts/{id}/comments/{comment}/replies", "The replies to a comment, oldest first.",
		public, nil, list[post.Comment]{}, 0, s.commentReplies, pageParams...)
	add("DELETE", "/api/v1/comments/{id}", "Delete a comment (its author, the post's author or the circle's moderators).",
		signedIn, nil, nil, http.StatusNoContent, s.deleteComment)
	s.add(route{Method: "POST", Path: "/api/v1/posts/{id}/tips", Tag: "posts", Access: signedIn, Idempotent: true,
		Summary: "Tip the author with real money: one ledger entry from you to them (less the circle's fee), within the circle's minimum, maximum and your daily cap there. anonymous hides your name from other readers. Send an Idempotency-Key.",
		Body:    tipRequest{}, Response: post.Tip{}, Status: http.StatusCreated, handle: s.released("circles", s.tipPost)})
	add("GET", "/api/v1/posts/{id}/tips", "A post's tip count, total and top tippers (anonymous tippers are named only to the author and themselves).",
		public, nil, post.TipBoard{}, 0, s.postTips)
}

type editRequest struct {
	Text string `json:"text"`
}

type tipRequest = post.TipRequest

func (s *Server) circleFeed(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.Posts.CircleFeed(r.Context(), a, r.PathValue("id"), r.URL.Query().Get("sort"), p)
	if err != nil {
		return err
	}
	defer post.Recycle(out.Pinned)
	defer post.Recycle(out.Items)
	return writeAppended(w, out.AppendJSON)
}

func (s *Server) createPost(w http.ResponseWriter, r *http.Request) error {
	var d post.Draft
	if err := decode(w, r, &d); err != nil {
		return err
	}
	p, err := s.Posts.Create(r.Context(), s.signedInActor(r), r.PathValue("id"), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) createMoment(w http.ResponseWriter, r *http.Request) error {
	var d post.Draft
	if err := decode(w, r, &d); err != nil {
		return err
	}
	p, err := s.Posts.CreateMoment(r.Context(), s.signedInActor(r), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// postList serves a paged list of posts.
func (s *Server) postList(w http.ResponseWriter, r *http.Request, get func(ctx context.Context, p store.Page) ([]post.Post, string, error)) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := get(r.Context(), p)
	if err != nil {
		return err
	}
	if items == nil {
		items = []post.Post{}
	}
	defer post.Recycle(items)
	return writeAppended(w, func(b []byte) ([]byte, error) { return post.AppendList(b, items, next) })
}

func (s *Server) homeFeed(w http.ResponseWriter, r *http.Request) error {
	a := s.signedInActor(r)
	return s.postList(w, r, func(ctx context.Context, p store.Page) ([]post.Post, string, error) { return s.Posts.Home(ctx, a, p) })
}

func (s *Server) userPosts(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	return s.postList(w, r, func(ctx context.Context, p store.Page) ([]post.Post, string, error) {
		return s.Posts.ByAuthor(ctx, a, r.PathValue("handle"), p)
	})
}

func (s *Server) getPost(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	p, err := s.Posts.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) editPost(w http.ResponseWriter, r *http.Request) error {
	var req editRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	p, err := s.Posts.Edit(r.Context(), s.signedInActor(r), r.PathValue("id"), req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) postEdits(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	vs, err := s.Posts.Edits(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(vs, ""))
	return nil
}

func (s *Server) deletePost(w http.ResponseWriter, r *http.Request) error {
	var req reasonRequest
	if err := decodeOptional(w, r, &req); err != nil {
		return err
	}
	if err := s.Posts.Delete(r.Context(), s.signedInActor(r), r.PathValue("id"), req.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) pinPost(pin bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.Posts.Pin(r.Context(), s.signedInActor(r), r.PathValue("id"), pin)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, p)
		return nil
	}
}

func (s *Server) likePost(like bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		l, err := s.Posts.Like(r.Context(), s.signedInActor(r), r.PathValue("id"), like)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, l)
		return nil
	}
}

func (s *Server) postComments(w http.ResponseWriter, r *http.Request) error {
	return s.commentList(w, r, "")
}

func (s *Server) commentReplies(w http.ResponseWriter, r *http.Request) error {
	return s.commentList(w, r, r.PathValue("comment"))
}

func (s *Server) commentList(w http.ResponseWriter, r *http.Request, parent string) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	p, err := page(r)
	if err != nil {
		return err
	}
	var items []post.Comment
	var next string
	if parent == "" {
		items, next, err = s.Posts.Comments(r.Context(), a, r.PathValue("id"), p)
	} else {
		items, next, err = s.Posts.Replies(r.Context(), a, r.PathValue("id"), parent, p)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) addComment(w http.ResponseWriter, r *http.Request) error {
	var req post.NewComment
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.Posts.AddComment(r.Context(), s.signedInActor(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) deleteComment(w http.ResponseWriter, r *http.Request) error {
	if err := s.Posts.DeleteComment(r.Context(), s.signedInActor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) tipPost(w http.ResponseWriter, r *http.Request) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var req tipRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	if err := s.requirePIN(r, req.Amount, wallet.MaxTransfer, req.PIN); err != nil {
		return err
	}
	req.PIN = ""
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if err := idempotency.CheckKey(key); err != nil {
			return err
		}
	}
	res, err := s.Posts.Tip(r.Context(), post.TipCall{
		Actor:   s.signedInActor(r),
		PostID:  r.PathValue("id"),
		Request: req,
		Key:     key,
		Hash:    requestHashFor(r.Method, r.URL.Path, canonical(req)),
		Answer:  created[post.Tip](requestID(r.Context())),
	})
	return writeAnswered(w, res, err)
}

func (s *Server) postTips(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	b, err := s.Posts.Tips(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}
