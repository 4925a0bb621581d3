package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

func runLoadSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c seedConfig
	var d dbFlags
	fs := newFlagSet("load seed", `Fill a database with a synthetic community for load tests: --users users
(handles ld0000001 …, all with the password "load-pw"), --circles circles
with members (each user joins a few, popular circles get most), and
--posts posts in them spread over the last 90 days, with likes, comments
and tips counted; friendships (about --friends per user) and --moments
moments among friends over the same days, delivered to the friends' home
feeds (one in twenty for the author alone). Signs --sessions users in
and writes their tokens and the open circles' ids to --out, for "quanzi
load feeds". It writes rows directly, in bulk, so stop any server on the
database first. Only use it on a database of your own.`, stderr)
	d.register(fs)
	fs.IntVar(&c.users, "users", 100_000, "users to create")
	fs.IntVar(&c.circles, "circles", 2_000, "circles to create (one in ten closed)")
	fs.IntVar(&c.posts, "posts", 1_000_000, "posts to create")
	fs.IntVar(&c.friends, "friends", 10, "friends per user, on average")
	fs.IntVar(&c.moments, "moments", 100_000, "moments to create")
	fs.IntVar(&c.sessions, "sessions", 1_000, "users to sign in, for the load tests")
	fs.StringVar(&c.out, "out", "load-seed.json", "where to write the session tokens and circle ids")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if c.users < 10 || c.circles < 1 || c.posts < 0 || c.moments < 0 || c.friends < 0 || c.friends >= c.users/2 || c.sessions < 1 || c.sessions > c.users {
		return fmt.Errorf("%w: --users must be at least 10, --circles and --sessions at least 1, --posts, --moments and --friends at least 0, --friends under half of --users, --sessions at most --users", errUsage)
	}
	db, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return c.run(ctx, db, stdout, stderr)
}

type seedConfig struct {
	users, circles, posts, sessions int
	friends, moments                int
	out                             string
}

// seedFile is what load seed leaves for load feeds.
type seedFile struct {
	Tokens  []string `json:"tokens"`
	Circles []string `json:"circles"` // open ones
}

// seedBatch is how many rows one transaction writes.
const seedBatch = 4096

