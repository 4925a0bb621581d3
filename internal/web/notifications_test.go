package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
)

// note adds a notification as the capabilities do, in a transaction.
func (e *env) note(n notify.Note) {
	e.t.Helper()
	if err := e.db.Tx(context.Background(), func(tx *store.Tx) error { return e.deps.Notes.Add(context.Background(), tx, n) }); err != nil {
		e.t.Fatal(err)
	}
}

// circle creates a circle owned by owner with members joined by invite,
// and returns its id.
func (e *env) circle(owner account.User, name, visibility string, members ...account.User) string {
	e.t.Helper()
	ctx := context.Background()
	cat := "campus"
	c, err := e.deps.Circles.Create(ctx, circle.Actor{User: owner}, circle.Settings{Name: &name, Category: &cat, Visibility: &visibility})
	if err != nil {
		e.t.Fatal(err)
	}
	inv, err := e.deps.Circles.CreateInvite(ctx, circle.Actor{User: owner}, c.ID, circle.InviteSettings{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range members {
		if _, err := e.deps.Circles.Join(ctx, circle.Actor{User: m}, c.ID, circle.JoinRequest{InviteCode: inv.Code}); err != nil {
			e.t.Fatal(err)
		}
	}
	return c.ID
}

func TestNotificationsAreSentencesInBothLanguages(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	open := e.circle(mei, "Campus Diary", circle.Open, ana)
	e.note(notify.Note{UserID: mei.ID, Kind: notify.KindTip, ActorID: ana.ID, CircleID: open, PostID: "p1", Amount: 500, Text: "my first photo"})
	e.note(notify.Note{UserID: mei.ID, Kind: notify.KindComment, ActorID: ana.ID, CircleID: open, PostID: "p1", CommentID: "c1", Text: "lovely light"})
	e.note(notify.Note{UserID: mei.ID, Kind: "review_decided", ActorID: ana.ID, CircleID: open, PostID: "p2", Text: "Your post was approved and is published."})

	b := e.browser()
	b.signIn("mei")
	page := b.get("/notifications")
	page.has(t, "ana tipped your post ¥5.00", "my first photo", "ana commented on your post", "lovely light",
		"Your post was approved and is published", `href="/p/p1"`, `class="note-item unread"`, "Campus Diary", "Mute Campus Diary")
	if strings.Index(page.body, "approved and is published") > strings.Index(page.body, "tipped your post") {
		t.Fatal("the newest is not first")
	}

	b.header.Set("Accept-Language", "zh-CN")
	b.get("/notifications").has(t, "ana 打赏了你的帖子 ¥5.00", "ana 评论了你的帖子", "你的帖子已通过审核并发布", "屏蔽“Campus Diary”的通知")

	// Muting the circle from a notification: nothing more about it.
	b.follow(b.post("/notifications/mute", url.Values{"circle": {open}, "mute": {"1"}})).has(t, "恢复“Campus Diary”的通知")
	e.note(notify.Note{UserID: mei.ID, Kind: notify.KindLike, ActorID: ana.ID, CircleID: open, PostID: "p1"})
	if n := e.count(`SELECT COUNT(*) FROM notifications`); n != 3 {
		t.Fatalf("%d notifications after muting, want 3", n)
	}
}

func TestMarkAllReadClearsTheBadge(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	e.note(notify.Note{UserID: mei.ID, Kind: notify.KindFriendRequest, ActorID: ana.ID})
	e.note(notify.Note{UserID: mei.ID, Kind: notify.KindMessage, ActorID: ana.ID})
	b := e.browser()
	b.signIn("mei")
	b.get("/").has(t, `id="unread" data-count="2" >`)
	page := b.get("/notifications")
	page.has(t, "ana sent you a friend request", `href="/friends"`, "ana sent you a message", `href="/messages/ana"`, "Mark all read")
	page = b.follow(b.post("/notifications/read", url.Values{}))
	page.has(t, "Everything is marked read.", `id="unread" data-count="0" hidden`)
	page.lacks(t, `class="note-item unread"`, "Mark all read")
	if n, _ := e.deps.Notes.Unread(t.Context(), mei.ID); n != 0 {
		t.Fatalf("%d unread after marking all read", n)
	}
}

// TestClosedCircleNotificationHidesAfterRemoval: what a notification
// quotes from a closed circle is gone, from the page and the toasts, once
// the reader is no longer a member.
func TestClosedCircleNotificationHidesAfterRemoval(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	closed := e.circle(owner, "Night Owls", circle.Closed, ana)
	e.note(notify.Note{UserID: ana.ID, Kind: notify.KindComment, ActorID: owner.ID, CircleID: closed, PostID: "p9", Text: "the secret plans"})
	e.note(notify.Note{UserID: ana.ID, Kind: notify.KindFriendRequest, ActorID: owner.ID})
	b := e.browser()
	b.signIn("ana")
	b.get("/notifications").has(t, "the secret plans", "Night Owls")
	if err := e.deps.Circles.Remove(t.Context(), circle.Actor{User: owner}, closed, "ana", "bye"); err != nil {
		t.Fatal(err)
	}
	page := b.get("/notifications")
	page.has(t, "owner sent you a friend request")
	page.lacks(t, "the secret plans", "Night Owls")
	b.get("/notifications/latest?after=0").lacks(t, "the secret plans", "Night Owls")
}

// TestNotificationStreamTakesTheWebCookie: the live stream opens with the
// browser's session cookie, and the toast's sentence comes in the page's
// language.
func TestNotificationStreamTakesTheWebCookie(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	open := e.circle(mei, "Campus Diary", circle.Open, ana)
	b := e.browser()
	b.signIn("mei")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/notifications/stream", nil)
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(res.Body)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("the stream begins with %q %v", line, err)
	}
	e.note(notify.Note{UserID: mei.ID, Kind: notify.KindTip, ActorID: ana.ID, CircleID: open, PostID: "p1", Amount: 1250, Text: "my first photo"})
	var event, data string
	for data == "" {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event: "))
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
	var n notify.Notification
	if err := json.Unmarshal([]byte(data), &n); err != nil || event != "notification" || n.Kind != notify.KindTip || n.Seq != 1 {
		t.Fatalf("event %q: %s (%v)", event, data, err)
	}

	// What app.js asks for then: the sentence, in the reader's language.
	for lang, want := range map[string]string{"en": "ana tipped your post ¥12.50", "zh-CN": "ana 打赏了你的帖子 ¥12.50"} {
		b.header.Set("Accept-Language", lang)
		got := b.get("/notifications/latest?after=0")
		var latest struct {
			Unread int64
			Items  []struct {
				Seq        int64
				Text, Href string
			}
		}
		if err := json.Unmarshal([]byte(got.body), &latest); err != nil || got.status != http.StatusOK {
			t.Fatalf("latest: %d %s %v", got.status, got.body, err)
		}
		if latest.Unread != 1 || len(latest.Items) != 1 || latest.Items[0].Text != want || latest.Items[0].Href != "/p/p1" {
			t.Fatalf("latest in %s: %+v", lang, latest)
		}
	}
	if got := b.get("/notifications/latest?after=1"); !strings.Contains(got.body, `"items":[]`) {
		t.Fatalf("nothing after the last: %s", got.body)
	}
}
