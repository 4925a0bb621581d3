package post

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

// Feed sorts.
const (
	SortNew = "new"
	SortHot = "hot"
)

func itoa(n int) string { return strconv.Itoa(n) }

// collect reads rows through fetch, keeping those keep accepts, until it
// has limit+1 of them (the extra one tells that more exist) or fetch runs
// dry. Each call of fetch continues where the last one stopped. Lists
// filtered after the database (blocks, rules) use it so that a page is
// full even when many rows are left out; it gives up after maxAfterRuns
// reads, returning what it has.
func collect[T any](limit int, fetch func(n int) ([]T, error), keep func(T) bool) ([]T, error) {
	var out []T
	for range maxAfterRuns {
		want := limit + 1 - len(out)
		got, err := fetch(want)
		if err != nil {
			return nil, err
		}
		for _, t := range got {
			if keep(t) && len(out) <= limit {
				out = append(out, t)
			}
		}
		if len(got) < want || len(out) > limit {
			break
		}
	}
	return out, nil
}

// CirclePage is a page of a circle's feed. The first page of the newest
// posts also carries the pinned ones.
type CirclePage struct {
	Items      []Post `json:"items"`
	Pinned     []Post `json:"pinned,omitempty"`
	NextCursor string `json:"next_cursor"`
}

// CircleFeed lists a circle's published posts, newest first (SortNew) or
// hottest first (SortHot), to those who may read the circle. Posts by
// people the reader blocked, or who blocked the reader, are left out.
func (s *Service) CircleFeed(ctx context.Context, a circle.Actor, ref, sortBy string, p store.Page) (CirclePage, error) {
	if sortBy == "" {
		sortBy = SortNew
	}
	if sortBy != SortNew && sortBy != SortHot {
		return CirclePage{}, errs.Field("sort", "Sort a circle's posts by new or hot, not %q.", errs.Clip(sortBy, 20))
	}
	key := func(p Post) []string { return []string{p.ID} }
	if sortBy == SortHot {
		key = func(p Post) []string { return []string{strconv.FormatFloat(p.hot, 'g', -1, 64), p.ID} }
	}
	// The first page comes from the cache unless blocks left too few.
	if len(p.After) == 0 && p.Limit < feedDepth {
		if out, ok, err := s.cachedFirstPage(ctx, a, ref, sortBy, p, key); ok || err != nil {
			return out, err
		}
	}
	out := CirclePage{Items: []Post{}}
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		cp, err := s.circles.Enter(ctx, q, a, ref)
		if err != nil {
			return err
		}
		if err := cp.May(policy.View); err != nil {
			return err
		}
		hide, err := s.blockedSet(ctx, q, a)
		if err != nil {
			return err
		}
		keep := func(p Post) bool { return !hide[p.authorID] }
		var items []Post
		switch sortBy {
		case SortNew:
			if len(p.After) > 1 {
				return store.BadCursor()
			}
			after := first(p.After)
			items, err = collect(p.Limit, func(n int) ([]Post, error) {
				cond, args := "", []any{cp.ID}
				if after != "" {
					cond, args = ` AND p.id < $2`, append(args, after)
				}
				ps, err := s.posts(ctx, q, `WHERE p.circle_id = $1 AND p.status = 'published'`+cond+` ORDER BY p.id DESC LIMIT `+itoa(n), args...)
				if len(ps) > 0 {
					after = ps[len(ps)-1].ID
				}
				return ps, err
			}, keep)
		case SortHot:
			var hot float64
			var after string
			switch len(p.After) {
			case 0:
			case 2:
				if hot, err = strconv.ParseFloat(p.After[0], 64); err != nil {
					return store.BadCursor()
				}
				after = p.After[1]
			default:
				return store.BadCursor()
			}
			items, err = collect(p.Limit, func(n int) ([]Post, error) {
				cond, args := "", []any{cp.ID}
				if after != "" {
					cond, args = ` AND (p.hot < $2 OR (p.hot = $2 AND p.id < $3))`, append(args, hot, after)
				}
				ps, err := s.posts(ctx, q, `WHERE p.circle_id = $1 AND p.status = 'published'`+cond+` ORDER BY p.hot DESC, p.id DESC LIMIT `+itoa(n), args...)
				if len(ps) > 0 {
					hot, after = ps[len(ps)-1].hot, ps[len(ps)-1].ID
				}
				return ps, err
			}, keep)
		}
		if err != nil {
			return err
		}
		out.Items, out.NextCursor = store.NextCursor(p, items, key)
		if sortBy == SortNew && len(p.After) == 0 {
			pinned, err := s.pinned(ctx, q, cp.ID)
			if err != nil {
				return err
			}
			for _, pp := range pinned {
				if keep(pp) {
					out.Pinned = append(out.Pinned, pp)
				}
			}
			if err := s.fill(ctx, q, a, out.Pinned); err != nil {
				return err
			}
		}
		return s.fill(ctx, q, a, out.Items)
	})
	return out, err
}

