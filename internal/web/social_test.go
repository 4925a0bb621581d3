package web

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/store"
)

var requestAction = regexp.MustCompile(`action="/friends/requests/([^/"]+)/accept"`)

// TestFriendRequestThenMessages: a request from a profile, accepted from
// the friends page; then messages go both ways, with unread marks.
func TestFriendRequestThenMessages(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	e.user("ana", account.RoleUser)
	mei, ana := e.browser(), e.browser()
	mei.signIn("mei")
	ana.signIn("ana")

	mei.get("/u/ana").has(t, `action="/u/ana/friend"`, `action="/u/ana/follow"`, `action="/u/ana/block"`)
	res := mei.post("/u/ana/friend", url.Values{})
	mei.follow(res).has(t, "Friend request sent to @ana.", "Cancel friend request")
	mei.get("/friends").has(t, "Waiting for their answer", "@ana")

	page := ana.get("/friends")
	page.has(t, "Asking to be your friend", "@mei")
	m := requestAction.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no accept button")
	}
	res = ana.post("/friends/requests/"+m[1]+"/accept", url.Values{})
	ana.follow(res).has(t, "You and @mei are now friends.", "Your friends", `href="/u/mei"`)
	mei.get("/u/ana").has(t, `action="/u/ana/unfriend"`, "friends")

	// Messages: the form on the conversation page, the latest at the bottom.
	mei.get("/messages/ana").has(t, "No messages between you and @ana yet.", `action="/messages/ana"`)
	res = mei.post("/messages/ana", url.Values{"text": {"hello ana"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("send: %d\n%s", res.status, res.body)
	}
	mei.post("/messages/ana", url.Values{"text": {"are you coming tonight?"}})
	ana.get("/messages").has(t, `class="conv unread"`, "are you coming tonight?", `href="/messages/mei"`)
	page = ana.get("/messages/ana")
	if page.status != http.StatusNotFound {
		t.Fatalf("a conversation with oneself: %d", page.status)
	}
	page = ana.get("/messages/mei")
	page.has(t, "hello ana", "are you coming tonight?", `action="/messages/mei/read"`)
	if i, j := strings.Index(page.body, "hello ana"), strings.Index(page.body, "are you coming tonight?"); i > j {
		t.Fatal("the latest message is not at the bottom")
	}
	ana.follow(ana.post("/messages/mei/read", url.Values{}))
	ana.get("/messages").lacks(t, `class="conv unread"`)
	ana.post("/messages/mei", url.Values{"text": {"yes, at eight"}})
	mei.get("/messages/ana").has(t, `<li class="msg mine"><p>hello ana</p>`, `<li class="msg"><p>yes, at eight</p>`)

	// The friend's name is one notification each; the sentence says who.
	mei.get("/notifications").has(t, "ana accepted your friend request", "ana sent you a message")
}

// TestBlockedUserCannotMessage: a block stands between two people; the
// one blocked sees why, and what they typed stays.
func TestBlockedUserCannotMessage(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	e.user("ana", account.RoleUser)
	if _, err := e.deps.Social.Block(t.Context(), mei, "ana"); err != nil {
		t.Fatal(err)
	}
	ana := e.browser()
	ana.signIn("ana")
	page := ana.get("/u/mei")
	page.has(t, "You cannot reach @mei: one of you has blocked the other.")
	page.lacks(t, `action="/u/mei/friend"`)
	page = ana.get("/messages/mei")
	page.has(t, "You and @mei cannot send messages to each other: one of you has blocked the other.")
	page.lacks(t, `action="/messages/mei"`)
	ana.get("/u/ana") // a page with a form, for the token
	res := ana.post("/messages/mei", url.Values{"text": {"why did you block me"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a message across a block: %d", res.status)
	}
	res.has(t, "one of you has blocked the other.", "why did you block me")
	if n := e.count(`SELECT COUNT(*) FROM messages`); n != 0 {
		t.Fatalf("%d messages across a block", n)
	}
	ana.header.Set("Accept-Language", "zh-CN")
	ana.get("/messages/mei").has(t, "你和 @mei 无法互发私信：其中一方已拉黑对方。")
	ana.get("/u/ana")
	res = ana.post("/u/mei/follow", url.Values{})
	if res.status != http.StatusConflict && res.status != http.StatusForbidden {
		t.Logf("following across a block: %d", res.status)
	}
	res.has(t, "你和 @mei 无法互相关注：其中一方已拉黑对方。")

	// The one who blocked can lift it.
	b := e.browser()
	b.signIn("mei")
	b.get("/u/ana").has(t, `action="/u/ana/unblock"`)
	b.follow(b.post("/u/ana/unblock", url.Values{})).has(t, "You unblocked @ana.", `action="/u/ana/friend"`)
}

// TestStrangersMessageRequests: a message from someone who is not a
// friend waits in the requests box until it is answered.
func TestStrangersMessageRequests(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	e.user("ana", account.RoleUser)
	mei, ana := e.browser(), e.browser()
	mei.signIn("mei")
	ana.signIn("ana")
	mei.get("/messages/ana")
	mei.post("/messages/ana", url.Values{"text": {"hi, we met at the library"}})
	mei.get("/messages/ana").has(t, "Your messages wait in @ana&#39;s message requests until they answer.")
	ana.get("/messages").lacks(t, "we met at the library")
	ana.get("/messages?box=requests").has(t, "we met at the library")
	ana.get("/messages/mei").has(t, "is not your friend and wants to message you", `action="/messages/mei/accept"`)
	ana.follow(ana.post("/messages/mei/accept", url.Values{})).has(t, "@mei&#39;s messages now come to your inbox.")
	ana.get("/messages").has(t, "we met at the library")
}

func TestAddFriendFormExplainsItself(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	b := e.browser()
	b.signIn("mei")
	b.get("/friends")
	res := b.post("/friends", url.Values{"to": {"nobody"}, "message": {"hi there"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a request to nobody: %d", res.status)
	}
	res.has(t, `id="e-to">There is no user @nobody.`, `value="nobody"`, `value="hi there"`)
	res = b.post("/friends", url.Values{"to": {"mei"}})
	res.has(t, `id="e-to">You cannot send friend requests to yourself.`)
	if n := e.count(`SELECT COUNT(*) FROM friend_requests`); n != 0 {
		t.Fatalf("%d friend requests after refusals", n)
	}
}

// TestMomentsReachFriendsOnly: a moment for friends shows in a friend's
// moments and not in a stranger's; an empty one is refused in place.
func TestMomentsReachFriendsOnly(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	e.user("carl", account.RoleUser)
	req, err := e.deps.Social.RequestFriend(t.Context(), mei, "ana", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.deps.Social.AcceptFriend(t.Context(), ana, req.ID); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("mei")
	b.get("/moments").has(t, `action="/moments"`, `name="audience" value="friends" checked`)
	res := b.post("/moments", url.Values{"text": {"  "}, "audience": {"public"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("an empty moment: %d", res.status)
	}
	res.has(t, `id="e-text">Write something to share.`, `name="audience" value="public" checked`)
	res = b.post("/moments", url.Values{"text": {"for a stranger"}, "audience": {"list"}, "to": {"@carl"}})
	res.has(t, "@carl is not one of your friends", `value="@carl"`)
	b.follow(b.post("/moments", url.Values{"text": {"sunset at the lake"}, "audience": {"friends"}})).has(t, "Your moment is shared.", "sunset at the lake")
	if n := e.count(`SELECT COUNT(*) FROM posts`); n != 1 {
		t.Fatalf("%d posts, want the one shared", n)
	}

	friend := e.browser()
	friend.signIn("ana")
	friend.get("/moments").has(t, "sunset at the lake")
	friend.get("/u/mei").has(t, "sunset at the lake")
	stranger := e.browser()
	stranger.signIn("carl")
	stranger.get("/moments").lacks(t, "sunset at the lake")
	stranger.get("/u/mei").lacks(t, "sunset at the lake")

	// Unfriended, the moment is gone from ana's moments too.
	if err := e.deps.Social.Unfriend(t.Context(), ana, "mei"); err != nil {
		t.Fatal(err)
	}
	friend.get("/moments").lacks(t, "sunset at the lake")
	if ps, _, err := e.deps.Posts.Moments(t.Context(), circle.Actor{User: mei}, store.Page{Limit: 5}); err != nil || len(ps) != 1 {
		t.Fatalf("the author's own moments: %d %v", len(ps), err)
	}
}

// TestSocialSentencesHaveChinese: every p.T sentence of the profile,
// social, notification and credit handlers, and every sentence shape the
// capabilities' refusals are recognised by, has its Chinese (the shared
// TestTranslations reads the templates and errs sentences).
func TestSocialSentencesHaveChinese(t *testing.T) {
	call := regexp.MustCompile(`\.T\(("(?:[^"\\]|\\.)*")`)
	files, _ := filepath.Glob("*.go")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || !(strings.HasPrefix(f, "me") || strings.HasPrefix(f, "social") ||
			strings.HasPrefix(f, "notifications") || strings.HasPrefix(f, "credit")) {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			s, _ := strconv.Unquote(m[1])
			n++
			if _, ok := zhText[s]; !ok {
				t.Errorf("%s: %q has no Chinese", f, s)
			}
		}
	}
	for _, sh := range sentenceShapes {
		if _, ok := zhText[sh.key]; !ok {
			t.Errorf("shape %q has no Chinese", sh.key)
		}
	}
	if n < 50 {
		t.Fatalf("only %d sentences found: is the pattern still right?", n)
	}
}
