package api

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/wallet"
)

// The first page of a circle's feed is served from memory (post's feed
// cache). Every change must show on the next read: each step below reads
// the feed first, so that the page is cached when the change is made.
func TestCircleFeedShowsEveryChangeAtOnce(t *testing.T) {
	e := newEnv(t)
	owner, mei, lin := e.user("owner", account.RoleUser), e.user("mei", account.RoleUser), e.user("lin", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Busy"})
	e.join(mei, c)
	e.join(lin, c)
	feed := func(tok, query string) response {
		t.Helper()
		return e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/posts" + query, token: tok}, 200)
	}
	want := func(tok string, wantIDs ...string) response {
		t.Helper()
		r := feed(tok, "")
		if fmt.Sprint(ids(r)) != fmt.Sprint(wantIDs) {
			t.Fatalf("feed %v, want %v: %s", ids(r), wantIDs, r.body)
		}
		return r
	}
	a := e.postIn(owner, c, map[string]any{"text": "first"})
	b := e.postIn(mei, c, map[string]any{"text": "second"})
	want(lin, b, a)

	// A new post.
	x := e.postIn(owner, c, map[string]any{"text": "third"})
	want(lin, x, b, a)

	// A like: the count for everyone, and the liker's own standing.
	e.ok(req{method: "POST", path: "/api/v1/posts/" + a + "/like", token: lin}, 200)
	r := want(lin, x, b, a)
	got := r.json["items"].([]any)[2].(map[string]any)
	if got["likes"] != float64(1) || got["me"].(map[string]any)["liked"] != true {
		t.Fatalf("after a like: %v", got)
	}
	r = want(mei, x, b, a)
	if got := r.json["items"].([]any)[2].(map[string]any); got["likes"] != float64(1) || got["me"].(map[string]any)["liked"] != false {
		t.Fatalf("someone else's like is not mine: %v", got)
	}

	// An edit.
	e.ok(req{method: "PATCH", path: "/api/v1/posts/" + b, token: mei, body: map[string]any{"text": "second, better"}}, 200)
	if r := want(lin, x, b, a); r.json["items"].([]any)[1].(map[string]any)["text"] != "second, better" {
		t.Fatalf("after an edit: %s", r.body)
	}

	// A pin, and back.
	e.ok(req{method: "PUT", path: "/api/v1/posts/" + a + "/pin", token: owner}, 200)
	if r := want(lin, x, b, a); len(r.json["pinned"].([]any)) != 1 || r.json["pinned"].([]any)[0].(map[string]any)["id"] != a {
		t.Fatalf("after pinning: %s", r.body)
	}
	e.ok(req{method: "DELETE", path: "/api/v1/posts/" + a + "/pin", token: owner}, 200)
	if r := want(lin, x, b, a); r.json["pinned"] != nil {
		t.Fatalf("after unpinning: %s", r.body)
	}

	// A block hides the blocked author from the blocker only.
	e.ok(req{method: "PUT", path: "/api/v1/blocks/mei", token: lin}, 200)
	want(lin, x, a)
	want(owner, x, b, a)
	e.ok(req{method: "DELETE", path: "/api/v1/blocks/mei", token: lin}, 204)

	// A deletion.
	e.ok(req{method: "DELETE", path: "/api/v1/posts/" + x, token: owner}, 204)
	want(lin, b, a)
	want(mei, b, a)

	// Hot order follows the counts.
	if r := feed(lin, "?sort=hot"); ids(r)[0] != a {
		t.Fatalf("the liked post leads the hot feed: %v", ids(r))
	}
	e.ok(req{method: "POST", path: "/api/v1/posts/" + b + "/like", token: lin}, 200)
	e.ok(req{method: "POST", path: "/api/v1/posts/" + b + "/like", token: owner}, 200)
	if r := feed(lin, "?sort=hot"); ids(r)[0] != b {
		t.Fatalf("two likes take the lead in the hot feed: %v", ids(r))
	}

	// A page smaller than the cached one has its cursor, and the next
	// page (read from the database) follows on.
	p1 := feed(lin, "?limit=1")
	next, _ := p1.json["next_cursor"].(string)
	p2 := feed(lin, "?limit=1&cursor="+next)
	if fmt.Sprint(ids(p1), ids(p2)) != fmt.Sprint([]string{b}, []string{a}) {
		t.Fatalf("pages of one: %v then %v", ids(p1), ids(p2))
	}
}

// A held post enters the cached feed when a moderator approves it.
func TestCircleFeedShowsAnApprovedPost(t *testing.T) {
	e := newEnv(t)
	owner, mei := e.user("owner", account.RoleUser), e.user("mei", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Careful", "review": "all"})
	e.join(mei, c)
	mine := e.postIn(owner, c, map[string]any{"text": "the owner's own"})
	held := e.postIn(mei, c, map[string]any{"text": "waits"})
	if got := ids(e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: mei}, 200)); fmt.Sprint(got) != fmt.Sprint([]string{mine}) {
		t.Fatalf("before review: %v", got)
	}
	q := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/review", token: owner}, 200)
	item := q.json["items"].([]any)[0].(map[string]any)["id"].(string)
	e.ok(req{method: "POST", path: "/api/v1/review/" + item + "/approve", token: owner}, 200)
	if got := ids(e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: mei}, 200)); fmt.Sprint(got) != fmt.Sprint([]string{held, mine}) {
		t.Fatalf("after approval: %v", got)
	}
}

