package post

import (
	"context"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Thread returns one top-level comment of a post, as a page of its
// replies shows it above them. A comment the reader may not see — on a
// post they may not see, in review, deleted, a reply itself, or written
// by someone they blocked or who blocked them — is not found.
func (s *Service) Thread(ctx context.Context, a circle.Actor, postID, commentID string) (Comment, error) {
	var out Comment
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		pl, err := s.open(ctx, q, a, postID)
		if err != nil {
			return err
		}
		c, err := s.comment(ctx, q, pl.ID, commentID)
		if err != nil {
			return err
		}
		hide, err := s.blockedSet(ctx, q, a)
		if err != nil {
			return err
		}
		if c.ReplyTo != "" || hide[c.authorID] {
			return &errs.Error{Code: errs.NotFound, Field: "reply_to", Message: "There is no comment " + errs.Clip(commentID, 40) + " on this post."}
		}
		out = c
		return nil
	})
	return out, err
}
