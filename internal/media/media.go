// Package media takes pictures in and gives them out safely.
//
// An upload is sniffed, size-checked from its header before any decoding,
// decoded under a memory budget, turned upright and re-encoded — which
// leaves every EXIF, GPS, XMP, IPTC and comment field behind — into a
// display size, a thumbnail and a blurred copy for review queues, with a
// perceptual hash for screening. The variants go to storage (local disk
// or S3-compatible) under an unguessable id.
//
// A picture is given out only to those who may see the post it belongs to,
// checked again on every request, so that a ban, a deletion, a removal or
// a circle turning closed cuts access at once; before it is attached only
// its uploader sees it, and uploads never attached expire.
package media

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

const (
	// MaxPending bounds a user's uploads not yet in a post.
	MaxPending = 50
	// Expiry is how long an upload may wait to be attached to a post.
	Expiry = 24 * time.Hour
)

// Error codes.
const (
	CodeTooManyUploads errs.Code = "too_many_uploads"
)

// Scorer scores a picture for the classifier hook: 0 (fine) to 1.
type Scorer interface {
	Score(ctx context.Context, data []byte, mime string) (float64, error)
}

// Queues says whether a post waits in a moderation queue (held for review
// or reported), where the platform's reviewers must see its pictures.
type Queues interface {
	InQueue(ctx context.Context, q store.Querier, kind, id string) (bool, error)
}

// Service stores and serves pictures.
type Service struct {
	db    *store.DB
	blobs Blobs
	proc  *Processor
	posts *post.Service
	// Scorer, if set, scores every upload; a post with a picture scoring
	// at or above the classifier's threshold is held (see package screen).
	Scorer Scorer
	// Queues, if set, lets platform reviewers see pictures of posts in a
	// moderation queue, blurred until they reveal them.
	Queues Queues
	Log    *slog.Logger
}

// New returns the media service.
func New(db *store.DB, blobs Blobs, proc *Processor, posts *post.Service) *Service {
	return &Service{db: db, blobs: blobs, proc: proc, posts: posts, Log: slog.Default()}
}

// Upload is a stored picture as its uploader sees it.
type Upload struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	ThumbURL  string    `json:"thumb_url"`
	Mime      string    `json:"mime"`
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	Bytes     int       `json:"bytes"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at"` // unless attached to a post by then
}

