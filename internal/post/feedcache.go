package post

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/store"
)

// The first page of a circle's feed is what nearly every reader asks
// for, and reading it is most of a feed request's cost: twenty-odd posts
// spread over the posts table, their authors and their pictures. So each
// node keeps the first feedDepth published posts of the circles being
// read, as everyone sees them, and who liked them while they are few, so
// that a reader's liked marks need no read. The reader's standing in the
// circle (its rules, membership, bans) is decided for each request, from
// the circles' standings cache; their blocks come with their session
// (account.Session.Blocked).
//
// Staleness:
//   - A post published, edited, pinned, held, deleted or restored marks its
//     circle's pages stale in the same transaction: this node drops them
//     once it commits, and the other nodes at their next poll of the
//     accounts' invalidation rows (a quarter of a second), so a deleted
//     post leaves every node's feed at once.
//   - A like or unlike does the same, for the page's likers (each
//     reader's liked mark comes from them).
//   - A comment or tip drops this node's pages only; other nodes' counts
//     catch up within twice feedTTL (store.Cache serves a page in steady
//     use while one reader reads it again).
//   - An expired page is brought up to date by reading only which posts
//     head its circle and their counts (recountPage): not their authors,
//     circles, pictures or likers, and only the posts whose counts moved
//     are encoded again. Most pages in steady use have not changed, and a
//     busy node reads a page or more again every few milliseconds. A page
//     is read whole when its posts, their order or their likes differ,
//     and at least every feedReread, so that authors' and circles' new
//     names reach it.
//   - A page read while its circle's pages were dropped is not kept.
const (
	feedDepth    = 50
	feedTTL      = 30 * time.Second
	feedReread   = 5 * time.Minute
	feedMaxPages = 4096
)

type feedKey struct{ circleID, sort string }

// feedPage is a circle's first posts in one sort, pictures filled in,
// and who liked them, without any reader's standing.
type feedPage struct {
	posts    []Post
	pinned   []Post // SortNew only
	complete bool   // posts holds every published post of the circle
	// likers maps each user who liked some of the posts to the ids of
	// those posts; nil when there were more than pageLikers likes.
	likers map[string][]string
	read   time.Time // when the page was last read whole
}

// evictFeeds drops a circle's pages.
func (s *Service) evictFeeds(circleID string) {
	s.feeds.Evict(feedKey{circleID, SortNew})
	s.feeds.Evict(feedKey{circleID, SortHot})
}

// feedKeyPrefix names a circle's feed pages among the invalidation keys.
const feedKeyPrefix = "feed:"

// watchFeeds has other nodes' invalidations reach this node's pages and
// inboxes.
func (s *Service) watchFeeds() {
	if s.accounts != nil {
		s.accounts.OnInvalidation(feedKeyPrefix, func(key string) { s.evictFeeds(strings.TrimPrefix(key, feedKeyPrefix)) })
		s.accounts.OnInvalidation(momentKeyPrefix, func(key string) { s.moments.Evict(strings.TrimPrefix(key, momentKeyPrefix)) })
		s.accounts.OnInvalidation(inboxKeyPrefix, func(key string) {
			for id := range strings.SplitSeq(strings.TrimPrefix(key, inboxKeyPrefix), ",") {
				s.inboxes.Evict(id)
			}
		})
	}
}

// A home feed's moments come from the reader's moment inbox, which each
// node keeps the head of (the newest ids, not the moments): most readers'
// inboxes change far less often than they read. A new moment marks its
// readers' inboxes stale in its own transaction, on every node (one
// invalidation row for up to inboxKeyUsers readers).
const (
	inboxKeyPrefix = "inbox:"
	inboxKeyUsers  = 200
	inboxTTL       = 30 * time.Second
	inboxMax       = 100_000 // users
)

func newInboxCache() *store.Cache[string, []string] {
	return store.NewCache[string, []string](inboxTTL, inboxMax)
}

