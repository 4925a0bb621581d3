package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

// crockford is Crockford's base32 alphabet in lower case: no i, l, o or u,
// so ids read aloud or copied by hand are not mistaken.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns a new 26-character id: 48 bits of milliseconds since the
// epoch then 80 random bits. Ids sort by creation time, so they serve as
// keyset cursors, and cannot be guessed.
func NewID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("store: the system random source failed: " + err.Error())
	}
	return encodeID(b)
}

// FirstID returns the smallest id NewID can make at t: every id made at t
// or later sorts at or after it.
func FirstID(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(max(t.UnixMilli(), 0))<<16)
	return encodeID(b)
}

func encodeID(b [16]byte) string {
	// 128 bits in 26 base32 digits: the first digit carries 3 bits.
	var out [26]byte
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// Page asks for one page of a list: the items after Cursor, at most Limit.
type Page struct {
	After []string // the sort key of the last item already seen; empty for the first page
	Limit int
}

// Page size bounds.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// ParsePage reads the ?cursor=&limit= query parameters.
func ParsePage(cursor, limit string) (Page, error) {
	p := Page{Limit: DefaultLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return p, &errs.Error{Code: errs.Invalid, Field: "limit", Message: "limit must be a whole number from 1 to 100."}
		}
		p.Limit = n
	}
	if cursor == "" {
		return p, nil
	}
	bad := BadCursor()
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) > 1024 || len(raw) <= macSize {
		return p, bad
	}
	body, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(mac, cursorMAC(cursorKey.Load(), body)) {
		return p, bad // made by someone else, or changed since
	}
	if err := json.Unmarshal(body, &p.After); err != nil || len(p.After) == 0 {
		return p, bad
	}
	return p, nil
}

// Cursor makes the cursor that continues after an item with this sort key:
// the key, signed, so that a cursor changed by hand is refused rather than
// followed.
func Cursor(key ...string) string {
	b, _ := json.Marshal(key)
	k := cursorKey.Load()
	slot := &madeCursors[maphash.Bytes(cursorSeed, b)%uint64(len(madeCursors))]
	if m := slot.Load(); m != nil && m.key == k && m.sortKey == string(b) {
		return m.cursor
	}
	c := base64.RawURLEncoding.EncodeToString(append(b, cursorMAC(k, b)...))
	slot.Store(&madeCursor{key: k, sortKey: string(b), cursor: c})
	return c
}

// madeCursors remembers cursors lately made, by the hash of their sort key:
// every reader of a circle's first page is handed the same cursor until the
// page changes, and signing it each time was about 4% of a feed request's
// CPU. Twice as many slots as a node keeps feed pages (feedMaxPages), so
// that few of the pages in use share one.
var madeCursors [8192]atomic.Pointer[madeCursor]

var cursorSeed = maphash.MakeSeed()

type madeCursor struct {
	key     *[]byte // the secret it was signed with
	sortKey string
	cursor  string
}

// macSize is how much of a cursor's HMAC-SHA256 it carries: 96 bits.
const macSize = 12

// cursorKey signs cursors. Every node must use the same key, so serve
// loads it from the database (LoadSecrets); until then a random one
// serves a single process.
var cursorKey atomic.Pointer[[]byte]

func init() {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("store: the system random source failed: " + err.Error())
	}
	cursorKey.Store(&k)
}

// macs recycles HMAC states, each with the key it was made with: making
// one per cursor was most of a cursor's cost.
var macs sync.Pool

type keyedMAC struct {
	key *[]byte
	h   hash.Hash
}

func cursorMAC(k *[]byte, b []byte) []byte {
	m, _ := macs.Get().(*keyedMAC)
	if m == nil || m.key != k {
		m = &keyedMAC{k, hmac.New(sha256.New, *k)}
	}
	m.h.Reset()
	m.h.Write(b)
	sum := m.h.Sum(nil)[:macSize]
	macs.Put(m)
	return sum
}

// LoadSecrets reads the server-wide secrets from the database, making them
// on first use, so that every node signs cursors alike and cursors stay
// good across restarts.
func (db *DB) LoadSecrets(ctx context.Context) error {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return err
	}
	var val string
	err := db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO server_secrets (name, value, created_at) VALUES ('cursor', $1, $2) ON CONFLICT (name) DO NOTHING`,
			hex.EncodeToString(fresh), tx.Now); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT value FROM server_secrets WHERE name = 'cursor'`).Scan(&val)
	})
	if err != nil {
		return err
	}
	k, err := hex.DecodeString(val)
	if err != nil || len(k) < 16 {
		return fmt.Errorf("the stored cursor secret is damaged")
	}
	cursorKey.Store(&k)
	return nil
}

// NextCursor returns the cursor for the page after items, or "" when items
// is the last page. Callers fetch Limit+1 rows; the extra row only tells
// that more exist and is dropped.
func NextCursor[T any](p Page, items []T, key func(T) []string) ([]T, string) {
	if len(items) <= p.Limit {
		return items, ""
	}
	items = items[:p.Limit]
	return items, Cursor(key(items[len(items)-1])...)
}

// Micros formats a time as the decimal microseconds used in sort keys.
func Micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// ParseMicros reads a time written by Micros.
func ParseMicros(s string) (time.Time, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, BadCursor()
	}
	return time.UnixMicro(n).UTC(), nil
}

// BadCursor is the refusal of a cursor this server did not make.
func BadCursor() error {
	return errs.E(errs.InvalidCursor, "The cursor is not one this server gave out; start again from the first page.")
}

// AfterTime reads a cursor whose sort key is a time (see Micros) and a
// tie-breaker, as most lists have: ok is false on the first page.
func (p Page) AfterTime() (at time.Time, key string, ok bool, err error) {
	switch len(p.After) {
	case 0:
		return time.Time{}, "", false, nil
	case 2:
		at, err := ParseMicros(p.After[0])
		return at, p.After[1], err == nil, err
	}
	return time.Time{}, "", false, BadCursor()
}