// variant is what the variants column says of one stored variant.
type variant struct {
	Mime   string `json:"mime"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Bytes  int    `json:"bytes"`
}

// ID alphabet: lower-case base32, so ids are safe in keys and URLs.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// idLen is the length of a picture id: 160 random bits.
const idLen = 32

func newID() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("media: the system random source failed: " + err.Error())
	}
	return idEncoding.EncodeToString(b[:])
}

// validID says whether s could be a picture id, so that nothing else is
// looked up or turned into a storage key.
func validID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func key(id string, v Variant) string { return id[:2] + "/" + id + "/" + string(v) }

// URL is where a picture's variant is served.
func URL(id string, v Variant) string {
	if v == Display {
		return post.PictureURL(id, "")
	}
	return post.PictureURL(id, string(v))
}

// notFound is the one answer for a picture that does not exist and for
// one the caller may not see.
func notFound(id string) error {
	return errs.E(errs.NotFound, "There is no picture %q.", errs.Clip(id, 40))
}

// Upload processes and stores a picture for the actor, who may then put
// it in a post within Expiry.
func (s *Service) Upload(ctx context.Context, a circle.Actor, data []byte, name string) (Upload, error) {
	if a.Anonymous {
		return Upload{}, errs.E(errs.Unauthenticated, "Sign in to upload pictures.")
	}
	var pending int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM media WHERE owner_id = $1 AND post_id IS NULL`, a.User.ID).Scan(&pending); err != nil {
		return Upload{}, err
	}
	if pending >= MaxPending {
		return Upload{}, (&errs.Error{Code: CodeTooManyUploads, RetryAfter: time.Hour,
			Message: fmt.Sprintf("You have %d pictures not yet in a post; post or delete some before uploading more.", pending)}).
			Say("zh", "你有 %d 张图片还没发到帖子里；请先发布或删除一些，再继续上传。", pending)
	}
	res, err := s.proc.Process(ctx, data, name)
	if err != nil {
		return Upload{}, err
	}
	display := res.Variants[Display]
	var score any
	if s.Scorer != nil {
		// A picture the classifier could not score stays unscored; posts
		// with it wait for review.
		if v, err := s.Scorer.Score(ctx, display.Bytes, display.Mime); err != nil {
			s.Log.Warn("classifier did not score an upload", "error", err)
		} else {
			score = v
		}
	}
	id := newID()
	vs := make(map[Variant]variant, len(res.Variants))
	var stored []string
	for v, enc := range res.Variants {
		k := key(id, v)
		if err := s.blobs.Put(ctx, k, enc.Bytes, enc.Mime); err != nil {
			s.deleteBlobs(context.WithoutCancel(ctx), stored)
			return Upload{}, errs.Wrap(err, "storing a picture")
		}
		stored = append(stored, k)
		vs[v] = variant{Mime: enc.Mime, Width: enc.Width, Height: enc.Height, Bytes: len(enc.Bytes)}
	}
	vj, err := json.Marshal(vs)
	if err != nil {
		return Upload{}, errs.Wrap(err, "encoding variants")
	}
	up := Upload{ID: id, URL: URL(id, Display), ThumbURL: URL(id, Thumb), Mime: display.Mime, Width: display.Width,
		Height: display.Height, Bytes: len(display.Bytes), Name: CleanName(name)}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		up.ExpiresAt = tx.Now.Add(Expiry)
		_, err := tx.Exec(ctx, `INSERT INTO media (id, owner_id, mime, width, height, bytes, phash, name, variants, score, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			id, a.User.ID, up.Mime, up.Width, up.Height, up.Bytes, int64(res.Hash), up.Name, string(vj), score, tx.Now)
		return err
	})
	if err != nil {
		s.deleteBlobs(context.WithoutCancel(ctx), stored)
		return Upload{}, err
	}
	return up, nil
}

// deleteBlobs deletes blobs, logging (not returning) failures: a blob
// left behind is unreachable without its row.
func (s *Service) deleteBlobs(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := s.blobs.Delete(ctx, k); err != nil {
			s.Log.Warn("deleting a picture's blob", "key", k, "error", err)
		}
	}
}

// Picture is a variant being given out.
type Picture struct {
	io.ReadSeekCloser
	Mime    string
	Name    string // a safe file name for Content-Disposition
	ETag    string
	Blurred bool // the blurred copy was given instead of the picture
}

// record is what a media row says.
type record struct {
	ownerID  string
	postID   *string
	name     string
	variants map[Variant]variant
}

func (s *Service) load(ctx context.Context, q store.Querier, id string) (record, error) {
	var p record
	var vj string
	err := q.QueryRow(ctx, `SELECT owner_id, post_id, name, variants FROM media WHERE id = $1`, id).Scan(&p.ownerID, &p.postID, &p.name, &vj)
	if err == store.ErrNoRows {
		return p, notFound(id)
	}
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(vj), &p.variants); err != nil {
		return p, errs.Wrap(err, "reading the variants of picture %s", id)
	}
	return p, nil
}

// Open gives out a variant of a picture to an actor allowed to see it, and
// "not found" to everyone else. A held post's pictures come blurred to the
// moderators who review it — reveal asks for the picture itself, and is
// audited; its author sees them plainly.
func (s *Service) Open(ctx context.Context, a circle.Actor, id string, v Variant, reveal bool) (Picture, error) {
	if !validID(id) || (v != Display && v != Thumb && v != Blurred) {
		return Picture{}, notFound(id)
	}
	var p record
	blur := false
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		var err error
		if p, err = s.load(ctx, q, id); err != nil {
			return err
		}
		if p.postID == nil {
			if a.Anonymous || a.User.ID != p.ownerID {
				return notFound(id)
			}
			return nil
		}
		blur, err = s.mayView(ctx, q, a, *p.postID)
		if err != nil && errs.As(err).Code != errs.Internal {
			return notFound(id)
		}
		return err
	})
	if err != nil {
		return Picture{}, err
	}
	if blur && reveal {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			return audit.Record(ctx, tx, a.User.ID, "media.reveal", "media", id, map[string]any{"post_id": *p.postID})
		})
		if err != nil {
			return Picture{}, err
		}
	} else if blur {
		v = Blurred
	}
	meta, ok := p.variants[v]
	if !ok {
		return Picture{}, notFound(id)
	}
	rc, _, err := s.blobs.Open(ctx, key(id, v))
	if errors.Is(err, ErrNoBlob) {
		s.Log.Error("a picture's blob is missing from storage", "id", id, "variant", v, "storage", s.blobs.String())
		return Picture{}, notFound(id)
	}
	if err != nil {
		return Picture{}, errs.Wrap(err, "opening picture %s", id)
	}
	name := p.name
	if name == "" {
		name = "image"
	}
	return Picture{ReadSeekCloser: rc, Mime: meta.Mime, Name: withExt(name, meta.Mime),
		ETag: `"` + id + "-" + string(v) + `"`, Blurred: v == Blurred}, nil
}

// mayView decides whether the actor may see the pictures of a post, and
// whether blurred: those who may read the post see them (its moderators
// blurred while it waits for review, unless they are its author), and the
// platform's reviewers see, blurred, those of posts in a moderation queue.
func (s *Service) mayView(ctx context.Context, q store.Querier, a circle.Actor, postID string) (blur bool, err error) {
	sight, err := s.posts.Sees(ctx, q, a, postID)
	if err == nil {
		return sight.Status != post.Published && !sight.Author, nil
	}
	if a.Anonymous || !a.User.CanReview() || s.Queues == nil || errs.As(err).Code == errs.Internal {
		return false, err
	}
	in, qerr := s.Queues.InQueue(ctx, q, "post", postID)
	if qerr != nil {
		return false, qerr
	}
	if !in {
		return false, err
	}
	return true, nil
}

// withExt gives a file name the extension of the type it is served as.
func withExt(name, mime string) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png"}[mime]
	if ext == "" {
		return name
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return name + ext
}

// Delete discards one of the actor's uploads not yet in a post.
func (s *Service) Delete(ctx context.Context, a circle.Actor, id string) error {
	if a.Anonymous {
		return errs.E(errs.Unauthenticated, "Sign in to delete your uploads.")
	}
	if !validID(id) {
		return notFound(id)
	}
	var p record
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		if p.ownerID != a.User.ID {
			return notFound(id)
		}
		if p.postID != nil {
			return &errs.Error{Code: post.CodeMediaInUse, Message: "This picture is in a post; delete the post instead."}
		}
		_, err = tx.Exec(ctx, `DELETE FROM media WHERE id = $1 AND post_id IS NULL`, id)
		return err
	})
	if err != nil {
		return err
	}
	s.dropBlobs(ctx, id, p.variants)
	return nil
}

func (s *Service) dropBlobs(ctx context.Context, id string, vs map[Variant]variant) {
	keys := make([]string, 0, len(vs))
	for v := range vs {
		keys = append(keys, key(id, v))
	}
	s.deleteBlobs(ctx, keys)
}

// ExpireUploads deletes uploads never attached to a post within Expiry, a
// batch at a time, and says how many went. Rows go first, in their own
// transaction, so a picture being attached at that moment is either
// attached (and stays) or gone (and the post is refused).
func (s *Service) ExpireUploads(ctx context.Context) (int, error) {
	n := 0
	for {
		var gone []record
		var ids []string
		var deleted []bool
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			gone, ids = nil, nil
			deleted = deleted[:0]
			rows, err := tx.Query(ctx, `SELECT id, variants FROM media WHERE post_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT 200`,
				tx.Now.Add(-Expiry))
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, vj string
				if err := rows.Scan(&id, &vj); err != nil {
					return err
				}
				var p record
				if err := json.Unmarshal([]byte(vj), &p.variants); err != nil {
					return errs.Wrap(err, "reading the variants of picture %s", id)
				}
				ids, gone = append(ids, id), append(gone, p)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			rows.Close()
			for _, id := range ids {
				// One attached since it was read keeps its blobs.
				res, err := tx.Exec(ctx, `DELETE FROM media WHERE id = $1 AND post_id IS NULL`, id)
				if err != nil {
					return err
				}
				k, _ := res.RowsAffected()
				deleted = append(deleted, k == 1)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		for i, id := range ids {
			if deleted[i] {
				s.dropBlobs(ctx, id, gone[i].variants)
				n++
			}
		}
		if len(ids) < 200 {
			return n, nil
		}
	}
}