// The moments themselves are kept by id, pictures filled in and encoded
// without any reader's standing, as circle pages keep their posts: a
// moment reaches the home feeds of all its author's friends, and reading
// its row for each of them was most of a home request's cost. Who may see
// it (blocks, friendship, review) is decided for each request. A moment
// edited, liked, held, deleted or restored is dropped on every node in
// the same transaction; one whose comment count moved, on this node, and
// other nodes catch up within twice momentTTL.
const (
	momentKeyPrefix = "moment:"
	momentTTL       = 30 * time.Second
	momentMax       = 100_000
)

// cachedMoments returns the moments ids name, newest first as ids are,
// from the cache or read; a moment no longer there comes back deleted.
func (s *Service) cachedMoments(ctx context.Context, ids []string) ([]Post, error) {
	out := make([]Post, 0, len(ids))
	for _, id := range ids {
		m, err := s.moments.Load(ctx, id, func(ctx context.Context) (Post, error) {
			ps, err := s.byIDs(ctx, s.db, []string{id})
			if err != nil || len(ps) == 0 {
				return Post{ID: id, Status: Deleted}, err
			}
			if err := s.pictures(ctx, s.db, ps); err != nil {
				return Post{}, err
			}
			ps[0].shared, err = encodeShared(ps[0])
			return ps[0], err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// inboxHead returns the ids of the newest feedDepth+1 moments in a user's
// inbox, newest first.
func (s *Service) inboxHead(ctx context.Context, userID string) ([]string, error) {
	return s.inboxes.Load(ctx, userID, func(ctx context.Context) ([]string, error) {
		return homeIDs(ctx, s.db, userID, nil, "", feedDepth+1)
	})
}

// inboxesChanged marks these users' inbox heads stale once tx commits.
func (s *Service) inboxesChanged(ctx context.Context, tx *store.Tx, userIDs []string) error {
	if s.accounts == nil {
		tx.AfterCommit(func() {
			for _, id := range userIDs {
				s.inboxes.Evict(id)
			}
		})
		return nil
	}
	for lo := 0; lo < len(userIDs); lo += inboxKeyUsers {
		key := inboxKeyPrefix + strings.Join(userIDs[lo:min(lo+inboxKeyUsers, len(userIDs))], ",")
		if err := s.accounts.Invalidate(ctx, tx, key); err != nil {
			return err
		}
	}
	return nil
}

// changed marks post postID's cached copies stale once tx commits: its
// circle's pages, or the moment itself (no circle). On every node when a
// post appeared, changed or went away, or its likes moved (everywhere); on
// this one when only other counts moved.
func (s *Service) changed(ctx context.Context, tx *store.Tx, circleID, postID string, everywhere bool) error {
	if circleID == "" {
		if everywhere && s.accounts != nil {
			return s.accounts.Invalidate(ctx, tx, momentKeyPrefix+postID)
		}
		tx.AfterCommit(func() { s.moments.Evict(postID) })
		return nil
	}
	if everywhere && s.accounts != nil {
		return s.accounts.Invalidate(ctx, tx, feedKeyPrefix+circleID)
	}
	tx.AfterCommit(func() { s.evictFeeds(circleID) })
	return nil
}

// changedPost is changed for a post known by id.
func (s *Service) changedPost(ctx context.Context, tx *store.Tx, postID string) error {
	var circleID string
	err := tx.QueryRow(ctx, `SELECT COALESCE(circle_id, '') FROM posts WHERE id = $1`, postID).Scan(&circleID)
	if err == store.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	return s.changed(ctx, tx, circleID, postID, true)
}

// firstPage returns a circle's first page in a sort, from the cache or
// read in a transaction of its own.
func (s *Service) firstPage(ctx context.Context, circleID, sortBy string) (*feedPage, error) {
	return s.feeds.LoadFrom(ctx, feedKey{circleID, sortBy}, func(ctx context.Context, old *feedPage, ok bool) (*feedPage, error) {
		if ok && s.db.Clock().Sub(old.read) < feedReread {
			return s.recountPage(ctx, old, circleID, sortBy)
		}
		return s.readFirstPage(ctx, circleID, sortBy)
	})
}

// pageOrder is the order of a sort's posts, for a statement whose posts
// table is p.
func pageOrder(sortBy string) string {
	if sortBy == SortHot {
		return `p.hot DESC, p.id DESC`
	}
	return `p.id DESC`
}

// pageHead continues a statement that reads a circle's published posts
// as p: the first page's, and one more (that tells whether there are
// more).
const pageHead = `p.circle_id = $1 AND p.status = 'published' ORDER BY `

func (s *Service) readFirstPage(ctx context.Context, circleID, sortBy string) (*feedPage, error) {
	pg := &feedPage{read: s.db.Clock()}
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		var err error
		pg.posts, err = s.posts(ctx, q, `WHERE `+pageHead+pageOrder(sortBy)+` LIMIT `+itoa(feedDepth+1), circleID)
		if err != nil {
			return err
		}
		if pg.complete = len(pg.posts) <= feedDepth; !pg.complete {
			pg.posts = pg.posts[:feedDepth]
		}
		if sortBy == SortNew {
			if pg.pinned, err = s.pinned(ctx, q, circleID); err != nil {
				return err
			}
		}
		if err := s.pictures(ctx, q, pg.posts); err != nil {
			return err
		}
		if err := s.pictures(ctx, q, pg.pinned); err != nil {
			return err
		}
		return pg.readLikers(ctx, q)
	})
	if err != nil {
		return nil, err
	}
	for _, ps := range [][]Post{pg.posts, pg.pinned} {
		for i := range ps {
			if ps[i].shared, err = encodeShared(ps[i]); err != nil {
				return nil, err
			}
		}
	}
	return pg, nil
}

// counts are a post's figures that move without its page being dropped
// everywhere (a comment or tip on another node), and its place in the
// page.
type counts struct {
	id                        string
	likes, comments, tipCount int
	tipTotal                  int64
	hot                       float64
}

// recountPage returns old brought up to date from its posts' counts: old
// itself when nothing moved, a page with the counts that moved (those
// posts encoded again) when only counts did, and the page read whole when
// its posts, their order or their likes differ.
func (s *Service) recountPage(ctx context.Context, old *feedPage, circleID, sortBy string) (*feedPage, error) {
	var head, pins []counts
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		var err error
		head, err = readCounts(ctx, q, pageHead+pageOrder(sortBy)+` LIMIT `+itoa(feedDepth+1), circleID)
		if err == nil && sortBy == SortNew {
			pins, err = readCounts(ctx, q, pinnedWhere, circleID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if complete := len(head) <= feedDepth; complete != old.complete {
		return s.readFirstPage(ctx, circleID, sortBy)
	}
	posts, ok, err := recounted(old.posts, head[:min(len(head), feedDepth)])
	if err != nil {
		return nil, err
	}
	pinned, pinsOK, err := recounted(old.pinned, pins)
	switch {
	case err != nil:
		return nil, err
	case !ok || !pinsOK:
		return s.readFirstPage(ctx, circleID, sortBy)
	case posts == nil && pinned == nil:
		return old, nil
	}
	pg := *old
	if posts != nil {
		pg.posts = posts
	}
	if pinned != nil {
		pg.pinned = pinned
	}
	return &pg, nil
}

// readCounts reads the counts of posts p where where says, in its order.
func readCounts(ctx context.Context, q store.Querier, where string, args ...any) ([]counts, error) {
	return store.Collect(ctx, q, func(row store.Scanner) (counts, error) {
		var c counts
		err := row.Scan(&c.id, &c.likes, &c.comments, &c.tipCount, &c.tipTotal, &c.hot)
		return c, err
	}, `SELECT p.id, p.like_count, p.comment_count, p.tip_count, p.tip_total, p.hot FROM posts p WHERE `+where, args...)
}

// recounted returns a copy of ps with counts cs, or nil when none moved.
// It is not ok when cs are not of the same posts in the same order, or
// when a like count moved: the page's likers would be stale.
func recounted(ps []Post, cs []counts) (out []Post, ok bool, err error) {
	if len(ps) != len(cs) {
		return nil, false, nil
	}
	for i, c := range cs {
		p := &ps[i]
		if p.ID != c.id || p.Likes != c.likes {
			return nil, false, nil
		}
		tips := TipTotals{c.tipCount, c.tipTotal}
		if p.Comments == c.comments && p.Tips == tips && p.hot == c.hot {
			continue
		}
		if out == nil {
			out = slices.Clone(ps) // readers may be copying ps
		}
		q := &out[i]
		q.Comments, q.Tips, q.hot = c.comments, tips, c.hot
		if q.shared, err = encodeShared(*q); err != nil {
			return nil, false, err
		}
	}
	return out, true, nil
}

// pageLikers bounds the likes a cached page keeps (as user id → post ids,
// about 100 bytes each); a page whose posts have more is served with a
// read of the reader's likes instead.
const pageLikers = 256

// readLikers keeps who liked the page's posts, when they are few.
func (pg *feedPage) readLikers(ctx context.Context, q store.Querier) error {
	var liked []any
	for _, ps := range [][]Post{pg.posts, pg.pinned} {
		for _, p := range ps {
			if p.Likes > 0 {
				liked = append(liked, p.ID)
			}
		}
	}
	pg.likers = map[string][]string{}
	if len(liked) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT post_id, user_id FROM post_likes WHERE post_id IN (`+store.List(len(liked), 1)+`) LIMIT `+itoa(pageLikers+1), liked...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var postID, userID string
		if err := rows.Scan(&postID, &userID); err != nil {
			return err
		}
		pg.likers[userID] = append(pg.likers[userID], postID)
		n++
	}
	if n > pageLikers {
		pg.likers = nil
	}
	return rows.Err()
}

// likedOnPage sets a signed-in reader's standing on posts copied from pg:
// from the page's likers when it kept them, else read.
func (s *Service) likedOnPage(ctx context.Context, a circle.Actor, pg *feedPage, ps []Post) error {
	if a.Anonymous || len(ps) == 0 {
		return nil
	}
	if pg.likers == nil {
		return s.likedBy(ctx, s.db, a, ps)
	}
	for i := range ps {
		liked, _ := pg.liked(a.User.ID, ps[i].ID)
		ps[i].Me = likedOrNot(liked)
	}
	return nil
}

// A feed post's standing is only whether the reader liked it, and nothing
// changes it once set: the posts of a page share these two.
var liked, notLiked = &Standing{Liked: true}, &Standing{}

func likedOrNot(l bool) *Standing {
	if l {
		return liked
	}
	return notLiked
}

// liked reports whether userID liked the page's post postID; known is
// false when the page did not keep its likers (or there is no page).
func (pg *feedPage) liked(userID, postID string) (liked, known bool) {
	if pg == nil || pg.likers == nil {
		return false, false
	}
	return slices.Contains(pg.likers[userID], postID), true
}

// kept copies the first n posts whose authors are not hidden, so that the
// reader's standing can be set on the copies.
func kept(ps []Post, hide map[string]bool, n int) []Post {
	out := reused(min(len(ps), n))
	for i := range ps {
		if len(out) == n {
			break
		}
		if !hide[ps[i].authorID] {
			out = append(out, ps[i])
		}
	}
	return out
}

// The posts of a cached page are copied for each reader, to carry their
// standing: 5 KB or so a request, and most of what a feed request
// allocated. Callers that are done with a page (once it is written) hand
// its posts back with Recycle, for the next page to reuse.
var postSlices sync.Pool

// reused returns an empty slice with room for n posts.
func reused(n int) []Post {
	if ps, ok := postSlices.Get().(*[]Post); ok && cap(*ps) >= n {
		return (*ps)[:0]
	}
	return make([]Post, 0, max(n, store.DefaultLimit+1))
}

// Recycle hands back posts that nothing will read again, such as a page
// once it is written, for a later page to reuse. Every list of posts this
// package returns is the caller's own (never the cache's), so it may be
// handed back.
func Recycle(ps []Post) {
	if cap(ps) == 0 || cap(ps) > 4*feedDepth {
		return
	}
	ps = ps[:cap(ps)]
	clear(ps) // keep nothing alive that the page pointed to
	postSlices.Put(&ps)
}
