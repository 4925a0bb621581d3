package circle

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

// Nearly every request about a circle's content — a feed page, a post, a
// tip — starts by reading the circle's row (its rules, tip settings,
// visibility). Rows change rarely, so each node keeps the rows it reads
// outside a write transaction. What is cached is the row only, the same
// for everyone; the reader's membership, role and bans are kept apart, per
// user (standingcache.go).
//
// Staleness:
//   - Every change of a cached column (settings, archive, shutting,
//     members joining or leaving, a new owner) marks the circle stale in
//     its own transaction: this node drops the row once it commits, and
//     the other nodes at their next poll of the shared invalidations (a
//     quarter of a second) when an Invalidator is set.
//   - A row read while anything was dropped is not kept (generation), and
//     no row is kept longer than rowTTL.
//   - Writes read the row in their transaction, never from the cache.
const (
	rowTTL     = 15 * time.Second
	rowMax     = 4096
	rowKeyName = "circle:" // the invalidation key's prefix
)

// Invalidator carries invalidations to every node (account.Service).
type Invalidator interface {
	Invalidate(ctx context.Context, tx *store.Tx, key string) error
	OnInvalidation(prefix string, fn func(key string))
}

type rowCache struct {
	mu     sync.Mutex
	gen    atomic.Uint64 // bumped by every eviction
	byID   map[string]cachedRow
	bySlug map[string]string // slug → id
}

type cachedRow struct {
	c      Circle
	loaded time.Time
}

func newRowCache() *rowCache {
	return &rowCache{byID: map[string]cachedRow{}, bySlug: map[string]string{}}
}

// get returns the circle ref names (an id or a lower-case slug), if kept.
func (rc *rowCache) get(ref string) (Circle, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id := ref
	if byslug, ok := rc.bySlug[ref]; ok {
		id = byslug
	}
	r, ok := rc.byID[id]
	if !ok {
		return Circle{}, false
	}
	if time.Since(r.loaded) > rowTTL {
		rc.drop(id)
		return Circle{}, false
	}
	return r.c, true
}

// put keeps c, read when the generation was gen, unless something was
// dropped since.
func (rc *rowCache) put(gen uint64, c Circle) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.gen.Load() != gen {
		return
	}
	if len(rc.byID) >= rowMax {
		clear(rc.byID)
		clear(rc.bySlug)
	}
	rc.byID[c.ID] = cachedRow{c: c, loaded: time.Now()}
	rc.bySlug[c.Slug] = c.ID
}

func (rc *rowCache) evict(id string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.gen.Add(1)
	rc.drop(id)
}

func (rc *rowCache) drop(id string) {
	if r, ok := rc.byID[id]; ok {
		delete(rc.bySlug, r.c.Slug)
		delete(rc.byID, id)
	}
}

// ShareInvalidations has inv carry this node's invalidations of rows and
// standings to the other nodes, and theirs to this one. Call it before serving.
func (s *Service) ShareInvalidations(inv Invalidator) {
	s.inv = inv
	inv.OnInvalidation(rowKeyName, func(key string) { s.rows.evict(strings.TrimPrefix(key, rowKeyName)) })
	s.watchStandings(inv)
}

// rowChanged marks circle id's cached row stale once tx commits.
func (s *Service) rowChanged(ctx context.Context, tx *store.Tx, id string) error {
	if s.inv != nil {
		return s.inv.Invalidate(ctx, tx, rowKeyName+id)
	}
	tx.AfterCommit(func() { s.rows.evict(id) })
	return nil
}

// row reads the circle ref names (id or slug), from the cache outside a
// write transaction.
func (s *Service) row(ctx context.Context, q store.Querier, ref string) (Circle, error) {
	_, writing := q.(*store.Tx)
	slug := strings.ToLower(ref)
	if !writing {
		if c, ok := s.rows.get(ref); ok {
			return c, nil
		}
		if c, ok := s.rows.get(slug); ok {
			return c, nil
		}
	}
	gen := s.rows.gen.Load()
	c, err := scanCircle(q.QueryRow(ctx, `SELECT `+circleColumns+circleFrom+`WHERE c.id = $1 OR c.slug = $2`, ref, slug))
	if err == nil && !writing {
		s.rows.put(gen, c)
	}
	return c, err
}