// node is a second node on e's database: its own services and caches,
// sharing invalidations as serve wires them.
type node struct {
	t        testing.TB
	accounts *account.Service
	circles  *circle.Service
	posts    *post.Service
}

func (e *env) secondNode() node {
	accounts := account.New(e.db, account.NewHasher(testArgon2, 1), account.DefaultConfig)
	circles := circle.New(e.db)
	circles.ShareInvalidations(accounts)
	return node{t: e.t, accounts: accounts, circles: circles, posts: post.New(e.db, circles, accounts, wallet.New(e.db, accounts, wallet.NewSandbox(e.db)))}
}

// actor is the signed-in user of token, as this node sees them now.
func (n node) actor(token string) circle.Actor {
	n.t.Helper()
	sess, err := n.accounts.Authenticate(context.Background(), token)
	if err != nil {
		n.t.Fatal(err)
	}
	return circle.ActorOf(sess)
}

// poll applies the invalidations other nodes wrote since the last poll.
func (n node) poll() {
	n.t.Helper()
	if err := n.accounts.PollInvalidations(context.Background()); err != nil {
		n.t.Fatal(err)
	}
}

// feed reads the first page of circle c's newest posts as token's user.
func (n node) feed(token, c string) []post.Post {
	n.t.Helper()
	pg, err := n.posts.CircleFeed(context.Background(), n.actor(token), c, post.SortNew, store.Page{Limit: store.DefaultLimit})
	if err != nil {
		n.t.Fatal(err)
	}
	return pg.Items
}

// A circle keeps its newest 50 posts. When the reader's blocks hide most
// of them, the merged page would run out of that circle's posts while
// older ones, not kept, belong on it: the page must then be read from the
// database, and be what the database gives.
func TestAHomePageWhoseCircleRanOutOfKeptPostsIsReadFromTheDatabase(t *testing.T) {
	e := newEnv(t)
	mei, lin, loud := e.user("mei", account.RoleUser), e.user("lin", account.RoleUser), e.user("loud", account.RoleUser)
	c := e.circle(lin, map[string]any{"name": "Crowded"})
	e.join(mei, c)
	e.join(loud, c)
	for i := range 10 {
		e.postIn(lin, c, map[string]any{"text": fmt.Sprint("older ", i)})
	}
	for i := range 48 { // the newest 50 hold 2 of lin's and 48 of these
		e.postIn(loud, c, map[string]any{"text": fmt.Sprint("loud ", i)})
	}
	e.ok(req{method: "PUT", path: "/api/v1/blocks/loud", token: mei}, 200)
	feed := func(limit int) []string {
		t.Helper()
		var texts []string
		for _, p := range e.ok(req{method: "GET", path: fmt.Sprint("/api/v1/feed?limit=", limit), token: mei}, 200).json["items"].([]any) {
			texts = append(texts, p.(map[string]any)["text"].(string))
		}
		return texts
	}
	read := feed(50) // from the database
	if len(read) != 10 || strings.Contains(strings.Join(read, ","), "loud") {
		t.Fatalf("the database gives %v; want lin's 10 posts", read)
	}
	for range 2 { // the first time loads the circle's page, the second reads it
		if got := feed(5); !slices.Equal(got, read[:5]) {
			t.Fatalf("the first page of 5 is %v; want %v, the database's (blocks left the kept posts short)", got, read[:5])
		}
	}
}

// home reads the first page of token's user's home feed.
func (n node) home(token string) []post.Post {
	n.t.Helper()
	items, _, err := n.posts.Home(context.Background(), n.actor(token), store.Page{Limit: store.DefaultLimit})
	if err != nil {
		n.t.Fatal(err)
	}
	return items
}

