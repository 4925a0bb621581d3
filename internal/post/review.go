package post

import (
	"context"
	"strings"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Hold is a post or comment held for review.
type Hold struct {
	Kind     string // "post" or "comment"
	TargetID string
	CircleID string
	AuthorID string
	Cause    string // why: "circle_review" (the circle reviews such posts), a screening cause …
	Detail   string // what screening found, for the reviewer
}

// CauseCircleReview holds a post because its circle reviews posts.
const CauseCircleReview = "circle_review"

// Reviewer queues held items for a decision, and opens cases for what
// screening flagged (the moderation part).
type Reviewer interface {
	Hold(ctx context.Context, tx *store.Tx, h Hold) error
	Flag(ctx context.Context, tx *store.Tx, h Hold) error
}

// Target is something that can be reported: where it is and whose it is.
type Target struct {
	Kind     string // "post" or "comment"
	ID       string
	CircleID string // "" for a moment
	AuthorID string
}

// Locate finds a post or comment the actor can see, for a report; what
// they cannot see is not found.
func (s *Service) Locate(ctx context.Context, a circle.Actor, kind, id string) (Target, error) {
	var t Target
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		postID := id
		if kind == "comment" {
			err := q.QueryRow(ctx, `SELECT post_id FROM comments WHERE id = $1 AND status = 'published'`, strings.TrimSpace(id)).Scan(&postID)
			if err == store.ErrNoRows {
				return errs.E(errs.NotFound, "There is no comment %q.", errs.Clip(id, 40))
			}
			if err != nil {
				return err
			}
		}
		pl, err := s.open(ctx, q, a, postID)
		if err != nil {
			if kind == "comment" && errs.Is(err, errs.NotFound) {
				return errs.E(errs.NotFound, "There is no comment %q.", errs.Clip(id, 40))
			}
			return err
		}
		t = Target{Kind: kind, ID: pl.ID, CircleID: pl.circleID, AuthorID: pl.authorID}
		if kind == "comment" {
			c, err := s.comment(ctx, q, pl.ID, id)
			if err != nil {
				return err
			}
			t.ID, t.AuthorID = c.ID, c.authorID
		}
		return nil
	})
	return t, err
}

// Decide publishes a held post (approved) or rejects it, in the
// reviewer's transaction. It refuses a post that is not held.
func (s *Service) Decide(ctx context.Context, tx *store.Tx, id string, approved bool) error {
	status := Rejected
	if approved {
		status = Published
	}
	res, err := tx.Exec(ctx, `UPDATE posts SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'held'`, status, tx.Now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "Post %s is not waiting for review.", errs.Clip(id, 40))
	}
	if !approved {
		return nil
	}
	var circleID string
	if err := tx.QueryRow(ctx, `SELECT COALESCE(circle_id, '') FROM posts WHERE id = $1`, id).Scan(&circleID); err != nil {
		return err
	}
	if err := s.changed(ctx, tx, circleID, id, true); err != nil || circleID == "" {
		return err
	}
	return circle.Activity(ctx, tx, circleID)
}

// Remove takes down a post or comment for a moderation decision, in the
// decider's transaction: hidden as if deleted by actorID, audited with
// the reason. Someone who may decide has been checked by the caller.
func (s *Service) Remove(ctx context.Context, tx *store.Tx, actorID, kind, id, reason string) error {
	if kind == "comment" {
		var postID string
		if err := tx.QueryRow(ctx, `SELECT post_id FROM comments WHERE id = $1 AND status = 'published'`, id).Scan(&postID); err != nil {
			if err == store.ErrNoRows {
				return nil // already gone
			}
			return err
		}
		p, err := scanPost(tx.QueryRow(ctx, `SELECT `+postColumns+postFrom+`WHERE p.id = $1`, postID))
		if err != nil {
			return err
		}
		c, err := s.comment(ctx, tx, postID, id)
		if err != nil {
			return err
		}
		return s.removeComment(ctx, tx, actorID, &p, c, reason, true)
	}
	var handle, status string
	err := tx.QueryRow(ctx, `SELECT u.handle, p.status FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1`, id).Scan(&handle, &status)
	if err == store.ErrNoRows || (err == nil && status == Deleted) {
		return nil // already gone
	}
	if err != nil {
		return err
	}
	return s.removePost(ctx, tx, actorID, id, handle, reason, true)
}