// cachedFirstPage serves the first page of a circle's feed from the
// cache, without a transaction: the reader's standing in the circle comes
// from the circles' standings cache, their blocks with their session, and
// their likes with the page when it holds all of its posts' likes. ok is false when blocks
// left the cached posts too few for the page.
func (s *Service) cachedFirstPage(ctx context.Context, a circle.Actor, ref, sortBy string, p store.Page, key func(Post) []string) (out CirclePage, ok bool, err error) {
	cp, err := s.circles.Enter(ctx, s.db, a, ref)
	if err != nil {
		return out, false, err
	}
	if err := cp.May(policy.View); err != nil {
		return out, false, err
	}
	hide, err := s.blockedSet(ctx, s.db, a)
	if err != nil {
		return out, false, err
	}
	pg, err := s.firstPage(ctx, cp.ID, sortBy)
	if err != nil {
		return out, false, err
	}
	items := kept(pg.posts, hide, p.Limit+1)
	if len(items) <= p.Limit && !pg.complete {
		return out, false, nil
	}
	out.Items, out.NextCursor = store.NextCursor(p, items, key)
	if len(pg.pinned) > 0 {
		out.Pinned = kept(pg.pinned, hide, len(pg.pinned))
	}
	if err := s.likedOnPage(ctx, a, pg, out.Pinned); err != nil {
		return out, false, err
	}
	return out, true, s.likedOnPage(ctx, a, pg, out.Items)
}

// pinned reads a circle's pinned posts, the latest pinned first.
func (s *Service) pinned(ctx context.Context, q store.Querier, circleID string) ([]Post, error) {
	return s.posts(ctx, q, `WHERE `+pinnedWhere, circleID)
}

// pinnedWhere selects circle $1's pinned posts as p, the latest pinned
// first.
const pinnedWhere = `p.circle_id = $1 AND p.pinned_at IS NOT NULL AND p.status = 'published' ORDER BY p.pinned_at DESC`

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// posts reads posts with postColumns; where continues the query.
func (s *Service) posts(ctx context.Context, q store.Querier, where string, args ...any) ([]Post, error) {
	return store.Collect(ctx, q, scanPost, `SELECT `+postColumns+postFrom+where, args...)
}

// byIDs reads the posts with these ids, newest first.
func (s *Service) byIDs(ctx context.Context, q store.Querier, ids []string) ([]Post, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.posts(ctx, q, `WHERE p.id IN (`+store.List(len(ids), 1)+`) ORDER BY p.id DESC`, anys(ids)...)
}

// circleChunk bounds the circles one home feed statement reads from.
const circleChunk = 64

// Home is the signed-in reader's home feed, newest first: the posts of the
// circles they belong to and may read, and the moments shared with them,
// merged. Blocks, rules, deletion and review apply on every page.
func (s *Service) Home(ctx context.Context, a circle.Actor, p store.Page) ([]Post, string, error) {
	if a.Anonymous {
		return nil, "", errs.E(errs.Unauthenticated, "Sign in to see your feed.")
	}
	return s.feed(ctx, a, p, true)
}