// Each node keeps the head of every reader's moment inbox. A new moment
// reaches its readers' home feeds at once on the node that wrote it, and
// on another node at its next poll; so do its author's own.
func TestANewMomentReachesItsReadersHomeFeedsOnEveryNode(t *testing.T) {
	e := newEnv(t)
	mei, lin := e.user("mei", account.RoleUser), e.user("lin", account.RoleUser)
	e.befriend(mei, lin, "lin")
	c := e.circle(lin, map[string]any{"name": "Quiet"})
	e.join(mei, c)
	e.postIn(lin, c, map[string]any{"text": "in the circle"})
	nb := e.secondNode()
	home := func(token string) []any {
		t.Helper()
		return e.ok(req{method: "GET", path: "/api/v1/feed", token: token}, 200).json["items"].([]any)
	}
	for _, who := range []string{mei, lin} { // both nodes keep both inboxes
		if n := len(home(who)); n != 1 {
			t.Fatalf("home feed before the moment: %d posts, want 1", n)
		}
		if n := len(nb.home(who)); n != 1 {
			t.Fatalf("node B's home feed before the moment: %d posts, want 1", n)
		}
	}

	m := e.ok(req{method: "POST", path: "/api/v1/moments", token: lin, body: map[string]any{"text": "a walk"}}, 201).json["id"]
	for _, who := range []string{mei, lin} {
		if got := home(who); len(got) != 2 || got[0].(map[string]any)["id"] != m {
			t.Fatalf("this node's home feed after the moment: %v; want the moment first", got)
		}
	}
	nb.poll()
	for _, who := range []string{mei, lin} {
		if got := nb.home(who); len(got) != 2 || got[0].ID != m {
			t.Fatalf("node B's home feed after its poll: %d posts; want 2, the moment first", len(got))
		}
	}
}

// Moments are kept by id on each node: an edit, a like and a deletion
// reach the home feed at once on the node that made them, and on another
// node sharing the database at its next poll of the invalidations.
func TestAMomentEditedLikedAndDeletedChangesEveryNodesHomeFeed(t *testing.T) {
	e := newEnv(t)
	mei, lin := e.user("mei", account.RoleUser), e.user("lin", account.RoleUser)
	e.befriend(mei, lin, "lin")
	m := e.ok(req{method: "POST", path: "/api/v1/moments", token: lin, body: map[string]any{"text": "a walk"}}, 201).json["id"].(string)
	nb := e.secondNode()
	nb.poll()
	// shows returns the moment as each node's home feed shows it to mei.
	shows := func() (a, b string) {
		t.Helper()
		for _, p := range e.ok(req{method: "GET", path: "/api/v1/feed", token: mei}, 200).json["items"].([]any) {
			if p := p.(map[string]any); p["id"] == m {
				a = fmt.Sprint(p["text"], " likes ", p["likes"])
			}
		}
		for _, p := range nb.home(mei) {
			if p.ID == m {
				b = fmt.Sprint(p.Text, " likes ", p.Likes)
			}
		}
		return a, b
	}
	if a, b := shows(); a != "a walk likes 0" || b != a {
		t.Fatalf("before: node A shows %q, node B %q", a, b)
	}
	e.ok(req{method: "PATCH", path: "/api/v1/posts/" + m, token: lin, body: map[string]any{"text": "a long walk"}}, 200)
	e.ok(req{method: "POST", path: "/api/v1/posts/" + m + "/like", token: mei}, 200)
	if a, _ := shows(); a != "a long walk likes 1" {
		t.Fatalf("node A after the edit and the like: %q", a)
	}
	nb.poll()
	if _, b := shows(); b != "a long walk likes 1" {
		t.Fatalf("node B after its poll: %q", b)
	}
	e.ok(req{method: "DELETE", path: "/api/v1/posts/" + m, token: lin}, 204)
	if a, _ := shows(); a != "" {
		t.Fatalf("node A after the deletion still shows %q", a)
	}
	nb.poll()
	if _, b := shows(); b != "" {
		t.Fatalf("node B after its poll still shows the deleted moment: %q", b)
	}
}

// ownerAndMember returns the tokens of a circle's owner and of a member,
// and the circle.
func (e *env) ownerAndMember() (owner, member, circle string) {
	owner, member = e.user("owner", account.RoleUser), e.user("mei", account.RoleUser)
	circle = e.circle(owner, map[string]any{"name": "Busy"})
	e.join(member, circle)
	return owner, member, circle
}

