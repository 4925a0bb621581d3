package circle

import (
	"context"
	"strings"
	"sync"
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
//   - A row read while its circle was dropped is not kept, and none is
//     served older than twice rowTTL (store.Cache).
//   - Writes read the row in their transaction, never from the cache.
const (
	rowTTL     = 30 * time.Second
	rowMax     = 4096
	rowKeyName = "circle:" // the invalidation key's prefix
)

// Invalidator carries invalidations to every node (account.Service).
type Invalidator interface {
	Invalidate(ctx context.Context, tx *store.Tx, key string) error
	OnInvalidation(prefix string, fn func(key string))
}

// rowCache keeps circles' rows by id, and which id each slug named when
// last read.
type rowCache struct {
	byID  *store.Cache[string, Circle]
	mu    sync.RWMutex
	slugs map[string]string // lower-case slug → id
}

func newRowCache() *rowCache {
	return &rowCache{byID: store.NewCache[string, Circle](rowTTL, rowMax), slugs: map[string]string{}}
}

// idOf returns the id slug named when last read, if known.
func (rc *rowCache) idOf(slug string) (string, bool) {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	id, ok := rc.slugs[slug]
	return id, ok
}

// named records (id != "") or forgets which circle slug names.
func (rc *rowCache) named(slug, id string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if id == "" {
		delete(rc.slugs, slug)
		return
	}
	if len(rc.slugs) >= rowMax {
		clear(rc.slugs)
	}
	rc.slugs[slug] = id
}

func (rc *rowCache) evict(id string) { rc.byID.Evict(id) }

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

// rowByID reads circle id from the cache, outside a write transaction:
// row for an id the caller took from a membership, without asking whether
// it is a slug.
func (s *Service) rowByID(ctx context.Context, q store.Querier, id string) (Circle, error) {
	return s.rows.byID.LoadIn(ctx, q, id, func(ctx context.Context) (Circle, error) {
		return scanCircle(q.QueryRow(ctx, `SELECT `+circleColumns+circleFrom+`WHERE c.id = $1`, id))
	})
}

// row reads the circle ref names (id or slug), from the cache outside a
// write transaction.
func (s *Service) row(ctx context.Context, q store.Querier, ref string) (Circle, error) {
	slug := strings.ToLower(ref)
	if _, writing := q.(*store.Tx); writing {
		return scanCircle(q.QueryRow(ctx, `SELECT `+circleColumns+circleFrom+`WHERE c.id = $1 OR c.slug = $2`, ref, slug))
	}
	id, bySlug := s.rows.idOf(slug)
	if !bySlug {
		id = ref
	}
	c, err := s.rowByID(ctx, q, id)
	switch {
	case err == nil && (!bySlug || c.Slug == slug):
		return c, nil
	case err != nil && err != store.ErrNoRows:
		return c, err
	}
	// ref is a slug not seen before, or one whose circle took another.
	if c, err = scanCircle(q.QueryRow(ctx, `SELECT `+circleColumns+circleFrom+`WHERE c.slug = $1`, slug)); err != nil {
		s.rows.named(slug, "")
		return c, err
	}
	s.rows.named(slug, c.ID)
	return c, nil
}