// removePost hides a post and refunds the tips on it still held,
// auditing it when someone other than its author does. (An author who
// deletes their own post gives up its held tips too: money follows the
// post.)
func (s *Service) removePost(ctx context.Context, tx *store.Tx, actorID, id, authorHandle, reason string, audited bool) error {
	if _, err := tx.Exec(ctx, `UPDATE posts SET status = 'deleted', deleted_at = $1, deleted_by = $2, pinned_at = NULL, updated_at = $1
		WHERE id = $3`, tx.Now, actorID, id); err != nil {
		return err
	}
	if err := s.changedPost(ctx, tx, id); err != nil {
		return err
	}
	if err := s.refundHeldTips(ctx, tx, id); err != nil {
		return err
	}
	if !audited {
		return nil
	}
	return audit.Record(ctx, tx, actorID, "post.delete", "post", id, map[string]string{"reason": reason, "author": authorHandle})
}

// removeComment hides a comment and counts it out of its post (and its
// parent's replies), auditing it when someone other than its author does.
func (s *Service) removeComment(ctx context.Context, tx *store.Tx, actorID string, p *Post, c Comment, reason string, audited bool) error {
	if _, err := tx.Exec(ctx, `UPDATE comments SET status = 'deleted', deleted_at = $1, deleted_by = $2 WHERE id = $3`, tx.Now, actorID, c.ID); err != nil {
		return err
	}
	if c.ReplyTo != "" {
		if _, err := tx.Exec(ctx, `UPDATE comments SET reply_count = reply_count - 1 WHERE id = $1`, c.ReplyTo); err != nil {
			return err
		}
	}
	p.Comments--
	if err := s.counted(ctx, tx, p, false); err != nil {
		return err
	}
	if !audited {
		return nil
	}
	detail := map[string]string{"post": p.ID, "author": c.Author.Handle}
	if reason != "" {
		detail["reason"] = reason
	}
	return audit.Record(ctx, tx, actorID, "comment.delete", "comment", c.ID, detail)
}

// Restore brings back a post or comment that a moderation decision took
// down or kept out (a rejected or deleted post or comment), in the
// transaction that overturns the decision. Tips refunded meanwhile stay
// refunded.
func (s *Service) Restore(ctx context.Context, tx *store.Tx, kind, id string) error {
	if kind == "comment" {
		var postID string
		var parentID *string
		err := tx.QueryRow(ctx, `SELECT post_id, parent_id FROM comments WHERE id = $1 AND status IN ('rejected', 'deleted')`, id).Scan(&postID, &parentID)
		if err == store.ErrNoRows {
			return nil // not down: nothing to bring back
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE comments SET status = 'published', deleted_at = NULL, deleted_by = NULL WHERE id = $1`, id); err != nil {
			return err
		}
		if parentID != nil {
			if _, err := tx.Exec(ctx, `UPDATE comments SET reply_count = reply_count + 1 WHERE id = $1`, *parentID); err != nil {
				return err
			}
		}
		p, err := scanPost(tx.QueryRow(ctx, `SELECT `+postColumns+postFrom+`WHERE p.id = $1`, postID))
		if err != nil {
			return err
		}
		p.Comments++
		return s.counted(ctx, tx, &p, false)
	}
	res, err := tx.Exec(ctx, `UPDATE posts SET status = 'published', deleted_at = NULL, deleted_by = NULL, updated_at = $1
		WHERE id = $2 AND status IN ('rejected', 'deleted')`, tx.Now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return s.changedPost(ctx, tx, id)
}