func (c seedConfig) run(ctx context.Context, db *store.DB, stdout, stderr io.Writer) error {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE handle LIKE 'ld%'`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("this database already has %d load users: seed a fresh one", n)
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	now := db.Now()
	hash, err := account.NewHasher(account.DefaultArgon2, 1).Hash(ctx, "load-pw")
	if err != nil {
		return err
	}

	// Users, made over the last two years, oldest first.
	users := make([]string, c.users)
	err = c.insert(ctx, db, stderr, "users", c.users, `INSERT INTO users (id, handle, display_name, password_hash, role, created_at, updated_at)`, 7,
		func(i int, row []any) {
			at := now.Add(-2 * 365 * 24 * time.Hour).Add(time.Duration(i) * (2 * 365 * 24 * time.Hour / time.Duration(c.users)))
			users[i] = store.NewID(at)
			copy(row, []any{users[i], fmt.Sprintf("ld%07d", i+1), fmt.Sprintf("Load user %d", i+1), hash, "user", at, at})
		})
	if err != nil {
		return err
	}

	// Circles, and who belongs where: each user joins two to eight
	// circles, chosen with a Zipf skew so that a few are crowded.
	type seedCircle struct {
		id, owner string
		closed    bool
		members   []string
		at        time.Time
	}
	circles := make([]seedCircle, c.circles)
	for i := range circles {
		owner := users[rng.IntN(len(users))]
		circles[i] = seedCircle{id: store.NewID(now.Add(-time.Duration(c.circles-i) * time.Minute)), owner: owner, closed: i%10 == 9,
			members: []string{owner}, at: now.Add(-time.Duration(c.circles-i) * time.Minute)}
	}
	zipf := rand.NewZipf(rng, 1.1, 4, uint64(c.circles-1))
	var memberships [][2]string // circle, user
	for _, u := range users {
		seen := map[int]bool{}
		for range 2 + rng.IntN(7) {
			k := int(zipf.Uint64())
			if seen[k] || circles[k].owner == u {
				continue
			}
			seen[k] = true
			circles[k].members = append(circles[k].members, u)
			memberships = append(memberships, [2]string{circles[k].id, u})
		}
	}
	categories := []string{"fitness", "games", "finance", "mother-baby", "pets", "digital", "campus", "white-collar", "travel", "food", "reading", "music", "photography", "local"}
	err = c.insert(ctx, db, stderr, "circles", len(circles), `INSERT INTO circles (id, slug, name, description, category, visibility, owner_id, member_count, created_at, updated_at)`, 10,
		func(i int, row []any) {
			ci := circles[i]
			vis := "open"
			if ci.closed {
				vis = "closed"
			}
			copy(row, []any{ci.id, fmt.Sprintf("load-%d", i+1), fmt.Sprintf("Load circle %d", i+1), "A circle made by quanzi load seed.",
				categories[i%len(categories)], vis, ci.owner, len(ci.members), ci.at, ci.at})
		})
	if err != nil {
		return err
	}
	err = c.insert(ctx, db, stderr, "memberships", len(circles)+len(memberships), `INSERT INTO circle_members (circle_id, user_id, role, joined_at, via)`, 5,
		func(i int, row []any) {
			if i < len(circles) {
				copy(row, []any{circles[i].id, circles[i].owner, "owner", circles[i].at, "created"})
				return
			}
			m := memberships[i-len(circles)]
			copy(row, []any{m[0], m[1], "member", now.Add(-time.Hour), "open"})
		})
	if err != nil {
		return err
	}

	// Posts over the last 90 days, in time order, in circles chosen with
	// the same skew, each by one of its circle's members.
	words := strings.Fields("今天 跑步 咖啡 周末 电影 猫咪 考试 加班 旅行 美食 读书 音乐 the a run coffee weekend movie cat exam overtime trip food book music good morning great new")
	span := 90 * 24 * time.Hour
	err = c.insert(ctx, db, stderr, "posts", c.posts, `INSERT INTO posts (id, circle_id, author_id, audience, body, status, like_count, comment_count, tip_count, tip_total, hot, created_at, updated_at)`, 13,
		func(i int, row []any) {
			at := now.Add(-span).Add(time.Duration(i) * (span / time.Duration(max(c.posts, 1))))
			ci := circles[zipf.Uint64()]
			var b strings.Builder
			for range 8 + rng.IntN(30) {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(' ')
			}
			likes, comments, tips := rng.IntN(20), rng.IntN(6), rng.IntN(3)
			total := int64(tips) * int64(100+rng.IntN(900))
			copy(row, []any{store.NewID(at), ci.id, ci.members[rng.IntN(len(ci.members))], "circle", strings.TrimSpace(b.String()), "published",
				likes, comments, tips, total, post.HotScore(at, likes, comments, tips, total), at, at})
		})
	if err != nil {
		return err
	}

	if err := c.seedFriends(ctx, db, stderr, rng, users, now, words); err != nil {
		return err
	}

	// Sessions for the load tests.
	seed := seedFile{}
	for _, ci := range circles {
		if !ci.closed {
			seed.Circles = append(seed.Circles, ci.id)
		}
	}
	err = c.insert(ctx, db, stderr, "sessions", c.sessions, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)`, 5,
		func(i int, row []any) {
			token, hash := account.NewToken()
			seed.Tokens = append(seed.Tokens, token)
			copy(row, []any{hash, users[rng.IntN(len(users))], now, now, now.Add(30 * 24 * time.Hour)})
		})
	if err != nil {
		return err
	}
	// Fresh statistics for the planner; on PostgreSQL also the visibility
	// map, so index-only scans need not visit a million fresh rows.
	analyze := `ANALYZE`
	if db.Engine == store.Postgres {
		analyze = `VACUUM ANALYZE`
	}
	if _, err := db.Exec(ctx, analyze); err != nil {
		return err
	}
	// SQLite's build here has STAT4: with its samples, every statement
	// whose plan a bound value might change is compiled again each time it
	// runs with new values, and the statement cache is wasted (a quarter
	// of a feed request's CPU went to the parser). Keep the row counts of
	// sqlite_stat1, which choose the same plans, and drop the samples.
	if db.Engine == store.SQLite {
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			if _, err := db.Exec(ctx, `DELETE FROM sqlite_stat4`); err != nil {
				return err
			}
		}
	}
	f, err := os.OpenFile(c.out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(seed); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d users, %d circles (%d open), %d memberships, %d posts, %d moments and %d sessions in %s; tokens and circles in %s\n",
		c.users, c.circles, len(seed.Circles), len(circles)+len(memberships), c.posts, c.moments, c.sessions, time.Since(start).Round(time.Second), c.out)
	return nil
}

