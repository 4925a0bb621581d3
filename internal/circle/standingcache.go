package circle

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/policy"
	"github.com/quanzi/quanzi/internal/store"
)

// Every read of a circle by a signed-in user needs their standing in it:
// member or not, their role and mute, a request waiting, a ban. Each node
// keeps, per user, their standing in every circle they have one in, read
// with one statement, so that reading a feed costs no database read for
// it.
//
// Staleness, as for circles' rows (rowcache.go):
//   - Every change of a standing (joining, leaving, a role, a new owner, a
//     request filed or decided, a ban or its lifting, a mute or its end:
//     StandingChanged) marks the user stale in its own transaction: this
//     node drops them once it commits, the other nodes at their next poll
//     of the shared invalidations.
//   - Bans and mutes that end by themselves are compared with the clock at
//     each use.
//   - Writes read standings in their transaction, never from the cache.
const (
	standingTTL     = time.Minute
	standingMax     = 50_000 // users
	standingRowsMax = 1000   // a user with more standings is read each time
	standingKeyName = "standing:"
)

// standings is one user's standing in the circles they have one in.
type standings struct {
	member  map[string]membership // circle id →
	pending map[string]bool
	banned  map[string]*time.Time // until; nil for good
	tooMany bool                  // more than standingRowsMax: read each time
}

type membership struct {
	role       string
	joinedAt   time.Time
	mutedUntil *time.Time
	muteReason string
}

// cachedStandings returns userID's standings from the cache or read in q;
// ok is false when they are too many to keep.
func (s *Service) cachedStandings(ctx context.Context, q store.Querier, userID string) (*standings, bool, error) {
	st, err := s.standings.LoadIn(ctx, q, userID, func(ctx context.Context) (*standings, error) { return readStandings(ctx, q, userID) })
	if err != nil || st.tooMany {
		return nil, false, err
	}
	return st, true, nil
}

// readStandings reads userID's standings with one statement.
func readStandings(ctx context.Context, q store.Querier, userID string) (*standings, error) {
	rows, err := q.Query(ctx, `SELECT 'm', circle_id, role, joined_at, muted_until, mute_reason FROM circle_members WHERE user_id = $1
		UNION ALL SELECT 'r', circle_id, '', NULL, NULL, '' FROM circle_join_requests WHERE user_id = $1 AND status = 'pending'
		UNION ALL SELECT 'b', circle_id, '', NULL, until, '' FROM circle_bans WHERE user_id = $1
		LIMIT `+strconv.Itoa(standingRowsMax+1), userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &standings{member: map[string]membership{}, pending: map[string]bool{}, banned: map[string]*time.Time{}}
	n := 0
	for rows.Next() {
		var kind, circleID string
		var m membership
		var joined, until *time.Time
		if err := rows.Scan(&kind, &circleID, &m.role, &joined, &until, &m.muteReason); err != nil {
			return nil, err
		}
		switch kind {
		case "m":
			m.joinedAt, m.mutedUntil = *joined, until
			st.member[circleID] = m
		case "r":
			st.pending[circleID] = true
		case "b":
			st.banned[circleID] = until
		}
		if n++; n > standingRowsMax {
			return &standings{tooMany: true}, nil
		}
	}
	return st, rows.Err()
}

// StandingChanged marks these users' cached standings stale once tx
// commits, here and (with ShareInvalidations) on every node.
func (s *Service) StandingChanged(ctx context.Context, tx *store.Tx, userIDs ...string) error {
	for _, id := range userIDs {
		if s.inv != nil {
			if err := s.inv.Invalidate(ctx, tx, standingKeyName+id); err != nil {
				return err
			}
			continue
		}
		tx.AfterCommit(func() { s.standings.Evict(id) })
	}
	return nil
}

func (s *Service) watchStandings(inv Invalidator) {
	inv.OnInvalidation(standingKeyName, func(key string) { s.standings.Evict(strings.TrimPrefix(key, standingKeyName)) })
}

// ReadableJoined returns the circles the signed-in actor belongs to and
// may read, from the caches (rows and standings), in no set order; ok is
// false when the actor's standings are too many to cache, and the caller
// reads them (JoinedIDs and Readable).
func (s *Service) ReadableJoined(ctx context.Context, a Actor) (ids []string, ok bool, err error) {
	st, ok, err := s.cachedStandings(ctx, s.db, a.User.ID)
	if err != nil || !ok {
		return nil, false, err
	}
	for id, m := range st.member {
		c, err := s.rowByID(ctx, s.db, id)
		if err == store.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		v := &view{Circle: c, role: m.role, joinedAt: m.joinedAt, mutedUntil: m.mutedUntil, muteReason: m.muteReason}
		if c.ShutAt == nil && s.may(a, v, policy.View) == nil {
			ids = append(ids, id)
		}
	}
	return ids, true, nil
}
