package post

import (
	"context"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

// Moments is the reader's friends' feed, newest first: the moments shared
// with them (and their own), without circle posts. A moment shared with
// friends stays visible while the friendship lasts; blocks, deletion and
// review apply on every page, as in Home.
func (s *Service) Moments(ctx context.Context, a circle.Actor, p store.Page) ([]Post, string, error) {
	if a.Anonymous {
		return nil, "", errs.E(errs.Unauthenticated, "Sign in to see your friends' moments.")
	}
	if len(p.After) > 1 {
		return nil, "", store.BadCursor()
	}
	var out []Post
	var next string
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		hide, err := s.blockedSet(ctx, q, a)
		if err != nil {
			return err
		}
		friendsOK := map[string]bool{}
		after := first(p.After)
		items, err := collect(p.Limit, func(n int) ([]Post, error) {
			cond, args := "", []any{a.User.ID}
			if after != "" {
				cond, args = ` AND post_id < $2`, append(args, after)
			}
			ids, err := store.Strings(ctx, q, `SELECT post_id FROM moment_inbox WHERE user_id = $1`+cond+` ORDER BY post_id DESC LIMIT `+itoa(n), args...)
			if err != nil || len(ids) == 0 {
				return nil, err
			}
			after = ids[len(ids)-1]
			ps, err := s.byIDs(ctx, q, ids)
			if err != nil {
				return nil, err
			}
			for _, pp := range ps {
				if pp.Audience == Friends && pp.authorID != a.User.ID {
					if _, seen := friendsOK[pp.authorID]; !seen {
						if friendsOK[pp.authorID], err = social.AreFriends(ctx, q, a.User.ID, pp.authorID); err != nil {
							return nil, err
						}
					}
				}
			}
			for len(ps) < len(ids) {
				ps = append(ps, Post{Status: Deleted})
			}
			return ps, nil
		}, func(pp Post) bool {
			if pp.Status != Published || pp.circleID != "" || hide[pp.authorID] {
				return false
			}
			return pp.Audience != Friends || pp.authorID == a.User.ID || friendsOK[pp.authorID]
		})
		if err != nil {
			return err
		}
		out, next, err = s.page(ctx, q, a, p, items)
		return err
	})
	return out, next, err
}
