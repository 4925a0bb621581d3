package post

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Draft is what an author writes: text and up to nine of their uploaded
// pictures, in order. For a moment, also who may read it.
type Draft struct {
	Text     string   `json:"text"`
	MediaIDs []string `json:"media_ids,omitempty"`
	// Moments only: public, friends (the default), list or private; and
	// for a list, the handles of the friends it is shared with.
	Audience string   `json:"audience,omitempty"`
	To       []string `json:"to,omitempty"`
}

// check tidies the draft and checks what it says on its own.
func (d *Draft) check() error {
	t, err := checkText(d.Text, MaxText, "text")
	if err != nil {
		return err
	}
	d.Text = t
	if len(d.MediaIDs) > MaxMedia {
		return (&errs.Error{Code: CodeTooManyMedia, Field: "media_ids", Message: fmt.Sprintf("A post has at most %d pictures; this one has %d.", MaxMedia, len(d.MediaIDs))}).
			Say("zh", "一条帖子最多 %d 张图片；这条有 %d 张。", MaxMedia, len(d.MediaIDs))
	}
	seen := map[string]bool{}
	for i, id := range d.MediaIDs {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			return errs.Field("media_ids", "Picture %d is empty or repeated; list each picture once.", i+1).
				Say("zh", "第 %d 张图片是空的或重复了；每张图片只列一次。", i+1)
		}
		seen[id] = true
		d.MediaIDs[i] = id
	}
	if d.Text == "" && len(d.MediaIDs) == 0 {
		return &errs.Error{Code: CodeEmpty, Field: "text", Message: "A post needs some text or at least one picture."}
	}
	return nil
}

// Create posts in a circle under its post rule. In a circle that reviews
// posts (all of them, or those with pictures) the post waits, held, for a
// reviewer; until then only its author and the moderators see it.
func (s *Service) Create(ctx context.Context, a circle.Actor, circleRef string, d Draft) (Post, error) {
	if a.Anonymous {
		return Post{}, errs.E(errs.Unauthenticated, "Sign in to post.")
	}
	if d.Audience != "" || len(d.To) > 0 {
		return Post{}, errs.Field("audience", "A post in a circle is read under the circle's rules; audience and to are for moments.")
	}
	if err := d.check(); err != nil {
		return Post{}, err
	}
	var id string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		cp, err := s.circles.Enter(ctx, tx, a, circleRef)
		if err != nil {
			return err
		}
		if err := cp.May(policy.Post); err != nil {
			return err
		}
		if err := checkPace(ctx, tx, cp, a.User.ID, true); err != nil {
			return err
		}
		// Screening applies to everyone, moderators included: its lists
		// are rules about content, not trust in its author.
		v, err := s.screen(ctx, tx, Screening{Kind: "post", CircleID: cp.ID, AuthorID: a.User.ID, Text: d.Text, MediaIDs: d.MediaIDs})
		if err != nil {
			return err
		}
		// The circle's moderators are its reviewers: their own posts go out.
		status := Published
		if v.Action() == ScreenHold || (!cp.Moderates() && (cp.Review == circle.ReviewAll || (cp.Review == circle.ReviewMedia && len(d.MediaIDs) > 0))) {
			status = Held
		}
		id = store.NewID(tx.Now)
		if err := s.insert(ctx, tx, a, id, cp.ID, InCircle, status, d); err != nil {
			return err
		}
		h := Hold{Kind: "post", TargetID: id, CircleID: cp.ID, AuthorID: a.User.ID, Cause: CauseCircleReview}
		if status == Published {
			if err := s.afterScreen(ctx, tx, v, h); err != nil {
				return err
			}
			return circle.Activity(ctx, tx, cp.ID)
		}
		if v.Action() == ScreenHold {
			return s.afterScreen(ctx, tx, v, h)
		}
		if s.Reviewer == nil {
			return nil
		}
		if v.Action() == ScreenFlag { // its reviewer decides anyway: no case, but they are told
			h.Detail = "screening flagged it: " + v.Detail()
		}
		return s.Reviewer.Hold(ctx, tx, h)
	})
	if err != nil {
		return Post{}, err
	}
	return s.Get(ctx, a, id)
}

