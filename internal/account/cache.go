package account

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

// Every signed-in request needs its principal: the session, the user and
// the user's claims (whose approvals are the verified attributes policies
// read). principalCache keeps them in memory so that a request costs no
// database read, and stays correct:
//
//   - A change that makes a principal stale (sign-out, a disabled account, a
//     new role, a verification decided) writes a row to cache_invalidations
//     in its own transaction, and evicts locally once it commits.
//   - Every node polls cache_invalidations (WatchInvalidations) and evicts
//     what the rows name, so a change made on another node, or by the
//     command line, reaches this one within a poll interval.
//   - A load that raced with an invalidation is not stored (generation).
//   - Entries are reloaded after ttl regardless, a net under all of it.
//
// Expiry is not cached: it is computed from the cached times at each use.
type principalCache struct {
	mu        sync.RWMutex
	byToken   map[string]*cachedPrincipal
	byUser    map[string]map[string]bool // user id → token hashes
	gen       atomic.Uint64              // bumped by every eviction
	ttl       time.Duration
	max       int
	seen      map[string]time.Time // invalidation rows already applied
	lastPoll  time.Time
	pollAhead time.Duration // how far back each poll looks again
}

type cachedPrincipal struct {
	sess     Session
	lastSeen time.Time
	absolute time.Time
	loadedAt time.Time
}

func newPrincipalCache() *principalCache {
	return &principalCache{
		byToken:   map[string]*cachedPrincipal{},
		byUser:    map[string]map[string]bool{},
		seen:      map[string]time.Time{},
		ttl:       time.Minute,
		max:       100_000,
		pollAhead: time.Minute,
	}
}

func (c *principalCache) get(tokenHash string, now time.Time) (cachedPrincipal, bool) {
	c.mu.RLock() // readers never wait for each other
	defer c.mu.RUnlock()
	e, ok := c.byToken[tokenHash]
	if !ok || now.Sub(e.loadedAt) >= c.ttl || now.Before(e.loadedAt) {
		return cachedPrincipal{}, false
	}
	return *e, true
}

// put stores a principal loaded when the generation was gen, unless an
// eviction happened since (the load may have read what it evicted).
func (c *principalCache) put(gen uint64, e cachedPrincipal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if len(c.byToken) >= c.max {
		for h, old := range c.byToken { // evict one arbitrary entry
			c.removeLocked(h, old.sess.User.ID)
			break
		}
	}
	c.byToken[e.sess.TokenHash] = &e
	if c.byUser[e.sess.User.ID] == nil {
		c.byUser[e.sess.User.ID] = map[string]bool{}
	}
	c.byUser[e.sess.User.ID][e.sess.TokenHash] = true
}

// touched records a refreshed last-seen time.
func (c *principalCache) touched(tokenHash string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byToken[tokenHash]; ok {
		e.lastSeen = at
	}
}

func (c *principalCache) removeLocked(tokenHash, userID string) {
	delete(c.byToken, tokenHash)
	if set := c.byUser[userID]; set != nil {
		delete(set, tokenHash)
		if len(set) == 0 {
			delete(c.byUser, userID)
		}
	}
}

// evict drops what key names: "session:<hash>", "user:<id>", or
// "users:<id>,<id>,…".
func (c *principalCache) evict(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	kind, id, _ := strings.Cut(key, ":")
	switch kind {
	case "session":
		if e, ok := c.byToken[id]; ok {
			c.removeLocked(id, e.sess.User.ID)
		}
	case "user":
		c.evictUserLocked(id)
	case "users":
		for id := range strings.SplitSeq(id, ",") {
			c.evictUserLocked(id)
		}
	}
}

func (c *principalCache) evictUserLocked(id string) {
	for h := range c.byUser[id] {
		delete(c.byToken, h)
	}
	delete(c.byUser, id)
}

func (c *principalCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.byToken = map[string]*cachedPrincipal{}
	c.byUser = map[string]map[string]bool{}
}

// invalidate records, inside tx, that key's cached data is stale, and
// evicts it here once tx commits.
func (s *Service) invalidate(ctx context.Context, tx *store.Tx, key string) error {
	_, err := tx.Exec(ctx, `INSERT INTO cache_invalidations (id, cache_key, at) VALUES ($1, $2, $3)`, store.NewID(tx.Now), key, tx.Now)
	if err != nil {
		return err
	}
	tx.AfterCommit(func() { s.evict(key) })
	return nil
}

