// Package post is where people spend their time: posts in circles and
// moments among friends, with pictures, edits, likes, comments with one
// level of replies, and tips that move real money from reader to author.
//
// Every read and write goes through the circle's rules (view, post,
// comment, tip) and the caller's bans and blocks. A post that cannot be
// seen — in a closed circle one does not belong to, deleted, waiting for
// review, shared with others — is not found: the same answer as a post
// that does not exist.
package post

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/idempotency"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// Limits.
const (
	MaxText      = 5000 // characters in a post
	MaxComment   = 2000 // characters in a comment
	MaxMedia     = 9    // pictures in a post
	MaxPins      = 3    // pinned posts per circle
	MaxAudience  = 200  // people a moment may be shared with by name
	EditWindow   = time.Hour
	hotHalfDay   = 12 * 60 * 60 // seconds of newness that one doubling of interactions is worth
	maxAfterRuns = 20           // pages a filtered list reads before it gives what it has
)

// Status of a post or comment.
const (
	Published = "published"
	Held      = "held"     // waiting for review
	Rejected  = "rejected" // refused by a reviewer
	Deleted   = "deleted"
)

// Audiences: a circle post is read under its circle's rules; a moment is
// for everyone, friends, a chosen list, or the author alone.
const (
	InCircle = "circle"
	Public   = "public"
	Friends  = "friends"
	List     = "list"
	Private  = "private"
)

// Error codes.
const (
	CodeEmpty        errs.Code = "empty_post"
	CodeTooLong      errs.Code = "text_too_long"
	CodeTooManyMedia errs.Code = "too_many_media"
	CodeMedia        errs.Code = "media_not_found"
	CodeMediaInUse   errs.Code = "media_in_use"
	CodeEditWindow   errs.Code = "edit_window_closed"
	CodeInReview     errs.Code = "post_in_review"
	CodeAlreadyLiked errs.Code = "already_liked"
	CodeNotLiked     errs.Code = "not_liked"
	CodeReplyDepth   errs.Code = "reply_too_deep"
	CodeOwnPost      errs.Code = "own_post"
	CodeTipRange     errs.Code = "tip_out_of_range"
	CodeTipCap       errs.Code = "tip_cap_reached"
	CodeTooManyPins  errs.Code = "too_many_pins"
	CodeReported     errs.Code = "post_reported"
)

// Service runs posts.
type Service struct {
	db       *store.DB
	circles  *circle.Service
	accounts *account.Service
	wallet   *wallet.Service
	// Notifier, if set, is told in the transaction that made it what
	// others must hear about: tips, comments, replies, likes.
	Notifier Notifier
	// Reviewer, if set, queues held posts for a decision.
	Reviewer Reviewer
	// Screener, if set, screens every post, comment and edit before it
	// is written.
	Screener Screener

	feeds   *store.Cache[feedKey, *feedPage] // circles' first pages (feedcache.go)
	inboxes *store.Cache[string, []string]   // users' newest moment ids (feedcache.go)
	moments *store.Cache[string, Post]       // moments by id, for home feeds (feedcache.go)
	tips    *store.Batcher[tipCall]          // tipbatch.go
	keys    *idempotency.Store
}

// Notifier adds notifications in the caller's transaction.
type Notifier interface {
	AddAll(ctx context.Context, tx *store.Tx, notes []notify.Note) error
}

// New returns the post service.
func New(db *store.DB, circles *circle.Service, accounts *account.Service, w *wallet.Service) *Service {
	s := &Service{db: db, circles: circles, accounts: accounts, wallet: w, feeds: store.NewCacheOn[feedKey, *feedPage](db, feedTTL, feedMaxPages), inboxes: newInboxCache(), moments: store.NewCacheOn[string, Post](db, momentTTL, momentMax), keys: idempotency.New(db)}
	s.tips = store.NewBatcher(db, wallet.Settlers(db.Engine), s.settleTips)
	s.watchFeeds()
	return s
}

// Author is who wrote something, as readers see them.
type Author = account.Person

// CircleRef names the circle a post is in.
type CircleRef = circle.Ref

// Media is a picture in a post. Its URLs answer only those who may read
// the post; a held post's moderators get a blurred copy until they reveal
// it (add reveal=1).
type Media struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

// PictureURL is where a picture is served: variant "" is its display
// size, "thumb" and "blurred" the others.
func PictureURL(id, variant string) string {
	if variant == "" {
		return "/api/v1/media/" + id
	}
	return "/api/v1/media/" + id + "/" + variant
}