// Moments is the reader's friends' feed, newest first: the moments shared
// with them (and their own), without circle posts, under the same rules
// as Home.
func (s *Service) Moments(ctx context.Context, a circle.Actor, p store.Page) ([]Post, string, error) {
	if a.Anonymous {
		return nil, "", errs.E(errs.Unauthenticated, "Sign in to see your friends' moments.")
	}
	return s.feed(ctx, a, p, false)
}

// feed reads a page of the home feed, or of moments only.
func (s *Service) feed(ctx context.Context, a circle.Actor, p store.Page, withCircles bool) ([]Post, string, error) {
	if len(p.After) > 1 {
		return nil, "", store.BadCursor()
	}
	if withCircles && len(p.After) == 0 && p.Limit < feedDepth {
		if out, next, ok, err := s.cachedHome(ctx, a, p); ok || err != nil {
			return out, next, err
		}
	}
	var out []Post
	var next string
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		var circles []string
		if withCircles {
			joined, err := circle.JoinedIDs(ctx, q, a.User.ID)
			if err != nil {
				return err
			}
			readable, err := s.circles.Readable(ctx, q, a, joined)
			if err != nil {
				return err
			}
			for _, id := range joined {
				if readable[id] {
					circles = append(circles, id)
				}
			}
		}
		hide, err := s.blockedSet(ctx, q, a)
		if err != nil {
			return err
		}
		friendsOK := map[string]bool{}
		after := first(p.After)
		items, err := collect(p.Limit, func(n int) ([]Post, error) {
			ids, err := homeIDs(ctx, q, a.User.ID, circles, after, n)
			if err != nil || len(ids) == 0 {
				return nil, err
			}
			after = ids[len(ids)-1]
			ps, err := s.byIDs(ctx, q, ids)
			if err != nil {
				return nil, err
			}
			// Moments shared with friends stay visible while the friendship
			// lasts: check each author once.
			var ask []string
			for _, pp := range ps {
				if _, seen := friendsOK[pp.authorID]; !seen && friendsOnly(pp, a.User.ID) {
					friendsOK[pp.authorID] = false
					ask = append(ask, pp.authorID)
				}
			}
			friends, err := social.FriendsAmong(ctx, q, a.User.ID, ask)
			if err != nil {
				return nil, err
			}
			for id := range friends {
				friendsOK[id] = true
			}
			// Posts that vanished between the two reads still count
			// towards n, so that collect reads on.
			for len(ps) < len(ids) {
				ps = append(ps, Post{Status: Deleted})
			}
			return ps, nil
		}, func(pp Post) bool {
			if pp.Status != Published || hide[pp.authorID] {
				return false
			}
			return pp.circleID != "" || pp.Audience != Friends || pp.authorID == a.User.ID || friendsOK[pp.authorID]
		})
		if err != nil {
			return err
		}
		out, next, err = s.page(ctx, q, a, p, items)
		return err
	})
	return out, next, err
}