// Invalidate lets other packages' caches use the same channel: it records
// in tx that key is stale, and once tx commits the function registered
// for key's prefix (OnInvalidation) runs here at once and on every other
// node at its next poll.
func (s *Service) Invalidate(ctx context.Context, tx *store.Tx, key string) error {
	return s.invalidate(ctx, tx, key)
}

// OnInvalidation has fn called with every invalidated key that begins
// with prefix ("feed:" …), instead of the principal cache seeing it.
// Register before serving.
func (s *Service) OnInvalidation(prefix string, fn func(key string)) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.hooks = append(s.hooks, invalidationHook{prefix, fn})
}

type invalidationHook struct {
	prefix string
	fn     func(key string)
}

// evict hands key to the cache that owns it.
func (s *Service) evict(key string) {
	s.hooksMu.Lock()
	hooks := s.hooks
	s.hooksMu.Unlock()
	for _, h := range hooks {
		if strings.HasPrefix(key, h.prefix) {
			h.fn(key)
			return
		}
	}
	s.cache.evict(key)
}

// UsersChanged records in tx that what sessions carry about these users
// (their blocks, say) is stale: their cached sessions are reloaded here
// once tx commits, and on other nodes at their next poll.
func (s *Service) UsersChanged(ctx context.Context, tx *store.Tx, ids ...string) error {
	return s.invalidate(ctx, tx, usersKey(ids))
}

func userKey(id string) string      { return "user:" + id }
func usersKey(ids []string) string  { return "users:" + strings.Join(ids, ",") }
func sessionKey(hash string) string { return "session:" + hash }

// PollInvalidations applies the invalidations other processes wrote since
// the last poll. Each poll looks a minute further back than the last one,
// so a transaction that committed late, or a node whose clock runs behind,
// is not missed; rows already applied are remembered and skipped.
func (s *Service) PollInvalidations(ctx context.Context) error {
	c := s.cache
	c.mu.Lock()
	since := c.lastPoll.Add(-c.pollAhead)
	c.mu.Unlock()
	now := s.db.Now()
	// Ids first: a row's key can be long (a recompute names up to 500
	// users in one), and each poll looks a minute back, so keys are read
	// only for rows not applied yet.
	ids, err := store.Strings(ctx, s.db, `SELECT id FROM cache_invalidations WHERE at > $1`, since)
	if err != nil {
		return err
	}
	c.mu.Lock()
	unseen := make([]any, 0, len(ids))
	for _, id := range ids {
		if _, done := c.seen[id]; !done {
			unseen = append(unseen, id)
		}
	}
	c.mu.Unlock()
	var fresh []string
	err = store.Chunks(len(unseen), func(lo, hi int) error {
		keys, err := store.Strings(ctx, s.db, `SELECT cache_key FROM cache_invalidations WHERE id IN (`+store.List(hi-lo, 1)+`)`, unseen[lo:hi]...)
		fresh = append(fresh, keys...)
		return err
	})
	if err != nil {
		return err
	}
	// The lock is taken only now: requests look up principals under it,
	// and must not wait for the database.
	c.mu.Lock()
	for _, id := range unseen {
		c.seen[id.(string)] = now
	}
	for id, at := range c.seen {
		if now.Sub(at) > 2*c.pollAhead {
			delete(c.seen, id)
		}
	}
	c.lastPoll = now
	c.mu.Unlock()
	for _, key := range fresh {
		s.evict(key)
	}
	return nil
}

// WatchInvalidations polls for invalidations every interval until ctx
// ends. If polling fails for longer than the cache's lifetime, the cache is
// flushed: without news it cannot be trusted.
func (s *Service) WatchInvalidations(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var failingSince time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.PollInvalidations(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			if failingSince.IsZero() {
				failingSince = time.Now()
				log.Warn("polling cache invalidations", "error", err)
			}
			if time.Since(failingSince) > s.cache.ttl {
				s.cache.flush()
			}
			continue
		}
		failingSince = time.Time{}
	}
}