// Post is a post as a reader sees it.
type Post struct {
	ID        string     `json:"id"`
	Circle    *CircleRef `json:"circle,omitempty"` // nil for a moment
	Author    Author     `json:"author"`
	Audience  string     `json:"audience"`
	Text      string     `json:"text"`
	Media     []Media    `json:"media"`
	Status    string     `json:"status"` // published, held (in review: only its author and moderators see it), rejected
	Likes     int        `json:"likes"`
	Comments  int        `json:"comments"`
	Tips      TipTotals  `json:"tips"`
	Pinned    bool       `json:"pinned"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	// For a signed-in reader: whether they liked it, and what they may do.
	Me *Standing `json:"me,omitempty"`

	circleID, authorID string
	hot                float64
	pinnedAt           *time.Time
	shared             []byte // encodeShared's bytes, for posts in the feed cache
}

// TipTotals sums a post's tips.
type TipTotals struct {
	Count int   `json:"count"`
	Total int64 `json:"total"`
}

// Standing is what the reader may do with a post.
type Standing struct {
	Liked  bool                    `json:"liked"`
	Rights map[string]circle.Right `json:"rights"` // comment, like, tip, edit, delete, pin
}

// postColumns are read by scanPost, in order.
const postColumns = `p.id, p.circle_id, p.author_id, p.audience, p.body, p.status, p.media_count, p.like_count,
	p.comment_count, p.tip_count, p.tip_total, p.hot, p.pinned_at, p.edited_at, p.created_at, u.handle, u.display_name,
	COALESCE(c.slug, ''), COALESCE(c.name, '')`

const postFrom = ` FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN circles c ON c.id = p.circle_id `

func scanPost(row store.Scanner) (Post, error) {
	var p Post
	var circleID *string
	var mediaCount int
	var slug, name string
	err := row.Scan(&p.ID, &circleID, &p.authorID, &p.Audience, &p.Text, &p.Status, &mediaCount, &p.Likes, &p.Comments,
		&p.Tips.Count, &p.Tips.Total, &p.hot, &p.pinnedAt, &p.EditedAt, &p.CreatedAt, &p.Author.Handle, &p.Author.DisplayName,
		&slug, &name)
	if circleID != nil {
		p.circleID = *circleID
		p.Circle = &CircleRef{ID: *circleID, Slug: slug, Name: name}
	}
	p.Pinned = p.pinnedAt != nil
	if mediaCount > 0 {
		p.Media = make([]Media, 0, mediaCount)
	}
	return p, err
}

// HotScore orders posts for the hot feed: each doubling of weighted
// interactions is worth half a day of newness, so ordering by the stored
// score orders by decayed interest at any moment without rewriting rows.
func HotScore(created time.Time, likes, comments, tips int, tipTotal int64) float64 {
	w := float64(likes) + 2*float64(comments) + 3*float64(tips) + float64(tipTotal)/1000
	return math.Log2(1+w) + float64(created.Unix())/hotHalfDay
}

func (p *Post) rescore() float64 {
	return HotScore(p.CreatedAt, p.Likes, p.Comments, p.Tips.Count, p.Tips.Total)
}

// notFound is the one answer for a post that does not exist and for one
// the caller may not see.
func notFound(id string) error {
	return errs.E(errs.NotFound, "There is no post %q.", errs.Clip(id, 40))
}

// checkText tidies a post's or comment's text and checks its length.
func checkText(text string, max int, field string) (string, error) {
	t := strings.TrimSpace(text)
	if !utf8.ValidString(t) {
		return "", errs.Field(field, "The text is not valid UTF-8.")
	}
	if n := utf8.RuneCountInString(t); n > max {
		return "", (&errs.Error{Code: CodeTooLong, Field: field, Message: fmt.Sprintf("The text is %d characters long; at most %d are allowed.", n, max)}).
			Say("zh", "内容有 %d 个字符，最多允许 %d 个。", n, max)
	}
	return t, nil
}

// place is a loaded post with the reader's standing: the circle (nil for
// a moment) and what the reader may do.
type place struct {
	Post
	circle *circle.Place
	actor  circle.Actor
}

func (pl *place) isAuthor() bool { return !pl.actor.Anonymous && pl.actor.User.ID == pl.authorID }

func (pl *place) moderates() bool { return pl.circle != nil && pl.circle.Moderates() }

// open loads a post as the actor may see it: not found when it does not
// exist, is deleted, is held for review (except for its author and the
// circle's moderators), or lies outside what the actor may read.
func (s *Service) open(ctx context.Context, q store.Querier, a circle.Actor, id string) (*place, error) {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 40 {
		return nil, notFound(id)
	}
	p, err := scanPost(q.QueryRow(ctx, `SELECT `+postColumns+postFrom+`WHERE p.id = $1`, id))
	if err == store.ErrNoRows {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	pl := &place{Post: p, actor: a}
	if p.Status == Deleted {
		return nil, notFound(id)
	}
	if p.circleID != "" {
		cp, err := s.circles.Enter(ctx, q, a, p.circleID)
		if errs.Is(err, errs.NotFound) {
			return nil, notFound(id)
		}
		if err != nil {
			return nil, err
		}
		pl.circle = cp
		if err := cp.May(policy.View); err != nil {
			if errs.Is(err, errs.NotFound) {
				return nil, notFound(id)
			}
			return nil, err
		}
	} else if ok, err := s.mayReadMoment(ctx, q, a, &p); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound(id)
	}
	if p.Status != Published && !pl.isAuthor() && !pl.moderates() {
		return nil, notFound(id)
	}
	return pl, nil
}

// Sight is how a reader who may read a post sees it.
type Sight struct {
	Status string // published, held or rejected: the last two only for its author and its moderators
	Author bool   // the reader wrote it
}

// Sees says how the actor sees a post — and "not found", as everywhere,
// when they may not read it. Its pictures follow it.
func (s *Service) Sees(ctx context.Context, q store.Querier, a circle.Actor, id string) (Sight, error) {
	pl, err := s.open(ctx, q, a, id)
	if err != nil {
		return Sight{}, err
	}
	return Sight{Status: pl.Status, Author: pl.isAuthor()}, nil
}

// mayReadMoment says whether the actor may read a moment.
func (s *Service) mayReadMoment(ctx context.Context, q store.Querier, a circle.Actor, p *Post) (bool, error) {
	if !a.Anonymous && a.User.ID == p.authorID {
		return true, nil
	}
	if a.Anonymous {
		return p.Audience == Public, nil
	}
	if blocked, err := s.blocked(ctx, q, a.User.ID, p.authorID); err != nil || blocked {
		return false, err
	}
	switch p.Audience {
	case Public:
		return true, nil
	case Friends:
		return social.AreFriends(ctx, q, a.User.ID, p.authorID)
	case List:
		var n int
		err := q.QueryRow(ctx, `SELECT COUNT(*) FROM post_audience WHERE post_id = $1 AND user_id = $2`, p.ID, a.User.ID).Scan(&n)
		return n > 0, err
	}
	return false, nil
}

func (s *Service) blocked(ctx context.Context, q store.Querier, a, b string) (bool, error) {
	if a == b {
		return false, nil
	}
	return social.Blocked(ctx, q, a, b)
}

// blockedSet is everyone the actor blocked or was blocked by. The map
// may be the session's: read it, never write it.
func (s *Service) blockedSet(ctx context.Context, q store.Querier, a circle.Actor) (map[string]bool, error) {
	if a.Anonymous {
		return nil, nil
	}
	if a.BlocksKnown {
		return a.Blocked, nil
	}
	ids, err := social.BlockedIDs(ctx, q, a.User.ID)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// mayInteract refuses the actor an action on a post they can see: the
// circle's rule for it, a block between them and the author, a post still
// in review.
func (s *Service) mayInteract(ctx context.Context, q store.Querier, pl *place, act policy.Action, what string) error {
	a := pl.actor
	if a.Anonymous {
		return errs.E(errs.Unauthenticated, "Sign in to %s.", what).Say("zh", "请先登录再%s。", verbZH(what))
	}
	if pl.Status != Published {
		return errs.E(CodeInReview, "This post is waiting for review; it cannot be %s until it is published.", pastTense(what)).
			Say("zh", "这条帖子正在等待审核；发布之前不能%s。", verbZH(what))
	}
	if pl.circle != nil {
		if err := pl.circle.May(act); err != nil {
			return err
		}
	}
	if blocked, err := s.blocked(ctx, q, a.User.ID, pl.authorID); err != nil {
		return err
	} else if blocked {
		return social.BlockedError(pl.Author.Handle, what)
	}
	return nil
}

func pastTense(what string) string {
	switch {
	case strings.HasPrefix(what, "comment"):
		return "commented on"
	case strings.HasPrefix(what, "tip"):
		return "tipped"
	case strings.HasPrefix(what, "like"):
		return "liked"
	}
	return "used"
}

// Get returns one post with its pictures, counts and the reader's rights.
func (s *Service) Get(ctx context.Context, a circle.Actor, id string) (Post, error) {
	var out Post
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		pl, err := s.open(ctx, q, a, id)
		if err != nil {
			return err
		}
		ps := []Post{pl.Post}
		if err := s.fill(ctx, q, a, ps); err != nil {
			return err
		}
		out = ps[0]
		out.Me = s.standing(ctx, q, pl, out.Me)
		return nil
	})
	return out, err
}

// standing works out what the reader may do with a post they can see.
func (s *Service) standing(ctx context.Context, q store.Querier, pl *place, st *Standing) *Standing {
	if pl.actor.Anonymous {
		return nil
	}
	if st == nil {
		st = &Standing{}
	}
	right := func(err error) circle.Right {
		if err != nil {
			e := errs.As(err)
			return circle.Right{Reason: e.Message, ReasonZH: e.Translations["zh"]}
		}
		return circle.Right{Allowed: true}
	}
	st.Rights = map[string]circle.Right{
		"comment": right(s.mayInteract(ctx, q, pl, policy.Comment, "comment on this post")),
		"like":    right(s.mayInteract(ctx, q, pl, policy.View, "like this post")),
		"tip":     right(s.mayTip(ctx, q, pl)),
		"edit":    right(pl.mayEdit(s.db.Now())),
		"delete":  right(pl.mayDelete()),
		"pin":     right(pl.mayPin()),
	}
	return st
}

func (pl *place) mayEdit(now time.Time) error {
	if !pl.isAuthor() {
		return errs.E(errs.Forbidden, "Only its author may edit a post.")
	}
	if now.Sub(pl.CreatedAt) > EditWindow {
		at := pl.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")
		return errs.E(CodeEditWindow, "A post can be edited for %s after it is posted; this one was posted at %s.", "an hour", at).
			Say("zh", "帖子发布后%s内可以编辑；这条发布于 %s。", "一小时", at)
	}
	return nil
}

func (pl *place) mayDelete() error {
	if pl.isAuthor() || pl.moderates() {
		return nil
	}
	return errs.E(errs.Forbidden, "Only its author and the circle's moderators may delete a post.")
}

func (pl *place) mayPin() error {
	if pl.circle == nil {
		return errs.E(errs.Forbidden, "Only posts in circles can be pinned.")
	}
	return pl.circle.NeedModerator("pin posts")
}

// fill sets the posts' pictures and the reader's standing.
func (s *Service) fill(ctx context.Context, q store.Querier, a circle.Actor, ps []Post) error {
	if err := s.pictures(ctx, q, ps); err != nil {
		return err
	}
	return s.likedBy(ctx, q, a, ps)
}

// pictures reads the pictures of the posts that have some.
func (s *Service) pictures(ctx context.Context, q store.Querier, ps []Post) error {
	var withMedia []string
	at := make(map[string]int, len(ps))
	for i, p := range ps {
		at[p.ID] = i
		if p.Media != nil {
			withMedia = append(withMedia, p.ID)
		} else {
			ps[i].Media = []Media{}
		}
	}
	if len(withMedia) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT post_id, id, width, height FROM media WHERE post_id IN (`+store.List(len(withMedia), 1)+`)
		ORDER BY post_id, position`, anys(withMedia)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var pid string
		var m Media
		if err := rows.Scan(&pid, &m.ID, &m.Width, &m.Height); err != nil {
			return err
		}
		m.URL, m.ThumbURL = PictureURL(m.ID, ""), PictureURL(m.ID, "thumb")
		ps[at[pid]].Media = append(ps[at[pid]].Media, m)
	}
	return rows.Err()
}

// likedBy sets a signed-in reader's standing on each post: whether they
// liked it.
func (s *Service) likedBy(ctx context.Context, q store.Querier, a circle.Actor, ps []Post) error {
	if a.Anonymous || len(ps) == 0 {
		return nil
	}
	at := make(map[string]int, len(ps))
	ids := make([]string, len(ps))
	for i := range ps {
		ps[i].Me = &Standing{}
		at[ps[i].ID], ids[i] = i, ps[i].ID
	}
	rows, err := q.Query(ctx, `SELECT post_id FROM post_likes WHERE user_id = $1 AND post_id IN (`+store.List(len(ids), 2)+`)`,
		append([]any{a.User.ID}, anys(ids)...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var pid string
		if err := rows.Scan(&pid); err != nil {
			return err
		}
		ps[at[pid]].Me.Liked = true
	}
	return rows.Err()
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// notify tells the notifier, if there is one.
func (s *Service) notify(ctx context.Context, tx *store.Tx, n notify.Note) error {
	if s.Notifier == nil || n.UserID == n.ActorID {
		return nil
	}
	return s.Notifier.AddAll(ctx, tx, []notify.Note{n})
}

// snippet is the start of a text, for notifications.
func snippet(text string) string { return errs.Clip(text, 80) }
