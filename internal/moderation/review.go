package moderation

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// Review statuses.
const (
	Pending  = "pending"
	Approved = "approved"
	Rejected = "rejected"
)

// Item is a held post or comment as its reviewers see it.
type Item struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind"` // post or comment
	TargetID   string      `json:"target_id"`
	Cause      string      `json:"cause"`            // why it is held: circle_review, screen_words, screen_hash, classifier, classifier_unavailable
	Detail     string      `json:"detail,omitempty"` // what screening found: the phrases, the pictures
	Status     string      `json:"status"`
	Circle     *circle.Ref `json:"circle,omitempty"`
	Author     Person      `json:"author"`
	Text       string      `json:"text"`
	Media      int         `json:"media_count"`
	Reason     string      `json:"reason,omitempty"` // a rejection's reason code
	Note       string      `json:"note,omitempty"`
	DecidedBy  *Person     `json:"decided_by,omitempty"`
	DecidedAt  *time.Time  `json:"decided_at,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	AgeSeconds int64       `json:"age_seconds"` // how long it has waited (until decided)

	// A held post's pictures, blurred until the reviewer reveals each.
	Pictures []Picture `json:"pictures,omitempty"`

	authorID, circleID string
}

// Picture is a picture in review: its blurred copy, and the address that
// reveals it (audited).
type Picture struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	RevealURL string `json:"reveal_url"`
}

// fillPictures adds the pictures of the posts among items.
func fillPictures(ctx context.Context, q store.Querier, items []Item) error {
	var posts []any
	at := map[string]int{}
	for i, it := range items {
		if it.Kind == "post" && it.Media > 0 {
			posts = append(posts, it.TargetID)
			at[it.TargetID] = i
		}
	}
	if len(posts) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT post_id, id FROM media WHERE post_id IN (`+store.List(len(posts), 1)+`) ORDER BY post_id, position`, posts...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var pid, id string
		if err := rows.Scan(&pid, &id); err != nil {
			return err
		}
		it := &items[at[pid]]
		it.Pictures = append(it.Pictures, Picture{ID: id, URL: post.PictureURL(id, "blurred"), RevealURL: post.PictureURL(id, "") + "?reveal=1"})
	}
	return rows.Err()
}

// Queue is a page of a review queue, oldest first, with its size.
type Queue struct {
	Items            []Item `json:"items"`
	Pending          int64  `json:"pending"`            // items waiting, in all
	OldestAgeSeconds int64  `json:"oldest_age_seconds"` // how long the oldest has waited; 0 when none
	NextCursor       string `json:"next_cursor,omitempty"`
}

// Decision is a reviewer's verdict.
type Decision struct {
	Reason string `json:"reason"` // required to reject: spam, nudity, violence …
	Note   string `json:"note"`   // optional words to the author, up to 500 characters
	// Action is what upholding a report does besides removing the post or
	// comment: warn its author, mute them in the circle for Hours (1–720),
	// or ban them from it for Days (0 for good). A report on a user needs
	// warn, or suspend for Days (0 until lifted; admins); one on a circle
	// needs close (admins).
	Action string `json:"action,omitempty"`
	Hours  int    `json:"hours,omitempty"`
	Days   int    `json:"days,omitempty"`
}

// Hold queues a held post or comment, in the transaction that holds it.
func (s *Service) Hold(ctx context.Context, tx *store.Tx, h post.Hold) error {
	var cid any
	if h.CircleID != "" {
		cid = h.CircleID
	}
	_, err := tx.Exec(ctx, `INSERT INTO review_items (id, kind, target_id, circle_id, author_id, cause, detail, status, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)`, store.NewID(tx.Now), h.Kind, h.TargetID, cid, h.AuthorID, h.Cause, h.Detail, tx.Now)
	return err
}

const itemColumns = `r.id, r.kind, r.target_id, r.cause, r.detail, r.status, r.reason, r.note, r.decided_at, r.created_at, r.author_id,
	u.handle, u.display_name, c.id, c.slug, c.name, COALESCE(p.body, m.body, ''), COALESCE(p.media_count, 0),
	d.handle, d.display_name`

const itemFrom = ` FROM review_items r JOIN users u ON u.id = r.author_id
	LEFT JOIN circles c ON c.id = r.circle_id
	LEFT JOIN posts p ON r.kind = 'post' AND p.id = r.target_id
	LEFT JOIN comments m ON r.kind = 'comment' AND m.id = r.target_id
	LEFT JOIN users d ON d.id = r.decided_by `

func scanItem(row store.Scanner, now time.Time) (Item, error) {
	var it Item
	var cid, slug, name, dHandle, dName *string
	err := row.Scan(&it.ID, &it.Kind, &it.TargetID, &it.Cause, &it.Detail, &it.Status, &it.Reason, &it.Note, &it.DecidedAt, &it.CreatedAt, &it.authorID,
		&it.Author.Handle, &it.Author.DisplayName, &cid, &slug, &name, &it.Text, &it.Media, &dHandle, &dName)
	it.Circle = circleRef(cid, slug, name)
	if cid != nil {
		it.circleID = *cid
	}
	if dHandle != nil {
		it.DecidedBy = &Person{Handle: *dHandle, DisplayName: deref(dName)}
	}
	until := now
	if it.DecidedAt != nil {
		until = *it.DecidedAt
	}
	it.AgeSeconds = age(until, it.CreatedAt)
	return it, err
}

