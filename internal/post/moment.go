package post

import (
	"context"
	"strings"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

// CreateMoment posts a moment: outside circles, for everyone (public),
// friends (the default), a chosen list of friends, or the author alone —
// the "life circle". It reaches the home feeds of those who may read it.
func (s *Service) CreateMoment(ctx context.Context, a circle.Actor, d Draft) (Post, error) {
	if a.Anonymous {
		return Post{}, errs.E(errs.Unauthenticated, "Sign in to share a moment.")
	}
	if d.Audience == "" {
		d.Audience = Friends
	}
	switch d.Audience {
	case Public, Friends, Private:
		if len(d.To) > 0 {
			return Post{}, errs.Field("to", "Name people only for a moment shared with a list (audience \"list\").")
		}
	case List:
		if len(d.To) == 0 || len(d.To) > MaxAudience {
			return Post{}, errs.Field("to", "A moment shared with a list names 1 to %d friends.", MaxAudience)
		}
	default:
		return Post{}, errs.Field("audience", "A moment is for public, friends, list or private, not %q.", errs.Clip(d.Audience, 20))
	}
	if err := d.check(); err != nil {
		return Post{}, err
	}
	var id string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		readers, err := s.readers(ctx, tx, a, d)
		if err != nil {
			return err
		}
		v, err := s.screen(ctx, tx, Screening{Kind: "post", AuthorID: a.User.ID, Text: d.Text, MediaIDs: d.MediaIDs})
		if err != nil {
			return err
		}
		status := Published
		if v.Action() == ScreenHold {
			status = Held
		}
		id = store.NewID(tx.Now)
		if err := s.insert(ctx, tx, a, id, "", d.Audience, status, d); err != nil {
			return err
		}
		if err := s.afterScreen(ctx, tx, v, Hold{Kind: "post", TargetID: id, AuthorID: a.User.ID}); err != nil {
			return err
		}
		if d.Audience == List {
			for _, uid := range readers[1:] {
				if _, err := tx.Exec(ctx, `INSERT INTO post_audience (post_id, user_id) VALUES ($1, $2)`, id, uid); err != nil {
					return err
				}
			}
		}
		err = store.Chunks(len(readers), func(lo, hi int) error {
			args := make([]any, 0, 3*(hi-lo))
			for _, uid := range readers[lo:hi] {
				args = append(args, uid, id, a.User.ID)
			}
			_, err := tx.Exec(ctx, `INSERT INTO moment_inbox (user_id, post_id, author_id) VALUES `+store.Values(hi-lo, 3, 1), args...)
			return err
		})
		if err != nil {
			return err
		}
		return s.inboxesChanged(ctx, tx, readers)
	})
	if err != nil {
		return Post{}, err
	}
	return s.Get(ctx, a, id)
}

// readers returns who a new moment reaches, the author first: friends for
// public and friends moments, the named friends for a list.
func (s *Service) readers(ctx context.Context, tx *store.Tx, a circle.Actor, d Draft) ([]string, error) {
	out := []string{a.User.ID}
	switch d.Audience {
	case Public, Friends:
		ids, err := social.FriendIDs(ctx, tx, a.User.ID)
		return append(out, ids...), err
	case List:
		handles := make([]string, len(d.To))
		for i, h := range d.To {
			handles[i], _ = account.NormalizeHandle(h) // one that is not a handle names no one
		}
		users, err := s.accounts.UsersByHandle(ctx, tx, handles)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{a.User.ID: true}
		for i, h := range handles {
			u, ok := users[h]
			friend := false
			if ok {
				if friend, err = social.AreFriends(ctx, tx, a.User.ID, u.ID); err != nil {
					return nil, err
				}
			}
			if !friend {
				return nil, errs.Field("to", "@%s is not one of your friends; a moment can be shared with friends only.", errs.Clip(strings.TrimPrefix(strings.TrimSpace(d.To[i]), "@"), 40))
			}
			if !seen[u.ID] {
				seen[u.ID] = true
				out = append(out, u.ID)
			}
		}
	}
	return out, nil
}