// insert writes a new post and attaches its pictures.
func (s *Service) insert(ctx context.Context, tx *store.Tx, a circle.Actor, id, circleID, audience, status string, d Draft) error {
	var cid any
	if circleID != "" {
		cid = circleID
	}
	_, err := tx.Exec(ctx, `INSERT INTO posts (id, circle_id, author_id, audience, body, status, media_count, hot, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
		id, cid, a.User.ID, audience, d.Text, status, len(d.MediaIDs), HotScore(tx.Now, 0, 0, 0, 0), tx.Now)
	if err != nil {
		return err
	}
	if status == Published && circleID != "" { // a new moment is in no cache yet
		if err := s.changed(ctx, tx, circleID, id, true); err != nil {
			return err
		}
	}
	return attach(ctx, tx, a.User.ID, id, d.MediaIDs)
}

// attach links the author's own unattached pictures to a post, in order.
// Someone else's picture is "not found", as one that does not exist.
func attach(ctx context.Context, tx *store.Tx, ownerID, postID string, ids []string) error {
	for i, id := range ids {
		res, err := tx.Exec(ctx, `UPDATE media SET post_id = $1, position = $2, attached_at = $3
			WHERE id = $4 AND owner_id = $5 AND post_id IS NULL`, postID, i, tx.Now, id, ownerID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		var owner string
		err = tx.QueryRow(ctx, `SELECT owner_id FROM media WHERE id = $1`, id).Scan(&owner)
		if err == nil && owner == ownerID {
			return (&errs.Error{Code: CodeMediaInUse, Field: "media_ids", Message: fmt.Sprintf("Picture %d is already in another post; upload it again to use it twice.", i+1)}).
				Say("zh", "第 %d 张图片已在另一条帖子里；要再用一次，请重新上传。", i+1)
		}
		if err != nil && err != store.ErrNoRows {
			return err
		}
		return (&errs.Error{Code: CodeMedia, Field: "media_ids", Message: fmt.Sprintf("Picture %d (%s) is not one of your uploads.", i+1, errs.Clip(id, 40))}).
			Say("zh", "第 %d 张图片（%s）不是你上传的。", i+1, errs.Clip(id, 40))
	}
	return nil
}

// Edit replaces a post's text within EditWindow of posting; its author
// may. The text it replaces is kept in the post's history.
func (s *Service) Edit(ctx context.Context, a circle.Actor, id, text string) (Post, error) {
	t, err := checkText(text, MaxText, "text")
	if err != nil {
		return Post{}, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		pl, err := s.open(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := pl.mayEdit(tx.Now); err != nil {
			return err
		}
		if t == "" && pl.Media == nil {
			return &errs.Error{Code: CodeEmpty, Field: "text", Message: "A post without pictures needs some text."}
		}
		if t == pl.Text {
			return nil
		}
		// What the edit introduces is screened: a blocked phrase refuses
		// it, a held one takes the post back into review, a flagged one
		// opens a case.
		sc := Screening{Kind: "post", CircleID: pl.circleID, AuthorID: pl.authorID, Text: t}
		v, err := s.screen(ctx, tx, sc)
		if err != nil {
			return err
		}
		if v.Action() != "" {
			sc.Text = pl.Text
			before, err := s.screen(ctx, tx, sc)
			if err != nil && !errs.Is(err, CodeBlockedWords) {
				return err
			}
			v = v.without(before)
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM post_edits WHERE post_id = $1`, pl.ID).Scan(&version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO post_edits (post_id, version, body, edited_at) VALUES ($1, $2, $3, $4)`,
			pl.ID, version+1, pl.Text, tx.Now); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `UPDATE posts SET body = $1, edited_at = $2, updated_at = $2 WHERE id = $3`, t, tx.Now, pl.ID); err != nil {
			return err
		}
		if err := s.changed(ctx, tx, pl.circleID, pl.ID, true); err != nil {
			return err
		}
		return s.screenEdit(ctx, tx, pl, v)
	})
	if err != nil {
		return Post{}, err
	}
	return s.Get(ctx, a, id)
}

// screenEdit acts on what screening found in an edit: a published post
// that now needs review goes back to it (held, queued); one already
// waiting stays in the queue it is in; flags open a case.
func (s *Service) screenEdit(ctx context.Context, tx *store.Tx, pl *place, v Verdict) error {
	h := Hold{Kind: "post", TargetID: pl.ID, CircleID: pl.circleID, AuthorID: pl.authorID}
	if v.Action() != ScreenHold {
		return s.afterScreen(ctx, tx, v, h)
	}
	if pl.Status != Published {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE posts SET status = 'held', pinned_at = NULL, pinned_by = NULL WHERE id = $1`, pl.ID); err != nil {
		return err
	}
	return s.afterScreen(ctx, tx, v, h)
}