// seedFriends makes friends — each user asks friends/2 others at random,
// so the average user has about friends — and moments over the last 90
// days in time order, each by a random user: for friends (17 in 20), in
// public (2 in 20) or for the author alone; delivered, as CreateMoment
// delivers them, to the author's and (unless private) every friend's
// inbox.
func (c seedConfig) seedFriends(ctx context.Context, db *store.DB, stderr io.Writer, rng *rand.Rand, users []string, now time.Time, words []string) error {
	type pair = [2]int32
	var pairs []pair
	seen := map[pair]bool{}
	friends := make([][]int32, len(users))
	for i := range users {
		for range c.friends / 2 {
			j := rng.IntN(len(users) - 1)
			if j >= i {
				j++
			}
			k := pair{int32(min(i, j)), int32(max(i, j))}
			if seen[k] {
				continue
			}
			seen[k] = true
			pairs = append(pairs, k)
			friends[i] = append(friends[i], int32(j))
			friends[j] = append(friends[j], int32(i))
		}
	}
	clear(seen)
	err := c.insert(ctx, db, stderr, "friendships", 2*len(pairs), `INSERT INTO friendships (user_id, friend_id, created_at)`, 3,
		func(i int, row []any) {
			p := pairs[i/2]
			a, b := users[p[0]], users[p[1]]
			if i%2 == 1 {
				a, b = b, a
			}
			copy(row, []any{a, b, now.Add(-100 * 24 * time.Hour)})
		})
	if err != nil {
		return err
	}
	type moment struct {
		id     string
		author int32
		public bool // to friends' inboxes too
	}
	moments := make([]moment, c.moments)
	span := 90 * 24 * time.Hour
	err = c.insert(ctx, db, stderr, "moments", c.moments, `INSERT INTO posts (id, circle_id, author_id, audience, body, status, like_count, comment_count, hot, created_at, updated_at)`, 11,
		func(i int, row []any) {
			at := now.Add(-span).Add(time.Duration(i) * (span / time.Duration(c.moments)))
			m := moment{id: store.NewID(at), author: int32(rng.IntN(len(users))), public: true}
			audience := post.Friends
			switch r := rng.IntN(20); {
			case r < 2:
				audience = post.Public
			case r == 2:
				audience, m.public = post.Private, false
			}
			moments[i] = m
			var b strings.Builder
			for range 4 + rng.IntN(20) {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(' ')
			}
			likes, comments := rng.IntN(10), rng.IntN(4)
			copy(row, []any{m.id, nil, users[m.author], audience, strings.TrimSpace(b.String()), "published",
				likes, comments, post.HotScore(at, likes, comments, 0, 0), at, at})
		})
	if err != nil {
		return err
	}
	type delivery struct{ user, moment int32 }
	var inbox []delivery
	for i, m := range moments {
		inbox = append(inbox, delivery{m.author, int32(i)})
		if m.public {
			for _, f := range friends[m.author] {
				inbox = append(inbox, delivery{f, int32(i)})
			}
		}
	}
	return c.insert(ctx, db, stderr, "moment inboxes", len(inbox), `INSERT INTO moment_inbox (user_id, post_id, author_id)`, 3,
		func(i int, row []any) {
			d := inbox[i]
			m := moments[d.moment]
			copy(row, []any{users[d.user], m.id, users[m.author]})
		})
}

// insert writes n rows of width columns with a progress bar, seedBatch
// rows per transaction, in multi-row statements; fill sets row i.
func (c seedConfig) insert(ctx context.Context, db *store.DB, stderr io.Writer, label string, n int, head string, width int, fill func(i int, row []any)) error {
	bar := newProgress(stderr, label, false)
	defer bar.finish()
	for lo := 0; lo < n; lo += seedBatch {
		hi := min(lo+seedBatch, n)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			// At most 256 rows a statement keeps within both engines'
			// limits on parameters.
			for s := lo; s < hi; s += 256 {
				err := store.Chunks(min(256, hi-s), func(a, b int) error {
					args := make([]any, 0, (b-a)*width)
					row := make([]any, width)
					for i := s + a; i < s+b; i++ {
						fill(i, row)
						args = append(args, row...)
					}
					_, err := tx.Exec(ctx, head+` VALUES `+store.Values(b-a, width, 1), args...)
					return err
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("writing %s: %w", label, err)
		}
		bar.update(hi, n)
	}
	return nil
}