// Another node sharing the database learns of a deletion at its next
// poll of the invalidations, as it learns of a sign-out.
func TestCircleFeedOnAnotherNodeDropsADeletedPost(t *testing.T) {
	e := newEnv(t)
	owner, mei, c := e.ownerAndMember()
	a := e.postIn(owner, c, map[string]any{"text": "stays"})
	gone := e.postIn(owner, c, map[string]any{"text": "goes"})

	b := e.secondNode()
	readB := func() []string {
		t.Helper()
		var out []string
		for _, p := range b.feed(mei, c) {
			out = append(out, p.ID)
		}
		return out
	}
	if got := readB(); fmt.Sprint(got) != fmt.Sprint([]string{gone, a}) {
		t.Fatalf("node B before: %v", got)
	}
	b.poll() // what was written before: applied
	readB()
	e.ok(req{method: "DELETE", path: "/api/v1/posts/" + gone, token: owner}, 204)
	if got := ids(e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/posts", token: mei}, 200)); fmt.Sprint(got) != fmt.Sprint([]string{a}) {
		t.Fatalf("node A after the deletion: %v", got)
	}
	b.poll()
	if got := readB(); fmt.Sprint(got) != fmt.Sprint([]string{a}) {
		t.Fatalf("node B after its poll still shows the deleted post: %v", got)
	}
}