// Queue lists the items waiting in a circle's review queue, oldest first,
// for its moderators and the platform's reviewers; circleRef "" is the
// whole platform's queue, for platform reviewers.
func (s *Service) Queue(ctx context.Context, a circle.Actor, circleRef string, p store.Page) (Queue, error) {
	var out Queue
	if a.Anonymous {
		return out, errs.E(errs.Unauthenticated, "Sign in to see a review queue.")
	}
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		where, args := `r.status = 'pending'`, []any{}
		if circleRef != "" {
			cp, err := s.circles.Enter(ctx, q, a, circleRef)
			if err != nil {
				return err
			}
			if err := moderates(a, cp, "see its review queue"); err != nil {
				return err
			}
			where, args = where+` AND r.circle_id = $1`, append(args, cp.ID)
		} else if err := s.mayDecide(ctx, q, a, "", "see the platform's review queue"); err != nil {
			return err
		}
		now := s.db.Now()
		var oldest *time.Time
		if err := q.QueryRow(ctx, `SELECT COUNT(*), MIN(r.created_at) FROM review_items r WHERE `+where, args...).Scan(&out.Pending, &oldest); err != nil {
			return err
		}
		if oldest != nil {
			out.OldestAgeSeconds = age(now, *oldest)
		}
		page := where
		if at, key, ok, err := p.AfterTime(); err != nil {
			return err
		} else if ok {
			n := strconv.Itoa(len(args) + 1)
			page += ` AND (r.created_at > $` + n + ` OR (r.created_at = $` + n + ` AND r.id > $` + strconv.Itoa(len(args)+2) + `))`
			args = append(args, at, key)
		}
		items, err := store.Collect(ctx, q, func(r store.Scanner) (Item, error) { return scanItem(r, now) },
			`SELECT `+itemColumns+itemFrom+`WHERE `+page+` ORDER BY r.created_at, r.id LIMIT `+strconv.Itoa(p.Limit+1), args...)
		if err != nil {
			return err
		}
		out.Items, out.NextCursor = store.NextCursor(p, items, func(it Item) []string { return []string{store.Micros(it.CreatedAt), it.ID} })
		if out.Items == nil {
			out.Items = []Item{}
		}
		return fillPictures(ctx, q, out.Items)
	})
	return out, err
}

// Decide approves or rejects a held item: the post is published (or
// stays hidden, rejected), the author is told with the reason, and the
// decision is audited. An item already decided is refused.
func (s *Service) Decide(ctx context.Context, a circle.Actor, id string, approve bool, d Decision) (Item, error) {
	reason, note, err := checkReason(d.Reason, d.Note, !approve)
	if err != nil {
		return Item{}, err
	}
	if d.Action != "" || d.Hours != 0 || d.Days != 0 {
		return Item{}, errs.Field("action", "An action goes with upholding a report, not with a review decision.")
	}
	verb, status := "reject", Rejected
	if approve {
		verb, status, reason = "approve", Approved, ""
	}
	var it Item
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		it, err = scanItem(tx.QueryRow(ctx, `SELECT `+itemColumns+itemFrom+`WHERE r.id = $1`, strings.TrimSpace(id)), tx.Now)
		notFound := errs.E(errs.NotFound, "There is no review item %q.", errs.Clip(id, 40))
		if err == store.ErrNoRows {
			return notFound
		}
		if err != nil {
			return err
		}
		if err := s.mayDecide(ctx, tx, a, it.circleID, verb+" posts in review"); err != nil {
			if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
				return notFound // what one may not decide on, one does not learn of
			}
			return err
		}
		if it.authorID == a.User.ID {
			return errs.E(CodeOwnContent, "You cannot decide on your own post; another reviewer will.")
		}
		res, err := tx.Exec(ctx, `UPDATE review_items SET status = $1, reason = $2, note = $3, decided_by = $4, decided_at = $5
			WHERE id = $6 AND status = 'pending'`, status, reason, note, a.User.ID, tx.Now, it.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			who := "someone"
			if it.DecidedBy != nil {
				who = "@" + it.DecidedBy.Handle
			}
			return errs.E(CodeAlreadyDecided, "This item was already %s by %s.", it.Status, who)
		}
		decide := s.posts.Decide
		if it.Kind == "comment" {
			decide = s.posts.DecideComment
		}
		if err := decide(ctx, tx, it.TargetID, approve); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a.User.ID, "review."+verb, it.Kind, it.TargetID,
			map[string]string{"item": it.ID, "reason": reason, "note": note, "author": it.Author.Handle}); err != nil {
			return err
		}
		it.Status, it.Reason, it.Note, it.DecidedAt = status, reason, note, &tx.Now
		it.DecidedBy = &Person{Handle: a.User.Handle, DisplayName: a.User.DisplayName}
		it.AgeSeconds = age(tx.Now, it.CreatedAt)
		if s.Notifier == nil {
			return nil
		}
		text := "Your " + it.Kind + " was approved and is published."
		if !approve {
			text = "Your " + it.Kind + " was not approved (" + spoken(reason) + ")."
			if note != "" {
				text += " " + note
			}
		}
		n := notify.Note{UserID: it.authorID, Kind: KindReviewDecided, ActorID: a.User.ID, CircleID: it.circleID, Text: text}
		if it.Kind == "post" {
			n.PostID = it.TargetID
		} else {
			n.CommentID = it.TargetID
		}
		return s.Notifier.Add(ctx, tx, n)
	})
	return it, err
}
