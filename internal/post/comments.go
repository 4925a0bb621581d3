package post

import (
	"context"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

// Likes says whether the caller likes a post now, and how many do.
type Likes struct {
	Liked bool `json:"liked"`
	Likes int  `json:"likes"`
}

// Like likes a post (CodeAlreadyLiked the second time) or, with like
// false, takes the like back (CodeNotLiked if there was none).
func (s *Service) Like(ctx context.Context, a circle.Actor, id string, like bool) (Likes, error) {
	var out Likes
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		pl, err := s.open(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := s.mayInteract(ctx, tx, pl, policy.View, "like this post"); err != nil {
			return err
		}
		delta := 1
		if like {
			_, err = tx.Exec(ctx, `INSERT INTO post_likes (post_id, user_id, created_at) VALUES ($1, $2, $3)`, pl.ID, a.User.ID, tx.Now)
			if errs.Is(err, errs.Conflict) {
				return errs.E(CodeAlreadyLiked, "You already like this post.")
			}
		} else {
			delta = -1
			var res interface{ RowsAffected() (int64, error) }
			res, err = tx.Exec(ctx, `DELETE FROM post_likes WHERE post_id = $1 AND user_id = $2`, pl.ID, a.User.ID)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 0 {
					return errs.E(CodeNotLiked, "You do not like this post, so there is no like to take back.")
				}
			}
		}
		if err != nil {
			return err
		}
		pl.Likes += delta
		if err := s.counted(ctx, tx, &pl.Post, true); err != nil {
			return err
		}
		out = Likes{Liked: like, Likes: pl.Likes}
		if !like {
			return nil
		}
		return s.notify(ctx, tx, notify.Note{UserID: pl.authorID, Kind: notify.KindLike, ActorID: a.User.ID, CircleID: pl.circleID, PostID: pl.ID, Text: snippet(pl.Text)})
	})
	return out, err
}

// counted writes a post's counts and its hot score after they changed,
// and marks its circle's pages stale: on every node when everywhere (a
// like, which cached pages' likers show), else on this one (see feedTTL).
func (s *Service) counted(ctx context.Context, tx *store.Tx, p *Post, everywhere bool) error {
	_, err := tx.Exec(ctx, `UPDATE posts SET like_count = $1, comment_count = $2, tip_count = $3, tip_total = $4, hot = $5 WHERE id = $6`,
		p.Likes, p.Comments, p.Tips.Count, p.Tips.Total, p.rescore(), p.ID)
	if err != nil {
		return err
	}
	return s.changed(ctx, tx, p.circleID, p.ID, everywhere)
}

// Comment is a comment on a post, or a reply to one.
type Comment struct {
	ID        string    `json:"id"`
	PostID    string    `json:"post_id"`
	ReplyTo   string    `json:"reply_to,omitempty"` // the comment this replies to
	Author    *Author   `json:"author,omitempty"`   // nil once deleted
	Text      string    `json:"text"`
	Deleted   bool      `json:"deleted,omitempty"` // kept as a placeholder for its replies
	Status    string    `json:"status,omitempty"`  // "held" while it waits for review (only its author is told)
	Replies   int       `json:"replies"`
	Latest    []Comment `json:"latest_replies,omitempty"` // the newest few replies, oldest first
	CreatedAt time.Time `json:"created_at"`

	authorID string
}

// NewComment is what a commenter writes.
type NewComment struct {
	Text    string `json:"text"`
	ReplyTo string `json:"reply_to,omitempty"`
}

// latestReplies is how many replies each comment in a list carries.
const latestReplies = 3