// A circle's row is cached on each node: closing the circle hides it from
// outsiders at once on the node that closed it, and on another node
// sharing the database at its next poll of the invalidations.
func TestACircleClosedOnOneNodeIsHiddenOnAnotherAfterItsPoll(t *testing.T) {
	e := newEnv(t)
	owner, lin := e.user("owner", account.RoleUser), e.user("lin", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Soon closed"})

	b := e.secondNode()
	b.poll() // what was written before: applied
	getB := func() error {
		_, err := b.circles.Get(context.Background(), b.actor(lin), c)
		return err
	}
	if err := getB(); err != nil {
		t.Fatalf("node B before: %v", err)
	}
	e.ok(req{method: "GET", path: "/api/v1/circles/" + c, token: lin}, 200)
	e.ok(req{method: "PATCH", path: "/api/v1/circles/" + c, token: owner, body: map[string]any{"visibility": "closed"}}, 200)
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/circles/" + c, token: lin}), 404, "not_found")
	b.poll()
	if err := getB(); !errs.Is(err, errs.NotFound) {
		t.Fatalf("node B after its poll: %v; want not found", err)
	}
}

// A cached page keeps who liked its posts, and a session keeps its user's
// blocks: a like and a block made on one node reach another node's feed at
// its next poll of the invalidations.
func TestLikesAndBlocksReachAnotherNodesFeedAfterItsPoll(t *testing.T) {
	e := newEnv(t)
	owner, mei, c := e.ownerAndMember()
	a := e.postIn(owner, c, map[string]any{"text": "like me"})
	b := e.postIn(mei, c, map[string]any{"text": "mine"})

	nb := e.secondNode()
	readB := func() map[string]post.Post {
		t.Helper()
		out := map[string]post.Post{}
		for _, p := range nb.feed(mei, c) {
			out[p.ID] = p
		}
		return out
	}
	poll := nb.poll
	poll() // what was written before: applied
	if got := readB(); len(got) != 2 || got[a].Me.Liked {
		t.Fatalf("node B before: %+v", got)
	}

	e.ok(req{method: "POST", path: "/api/v1/posts/" + a + "/like", token: mei}, 200)
	poll()
	if got := readB()[a]; !got.Me.Liked || got.Likes != 1 {
		t.Fatalf("node B after the like and its poll: liked %v, likes %d", got.Me.Liked, got.Likes)
	}
	e.ok(req{method: "DELETE", path: "/api/v1/posts/" + a + "/like", token: mei}, 200)
	poll()
	if got := readB()[a]; got.Me.Liked || got.Likes != 0 {
		t.Fatalf("node B after the unlike and its poll: liked %v, likes %d", got.Me.Liked, got.Likes)
	}

	e.ok(req{method: "PUT", path: "/api/v1/blocks/owner", token: mei}, 200)
	poll()
	if got := readB(); len(got) != 1 || got[b].ID != b {
		t.Fatalf("node B after the block and its poll shows %d posts; want only %s", len(got), b)
	}
	e.ok(req{method: "DELETE", path: "/api/v1/blocks/owner", token: mei}, 204)
	poll()
	if got := readB(); len(got) != 2 {
		t.Fatalf("node B after the unblock and its poll shows %d posts, want 2", len(got))
	}
}

// The home feed's first page is merged from the circles' cached pages and
// the reader's moments. It must be what reading the database gives (a
// page of feedDepth or more is always read): the same posts, pictures and
// liked marks, with blocks, a circle left and a friendship ended applied.
func TestTheCachedHomePageIsWhatTheDatabaseGives(t *testing.T) {
	e := newEnv(t)
	mei, lin, bob := e.user("mei", account.RoleUser), e.user("lin", account.RoleUser), e.user("bob", account.RoleUser)
	e.befriend(mei, lin, "lin")
	e.befriend(mei, bob, "bob")
	one := e.circle(lin, map[string]any{"name": "One"})
	two := e.circle(bob, map[string]any{"name": "Two"})
	gone := e.circle(bob, map[string]any{"name": "Left"})
	for _, c := range []string{one, two, gone} {
		e.join(mei, c)
	}
	var liked string
	for i := range 6 {
		e.postIn(lin, one, map[string]any{"text": fmt.Sprint("one ", i), "media_ids": []string{e.upload("lin")}})
		liked = e.postIn(bob, two, map[string]any{"text": fmt.Sprint("two ", i)})
		e.postIn(bob, gone, map[string]any{"text": fmt.Sprint("left ", i)})
		e.ok(req{method: "POST", path: "/api/v1/moments", token: lin, body: map[string]any{"text": fmt.Sprint("lin's moment ", i)}}, 201)
		e.ok(req{method: "POST", path: "/api/v1/moments", token: bob, body: map[string]any{"text": fmt.Sprint("bob's moment ", i)}}, 201)
	}
	e.ok(req{method: "POST", path: "/api/v1/posts/" + liked + "/like", token: mei}, 200)
	e.ok(req{method: "DELETE", path: "/api/v1/circles/" + gone + "/members/mei", token: mei}, 204)
	e.ok(req{method: "DELETE", path: "/api/v1/friends/bob", token: mei}, 204)
	spoiler := e.user("spoiler", account.RoleUser)
	e.join(spoiler, one)
	e.postIn(spoiler, one, map[string]any{"text": "blocked"})
	e.ok(req{method: "PUT", path: "/api/v1/blocks/spoiler", token: mei}, 200)

	feed := func(limit int) []any {
		t.Helper()
		return e.ok(req{method: "GET", path: fmt.Sprint("/api/v1/feed?limit=", limit), token: mei}, 200).json["items"].([]any)
	}
	read := feed(50) // from the database
	if len(read) != 18 {
		t.Fatalf("the database gives %d posts, want 18 (6 in each circle kept, 6 of lin's moments)", len(read))
	}
	for range 2 { // the first time loads the pages, the second reads them
		cached := feed(18)
		if fmt.Sprint(cached) != fmt.Sprint(read) {
			t.Fatalf("the cached page differs from the database's:\n%v\n%v", cached, read)
		}
	}
}

// Another node's expired page is brought up to date from its posts'
// counts: a comment written on this node (which drops only this node's
// pages) reaches it, pinned and in place, once the page has expired. The
// count is all that read brings; an author's new name comes with the
// page's next whole read, at most feedReread (5 minutes) after its last.
func TestAnotherNodesExpiredPageTakesNewCountsAndLaterNewNames(t *testing.T) {
	e := newEnv(t)
	owner, mei, c := e.ownerAndMember()
	p := e.postIn(owner, c, map[string]any{"text": "talk about this"})
	e.postIn(owner, c, map[string]any{"text": "older news"})
	e.ok(req{method: "PUT", path: "/api/v1/posts/" + p + "/pin", token: owner}, 200)

	b := e.secondNode()
	b.poll()
	// check asserts what node B shows of p, at every place it appears.
	check := func(when string, comments int, author string) {
		t.Helper()
		n := 0
		for _, got := range b.feed(mei, c) {
			if got.ID != p {
				continue
			}
			n++
			if got.Comments != comments || got.Author.DisplayName != author {
				t.Fatalf("node B %s: %d comments by %q; want %d by %q", when, got.Comments, got.Author.DisplayName, comments, author)
			}
		}
		if n == 0 {
			t.Fatalf("node B %s: the post is not on the page", when)
		}
	}
	check("before", 0, "owner")

	e.ok(req{method: "POST", path: "/api/v1/posts/" + p + "/comments", token: mei, body: map[string]any{"text": "agreed"}}, 201)
	e.ok(req{method: "PATCH", path: "/api/v1/me", token: owner, body: map[string]any{"display_name": "The Owner"}}, 200)
	b.poll()
	start := time.Now()
	e.db.Clock = func() time.Time { return start.Add(61 * time.Second) } // past twice the pages' time to live: read at once
	check("once its page expired", 1, "owner")
	e.db.Clock = func() time.Time { return start.Add(6 * time.Minute) }
	check("five minutes on", 1, "The Owner")
}