// Version is an earlier text of a post.
type Version struct {
	Version    int       `json:"version"` // 1 is the original
	Text       string    `json:"text"`
	ReplacedAt time.Time `json:"replaced_at"`
}

// Edits lists what a post said before each edit, oldest first, to anyone
// who may read it.
func (s *Service) Edits(ctx context.Context, a circle.Actor, id string) ([]Version, error) {
	var out []Version
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		pl, err := s.open(ctx, q, a, id)
		if err != nil {
			return err
		}
		out, err = store.Collect(ctx, q, func(r store.Scanner) (Version, error) {
			var v Version
			return v, r.Scan(&v.Version, &v.Text, &v.ReplacedAt)
		}, `SELECT version, body, edited_at FROM post_edits WHERE post_id = $1 ORDER BY version`, pl.ID)
		return err
	})
	return out, err
}

// Delete hides a post from everyone; its author and the circle's
// moderators may. It is kept, for audit; a moderator's deletion of another
// member's post is in the audit log with the reason.
func (s *Service) Delete(ctx context.Context, a circle.Actor, id, reason string) error {
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > circle.MaxReason {
		return errs.Field("reason", "The reason may be at most %d characters.", circle.MaxReason)
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		pl, err := s.open(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := pl.mayDelete(); err != nil {
			return err
		}
		return s.removePost(ctx, tx, a.User.ID, pl.ID, pl.Author.Handle, reason, !pl.isAuthor())
	})
}

// Pin puts a post at the top of its circle's feed, or takes it off;
// moderators may, up to MaxPins at a time.
func (s *Service) Pin(ctx context.Context, a circle.Actor, id string, pin bool) (Post, error) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		pl, err := s.open(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := pl.mayPin(); err != nil {
			return err
		}
		if err := s.changed(ctx, tx, pl.circleID, pl.ID, true); err != nil {
			return err
		}
		if !pin {
			_, err := tx.Exec(ctx, `UPDATE posts SET pinned_at = NULL, pinned_by = NULL WHERE id = $1`, pl.ID)
			return err
		}
		if pl.Status != Published {
			return errs.E(CodeInReview, "Only published posts can be pinned; this one is %s.", pl.Status)
		}
		if pl.Pinned {
			return nil
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM posts WHERE circle_id = $1 AND pinned_at IS NOT NULL`, pl.circleID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxPins {
			return errs.E(CodeTooManyPins, "%s already has %d pinned posts, the most it may have; unpin one first.", pl.Circle.Name, n).
				Say("zh", "%s 已有 %d 条置顶帖，达到上限；请先取消置顶一条。", pl.Circle.Name, n)
		}
		_, err = tx.Exec(ctx, `UPDATE posts SET pinned_at = $1, pinned_by = $2 WHERE id = $3`, tx.Now, a.User.ID, pl.ID)
		return err
	})
	if err != nil {
		return Post{}, err
	}
	return s.Get(ctx, a, id)
}