// AddComment comments on a post, or replies to one of its comments, under
// the circle's comment rule. Replies go one level deep.
func (s *Service) AddComment(ctx context.Context, a circle.Actor, postID string, nc NewComment) (Comment, error) {
	text, err := checkText(nc.Text, MaxComment, "text")
	if err != nil {
		return Comment{}, err
	}
	if text == "" {
		return Comment{}, &errs.Error{Code: CodeEmpty, Field: "text", Message: "A comment needs some text."}
	}
	var out Comment
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		pl, err := s.open(ctx, tx, a, postID)
		if err != nil {
			return err
		}
		if err := s.mayInteract(ctx, tx, pl, policy.Comment, "comment on this post"); err != nil {
			return err
		}
		if err := checkPace(ctx, tx, pl.circle, a.User.ID, false); err != nil {
			return err
		}
		var parent *Comment
		if ref := strings.TrimSpace(nc.ReplyTo); ref != "" {
			p, err := s.comment(ctx, tx, pl.ID, ref)
			if err != nil {
				return err
			}
			if p.ReplyTo != "" {
				return &errs.Error{Code: CodeReplyDepth, Field: "reply_to", Message: "Replies go one level deep: reply to the comment this one answers instead."}
			}
			if blocked, err := s.blocked(ctx, tx, a.User.ID, p.authorID); err != nil {
				return err
			} else if blocked {
				return social.BlockedError(p.Author.Handle, "reply to each other")
			}
			parent = &p
		}
		v, err := s.screen(ctx, tx, Screening{Kind: "comment", CircleID: pl.circleID, AuthorID: a.User.ID, Text: text})
		if err != nil {
			return err
		}
		c := Comment{ID: store.NewID(tx.Now), PostID: pl.ID, Author: &Author{Handle: a.User.Handle, DisplayName: a.User.DisplayName},
			Text: text, CreatedAt: tx.Now, authorID: a.User.ID}
		var parentID any
		if parent != nil {
			c.ReplyTo, parentID = parent.ID, parent.ID
		}
		status := Published
		if v.Action() == ScreenHold {
			status, c.Status = Held, Held
		}
		if _, err := tx.Exec(ctx, `INSERT INTO comments (id, post_id, author_id, parent_id, body, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, pl.ID, a.User.ID, parentID, text, status, tx.Now); err != nil {
			return err
		}
		out = c
		if err := s.afterScreen(ctx, tx, v, Hold{Kind: "comment", TargetID: c.ID, CircleID: pl.circleID, AuthorID: a.User.ID}); err != nil {
			return err
		}
		if status == Held {
			return nil // counted and told when a reviewer approves it
		}
		return s.published(ctx, tx, &pl.Post, c, parent)
	})
	return out, err
}

// published counts a comment that went out into its post (and its
// parent's replies), and tells the post's author and the parent's.
func (s *Service) published(ctx context.Context, tx *store.Tx, p *Post, c Comment, parent *Comment) error {
	if parent != nil {
		if _, err := tx.Exec(ctx, `UPDATE comments SET reply_count = reply_count + 1 WHERE id = $1`, parent.ID); err != nil {
			return err
		}
	}
	p.Comments++
	if err := s.counted(ctx, tx, p, false); err != nil {
		return err
	}
	n := notify.Note{UserID: p.authorID, Kind: notify.KindComment, ActorID: c.authorID, CircleID: p.circleID, PostID: p.ID, CommentID: c.ID, Text: snippet(c.Text)}
	if err := s.notify(ctx, tx, n); err != nil {
		return err
	}
	if parent != nil && parent.authorID != p.authorID {
		n.UserID, n.Kind = parent.authorID, notify.KindReply
		return s.notify(ctx, tx, n)
	}
	return nil
}

// DecideComment publishes a held comment (approved) or rejects it, in
// the reviewer's transaction. It refuses a comment that is not held.
func (s *Service) DecideComment(ctx context.Context, tx *store.Tx, id string, approved bool) error {
	status := Rejected
	if approved {
		status = Published
	}
	res, err := tx.Exec(ctx, `UPDATE comments SET status = $1 WHERE id = $2 AND status = 'held'`, status, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "Comment %s is not waiting for review.", errs.Clip(id, 40))
	}
	if !approved {
		return nil
	}
	c, err := scanComment(tx.QueryRow(ctx, `SELECT `+commentColumns+` FROM comments m JOIN users u ON u.id = m.author_id WHERE m.id = $1`, id))
	if err != nil {
		return err
	}
	p, err := scanPost(tx.QueryRow(ctx, `SELECT `+postColumns+postFrom+`WHERE p.id = $1`, c.PostID))
	if err != nil {
		return err
	}
	var parent *Comment
	if c.ReplyTo != "" {
		pc, err := scanComment(tx.QueryRow(ctx, `SELECT `+commentColumns+` FROM comments m JOIN users u ON u.id = m.author_id WHERE m.id = $1`, c.ReplyTo))
		if err != nil {
			return err
		}
		parent = &pc
	}
	return s.published(ctx, tx, &p, c, parent)
}

const commentColumns = `m.id, m.post_id, COALESCE(m.parent_id, ''), m.author_id, u.handle, u.display_name, m.body, m.status,
	m.reply_count, m.created_at`

func scanComment(row store.Scanner) (Comment, error) {
	var c Comment
	var a Author
	var status string
	err := row.Scan(&c.ID, &c.PostID, &c.ReplyTo, &c.authorID, &a.Handle, &a.DisplayName, &c.Text, &status, &c.Replies, &c.CreatedAt)
	if status == Deleted {
		c.Deleted, c.Text = true, ""
	} else {
		c.Author = &a
	}
	return c, err
}

// comment finds a live comment on a post.
func (s *Service) comment(ctx context.Context, q store.Querier, postID, id string) (Comment, error) {
	c, err := scanComment(q.QueryRow(ctx, `SELECT `+commentColumns+` FROM comments m JOIN users u ON u.id = m.author_id
		WHERE m.id = $1 AND m.post_id = $2 AND m.status = 'published'`, strings.TrimSpace(id), postID))
	if err == store.ErrNoRows {
		return Comment{}, &errs.Error{Code: errs.NotFound, Field: "reply_to", Message: "There is no comment " + errs.Clip(id, 40) + " on this post."}
	}
	return c, err
}

// Comments lists a post's comments oldest first, each with its number of
// replies and the newest few of them. A deleted comment with replies stays
// as a placeholder; comments by people the reader blocked, or who blocked
// the reader, are left out.
func (s *Service) Comments(ctx context.Context, a circle.Actor, postID string, p store.Page) ([]Comment, string, error) {
	return s.comments(ctx, a, postID, "", p)
}

// Replies lists the replies to one comment, oldest first.
func (s *Service) Replies(ctx context.Context, a circle.Actor, postID, commentID string, p store.Page) ([]Comment, string, error) {
	return s.comments(ctx, a, postID, commentID, p)
}

func (s *Service) comments(ctx context.Context, a circle.Actor, postID, parentID string, p store.Page) ([]Comment, string, error) {
	var out []Comment
	var next string
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		pl, err := s.open(ctx, q, a, postID)
		if err != nil {
			return err
		}
		if parentID != "" {
			if _, err := s.comment(ctx, q, pl.ID, parentID); err != nil {
				return err
			}
		}
		hide, err := s.blockedSet(ctx, q, a)
		if err != nil {
			return err
		}
		after := ""
		if len(p.After) == 1 {
			after = p.After[0]
		} else if len(p.After) != 0 {
			return store.BadCursor()
		}
		parent := `m.parent_id IS NULL`
		args := []any{pl.ID, after}
		if parentID != "" {
			parent = `m.parent_id = $3`
			args = append(args, parentID)
		}
		// Deleted top-level comments stay as placeholders while they have
		// replies.
		out, err = collect(p.Limit, func(n int) ([]Comment, error) {
			rows, err := q.Query(ctx, `SELECT `+commentColumns+` FROM comments m JOIN users u ON u.id = m.author_id
				WHERE m.post_id = $1 AND `+parent+` AND m.id > $2
				AND (m.status = 'published' OR (m.status = 'deleted' AND m.reply_count > 0))
				ORDER BY m.id LIMIT `+itoa(n), args...)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var cs []Comment
			for rows.Next() {
				c, err := scanComment(rows)
				if err != nil {
					return nil, err
				}
				cs = append(cs, c)
				args[1] = c.ID
			}
			return cs, rows.Err()
		}, func(c Comment) bool { return !hide[c.authorID] })
		if err != nil {
			return err
		}
		out, next = store.NextCursor(p, out, func(c Comment) []string { return []string{c.ID} })
		if parentID != "" {
			return nil
		}
		for i := range out {
			if out[i].Replies == 0 {
				continue
			}
			if out[i].Latest, err = s.latest(ctx, q, out[i].ID, hide); err != nil {
				return err
			}
		}
		return nil
	})
	return out, next, err
}

// latest returns the newest few replies to a comment, oldest first.
func (s *Service) latest(ctx context.Context, q store.Querier, commentID string, hide map[string]bool) ([]Comment, error) {
	rows, err := q.Query(ctx, `SELECT `+commentColumns+` FROM comments m JOIN users u ON u.id = m.author_id
		WHERE m.parent_id = $1 AND m.status = 'published' ORDER BY m.id DESC LIMIT `+itoa(latestReplies+len(hide)), commentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Comment
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, err
		}
		if !hide[c.authorID] && len(out) < latestReplies {
			out = append([]Comment{c}, out...)
		}
	}
	return out, rows.Err()
}

// DeleteComment hides a comment; its author, the post's author and the
// circle's moderators may. A moderator's deletion is audited.
func (s *Service) DeleteComment(ctx context.Context, a circle.Actor, id string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var postID string
		err := tx.QueryRow(ctx, `SELECT post_id FROM comments WHERE id = $1 AND status = 'published'`, strings.TrimSpace(id)).Scan(&postID)
		if err == store.ErrNoRows {
			return errs.E(errs.NotFound, "There is no comment %q.", errs.Clip(id, 40))
		}
		if err != nil {
			return err
		}
		pl, err := s.open(ctx, tx, a, postID)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.NotFound, "There is no comment %q.", errs.Clip(id, 40))
		}
		if err != nil {
			return err
		}
		c, err := s.comment(ctx, tx, pl.ID, id)
		if err != nil {
			return err
		}
		own := !a.Anonymous && c.authorID == a.User.ID
		if !own && !pl.isAuthor() && !pl.moderates() {
			return errs.E(errs.Forbidden, "Only a comment's author, the post's author and the circle's moderators may delete it.")
		}
		return s.removeComment(ctx, tx, a.User.ID, &pl.Post, c, "", !own)
	})
}