// cachedHome serves the first page of the home feed from the circles'
// cached first pages and the reader's newest moments, merged. ok is false
// when that might not be exact — a circle's cached posts, or the moments
// read, ran out (blocks or hidden moments left them short) while the page
// still had room — and the caller reads the page.
func (s *Service) cachedHome(ctx context.Context, a circle.Actor, p store.Page) (out []Post, next string, ok bool, err error) {
	circles, ok, err := s.circles.ReadableJoined(ctx, a)
	if err != nil || !ok {
		return nil, "", false, err
	}
	hide, err := s.blockedSet(ctx, s.db, a)
	if err != nil {
		return nil, "", false, err
	}
	// Each stream is newest first; the page takes the newest head of any
	// until it is full.
	streams := make([]homeStream, 0, len(circles)+1)
	for _, id := range circles {
		pg, err := s.firstPage(ctx, id, SortNew)
		if err != nil {
			return nil, "", false, err
		}
		streams = append(streams, homeStream{posts: pg.posts, complete: pg.complete, pg: pg})
		streams[len(streams)-1].pass(hide)
	}
	moments, complete, err := s.newestMoments(ctx, a, hide, p.Limit+1)
	if err != nil {
		return nil, "", false, err
	}
	streams = append(streams, homeStream{posts: moments, complete: complete})
	streams[len(streams)-1].pass(hide)
	page := reused(p.Limit + 1)
	var from []*feedPage // the page each post came from; nil for a moment
	for len(page) <= p.Limit {
		best := -1
		for j := range streams {
			st := &streams[j]
			if st.next == len(st.posts) {
				if !st.complete {
					return nil, "", false, nil // what it did not keep may belong here
				}
				continue
			}
			if best < 0 || st.posts[st.next].ID > streams[best].posts[streams[best].next].ID {
				best = j
			}
		}
		if best < 0 {
			break
		}
		st := &streams[best]
		page, from = append(page, st.posts[st.next]), append(from, st.pg)
		st.next++
		st.pass(hide)
	}
	out, next = store.NextCursor(p, page, func(pp Post) []string { return []string{pp.ID} })
	// The reader's likes: from the pages' likers where they kept them,
	// else read.
	var rest []Post
	var restAt []int
	for i := range out {
		if l, known := from[i].liked(a.User.ID, out[i].ID); known {
			out[i].Me = likedOrNot(l)
		} else {
			rest, restAt = append(rest, out[i]), append(restAt, i)
		}
	}
	if err := s.likedBy(ctx, s.db, a, rest); err != nil {
		return nil, "", false, err
	}
	for j, i := range restAt {
		out[i] = rest[j]
	}
	return out, next, true, nil
}

// homeStream is one source of a merged home page: a circle's cached
// posts, or the reader's moments, newest first.
type homeStream struct {
	posts    []Post
	next     int
	complete bool      // posts holds every post of the source
	pg       *feedPage // nil for moments
}

// pass moves the stream's head past the posts of authors the reader
// blocked or was blocked by.
func (st *homeStream) pass(hide map[string]bool) {
	if len(hide) == 0 {
		return
	}
	for st.next < len(st.posts) && hide[st.posts[st.next].authorID] {
		st.next++
	}
}

// newestMoments returns the newest n moments in the reader's inbox that
// they may see; complete is false when older ones may have been left out.
func (s *Service) newestMoments(ctx context.Context, a circle.Actor, hide map[string]bool, n int) (out []Post, complete bool, err error) {
	ids, err := s.inboxHead(ctx, a.User.ID)
	if err != nil {
		return nil, false, err
	}
	complete = len(ids) <= n
	ids = ids[:min(len(ids), n)]
	if len(ids) == 0 {
		return nil, true, nil
	}
	moments, err := s.cachedMoments(ctx, ids)
	if err != nil {
		return nil, false, err
	}
	var authors []string
	for _, m := range moments {
		if friendsOnly(m, a.User.ID) && !slices.Contains(authors, m.authorID) {
			authors = append(authors, m.authorID)
		}
	}
	friends, err := social.FriendsAmong(ctx, s.db, a.User.ID, authors)
	if err != nil {
		return nil, false, err
	}
	out = moments[:0] // cachedMoments's own copies
	for _, m := range moments {
		if m.Status == Published && !hide[m.authorID] && (!friendsOnly(m, a.User.ID) || friends[m.authorID]) {
			out = append(out, m)
		}
	}
	// Moments left out here leave room for older ones, which only a read
	// of the whole feed finds.
	return out, complete || len(out) == len(ids), nil
}

// friendsOnly says whether reader may see moment p only while a friend of
// its author.
func friendsOnly(p Post, reader string) bool {
	return p.circleID == "" && p.Audience == Friends && p.authorID != reader
}

// homeIDs returns the ids of the newest n posts before after (all, when
// empty) from the circles and the user's moment inbox, newest first.
func homeIDs(ctx context.Context, q store.Querier, userID string, circles []string, after string, n int) ([]string, error) {
	var ids []string
	read := func(query string, args ...any) error {
		more, err := store.Strings(ctx, q, query, args...)
		ids = append(ids, more...)
		return err
	}
	cond := func(col string, ph int) string {
		if after == "" {
			return ""
		}
		return ` AND ` + col + ` < $` + itoa(ph)
	}
	lim := ` LIMIT ` + itoa(n)
	args := []any{userID}
	if after != "" {
		args = append(args, after)
	}
	if err := read(`SELECT post_id FROM moment_inbox WHERE user_id = $1`+cond("post_id", 2)+` ORDER BY post_id DESC`+lim, args...); err != nil {
		return nil, err
	}
	for lo := 0; lo < len(circles); lo += circleChunk {
		chunk := circles[lo:min(lo+circleChunk, len(circles))]
		var parts []string
		args := []any{}
		if after != "" {
			args = append(args, after)
		}
		for _, id := range chunk {
			args = append(args, id)
			parts = append(parts, `SELECT id FROM (SELECT p.id FROM posts p WHERE p.circle_id = $`+itoa(len(args))+
				` AND p.status = 'published'`+cond("p.id", 1)+` ORDER BY p.id DESC`+lim+`) c`+itoa(len(args)))
		}
		if err := read(strings.Join(parts, ` UNION ALL `)+` ORDER BY 1 DESC`+lim, args...); err != nil {
			return nil, err
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	if len(ids) > n {
		ids = ids[:n]
	}
	return ids, nil
}

// ByAuthor lists one user's posts that the reader may see, newest first:
// moments shared with them and posts in circles they may read. Authors see
// their own posts in review too.
func (s *Service) ByAuthor(ctx context.Context, a circle.Actor, handle string, p store.Page) ([]Post, string, error) {
	if len(p.After) > 1 {
		return nil, "", store.BadCursor()
	}
	var out []Post
	var next string
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		author, err := s.accounts.UserByHandle(ctx, q, handle)
		if err != nil {
			return err
		}
		self := !a.Anonymous && a.User.ID == author.ID
		if !a.Anonymous && !self {
			if blocked, err := s.blocked(ctx, q, a.User.ID, author.ID); err != nil || blocked {
				out = []Post{}
				return err
			}
		}
		statuses := `p.status = 'published'`
		if self {
			statuses = `p.status IN ('published', 'held', 'rejected')`
		}
		readable := map[string]bool{}
		after := first(p.After)
		items, err := collect(p.Limit, func(n int) ([]Post, error) {
			cond, args := "", []any{author.ID}
			if after != "" {
				cond, args = ` AND p.id < $2`, append(args, after)
			}
			ps, err := s.posts(ctx, q, `WHERE p.author_id = $1 AND `+statuses+cond+` ORDER BY p.id DESC LIMIT `+itoa(n), args...)
			if err != nil || len(ps) == 0 {
				return ps, err
			}
			after = ps[len(ps)-1].ID
			var unknown []string
			for _, pp := range ps {
				if _, ok := readable[pp.circleID]; pp.circleID != "" && !ok {
					unknown = append(unknown, pp.circleID)
					readable[pp.circleID] = false
				}
			}
			more, err := s.circles.Readable(ctx, q, a, unknown)
			if err != nil {
				return nil, err
			}
			for id, ok := range more {
				readable[id] = ok
			}
			for i := range ps {
				if ps[i].circleID != "" {
					continue
				}
				ok, err := s.mayReadMoment(ctx, q, a, &ps[i])
				if err != nil {
					return nil, err
				}
				if !ok {
					ps[i].Status = Deleted // not for this reader
				}
			}
			return ps, nil
		}, func(pp Post) bool {
			if pp.Status == Deleted {
				return false
			}
			return pp.circleID == "" || readable[pp.circleID]
		})
		if err != nil {
			return err
		}
		out, next, err = s.page(ctx, q, a, p, items)
		return err
	})
	return out, next, err
}

// page ends a list of posts kept by collect: at most p.Limit of them, the
// cursor after the last (by id), and their pictures and the reader's likes.
func (s *Service) page(ctx context.Context, q store.Querier, a circle.Actor, p store.Page, items []Post) ([]Post, string, error) {
	out, next := store.NextCursor(p, items, func(p Post) []string { return []string{p.ID} })
	if out == nil {
		out = []Post{}
	}
	return out, next, s.fill(ctx, q, a, out)
}
