package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

type env struct {
	t        testing.TB
	db       *store.DB
	ob       *event.Outbox
	notes    *notify.Service
	accounts *account.Service
	circles  *circle.Service
}

func newEnv(t testing.TB) *env {
	db := storetest.Open(t)
	ob := event.New(db)
	accounts := account.New(db, account.NewHasher(account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}, 2), account.DefaultConfig)
	return &env{t: t, db: db, ob: ob, notes: notify.New(db, ob), accounts: accounts, circles: circle.New(db)}
}

func (e *env) user(handle string) account.User {
	e.t.Helper()
	u, err := e.accounts.CreateUser(context.Background(), "", account.NewUser{Handle: handle, Password: "password-" + handle, DisplayName: "The " + handle})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) add(n notify.Note) {
	e.t.Helper()
	if err := e.db.Tx(context.Background(), func(tx *store.Tx) error { return e.notes.Add(context.Background(), tx, n) }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) list(userID string, unreadOnly bool) notify.Page {
	e.t.Helper()
	p, err := e.notes.List(context.Background(), userID, unreadOnly, store.Page{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestAddWritesANumberedNotificationInTheCallersTransaction(t *testing.T) {
	e := newEnv(t)
	ana, bo := e.user("ana"), e.user("bob")
	ctx := context.Background()
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindTip, ActorID: bo.ID, PostID: "p1", Amount: 1250, Text: "thanks"})
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: ana.ID}) // oneself: nothing
	boom := errors.New("boom")
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		if err := e.notes.Add(ctx, tx, notify.Note{UserID: ana.ID, Kind: notify.KindComment, ActorID: bo.ID}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindReviewDecided, Text: "approved"})
	p := e.list(ana.ID, false)
	if len(p.Items) != 2 || p.Unread != 2 {
		t.Fatalf("%+v", p)
	}
	sys, tip := p.Items[0], p.Items[1]
	if tip.Seq != 1 || tip.Kind != "tip" || tip.Actor == nil || tip.Actor.Handle != "bob" || tip.Actor.DisplayName != "The bob" ||
		tip.Amount != 1250 || tip.Text != "thanks" || tip.PostID != "p1" || tip.Read || tip.Circle != nil {
		t.Fatalf("tip %+v", tip)
	}
	if sys.Seq != 2 || sys.Actor != nil || sys.Kind != "review_decided" {
		t.Fatalf("the system's %+v", sys)
	}
	if p := e.list(bo.ID, false); len(p.Items) != 0 || p.Unread != 0 {
		t.Fatalf("bo has %+v", p)
	}
	for _, bad := range []notify.Note{{Kind: "tip"}, {UserID: ana.ID}, {UserID: ana.ID, Kind: "Tip!"}} {
		err := e.db.Tx(ctx, func(tx *store.Tx) error { return e.notes.Add(ctx, tx, bad) })
		if err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// circle creates a circle owned by owner and returns its id; members
// join it with an invite.
func (e *env) circle(owner account.User, visibility string, members ...account.User) string {
	e.t.Helper()
	ctx := context.Background()
	name, cat := "Circle "+store.NewID(e.db.Now())[20:], "campus"
	c, err := e.circles.Create(ctx, circle.Actor{User: owner}, circle.Settings{Name: &name, Category: &cat, Visibility: &visibility})
	if err != nil {
		e.t.Fatal(err)
	}
	inv, err := e.circles.CreateInvite(ctx, circle.Actor{User: owner}, c.ID, circle.InviteSettings{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range members {
		if _, err := e.circles.Join(ctx, circle.Actor{User: m}, c.ID, circle.JoinRequest{InviteCode: inv.Code}); err != nil {
			e.t.Fatal(err)
		}
	}
	return c.ID
}

func seqs(items []notify.Notification) string {
	var out []string
	for _, n := range items {
		out = append(out, fmt.Sprint(n.Seq))
	}
	return strings.Join(out, ",")
}

func TestMutedCirclesAddNothing(t *testing.T) {
	e := newEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	loud, quiet := e.circle(bob, circle.Open, ana), e.circle(bob, circle.Open, ana)
	ctx := context.Background()
	if err := e.notes.Mute(ctx, ana.ID, quiet, true); err != nil {
		t.Fatal(err)
	}
	if err := e.notes.Mute(ctx, ana.ID, quiet, true); err != nil { // twice is once
		t.Fatal(err)
	}
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID, CircleID: quiet})
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID, CircleID: loud})
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	p := e.list(ana.ID, false)
	if len(p.Items) != 2 || p.Items[1].Circle == nil || p.Items[1].Circle.ID != loud || p.Unread != 2 {
		t.Fatalf("%+v", p)
	}
	if m, _ := e.notes.Muted(ctx, ana.ID, quiet); !m {
		t.Fatal("not muted")
	}
	if err := e.notes.Mute(ctx, ana.ID, quiet, false); err != nil {
		t.Fatal(err)
	}
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID, CircleID: quiet})
	if p := e.list(ana.ID, false); len(p.Items) != 3 || p.Items[0].Circle.ID != quiet {
		t.Fatalf("after unmuting: %+v", p)
	}
}

func TestMarkReadAndTheUnreadCount(t *testing.T) {
	e := newEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	ctx := context.Background()
	if n, err := e.notes.MarkRead(ctx, ana.ID, nil, true); err != nil || n != 0 {
		t.Fatalf("all, with none yet: %d %v", n, err)
	}
	for range 5 {
		e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	}
	p := e.list(ana.ID, false)
	if p.Unread != 5 {
		t.Fatalf("unread %d", p.Unread)
	}
	n, err := e.notes.MarkRead(ctx, ana.ID, []string{p.Items[0].ID, p.Items[1].ID, p.Items[0].ID}, false)
	if err != nil || n != 3 {
		t.Fatalf("marking two: %d %v", n, err)
	}
	if n, err := e.notes.MarkRead(ctx, ana.ID, []string{p.Items[0].ID}, false); err != nil || n != 3 {
		t.Fatalf("marking one again: %d %v", n, err)
	}
	if u := e.list(ana.ID, true); seqs(u.Items) != "3,2,1" || u.Unread != 3 {
		t.Fatalf("unread only: %s %d", seqs(u.Items), u.Unread)
	}
	if all := e.list(ana.ID, false); !all.Items[0].Read || all.Items[2].Read {
		t.Fatalf("read flags %+v", all.Items)
	}
	// Unknown ids, and another's, refuse the whole request.
	e.add(notify.Note{UserID: bob.ID, Kind: notify.KindLike, ActorID: ana.ID})
	bobs := e.list(bob.ID, false).Items[0].ID
	for _, ids := range [][]string{{p.Items[2].ID, "nope"}, {p.Items[2].ID, bobs}} {
		_, err := e.notes.MarkRead(ctx, ana.ID, ids, false)
		if !errs.Is(err, notify.CodeUnknownNotification) {
			t.Fatalf("%v: %v", ids, err)
		}
	}
	for _, bad := range []struct {
		ids []string
		all bool
	}{{nil, false}, {[]string{"x"}, true}, {make([]string, notify.MaxMarkRead+1), false}} {
		if _, err := e.notes.MarkRead(ctx, ana.ID, bad.ids, bad.all); !errs.Is(err, errs.Invalid) {
			t.Fatalf("%d ids, all %v: %v", len(bad.ids), bad.all, err)
		}
	}
	if u, _ := e.notes.Unread(ctx, ana.ID); u != 3 {
		t.Fatalf("after refusals: %d unread", u)
	}
	if n, err := e.notes.MarkRead(ctx, ana.ID, nil, true); err != nil || n != 0 {
		t.Fatalf("all: %d %v", n, err)
	}
	if u := e.list(ana.ID, true); len(u.Items) != 0 || u.Unread != 0 {
		t.Fatalf("after all: %+v", u)
	}
	if u, _ := e.notes.Unread(ctx, bob.ID); u != 1 {
		t.Fatalf("bob's unread: %d", u)
	}
}

func TestListPagesWithCursors(t *testing.T) {
	e := newEnv(t)
	ana, bob := e.user("ana"), e.user("bob")
	for range 7 {
		e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID})
	}
	ctx := context.Background()
	var got []string
	cursor := ""
	for range 10 {
		p, err := store.ParsePage(cursor, "3")
		if err != nil {
			t.Fatal(err)
		}
		pg, err := e.notes.List(ctx, ana.ID, false, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, seqs(pg.Items))
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(got, "|") != "7,6,5|4,3,2|1" {
		t.Fatalf("pages %v", got)
	}
	for _, c := range []string{store.Cursor("x"), store.Cursor("0"), store.Cursor("1", "2")} {
		p, _ := store.ParsePage(c, "")
		if _, err := e.notes.List(ctx, ana.ID, false, p); !errs.Is(err, errs.InvalidCursor) {
			t.Fatalf("cursor %s: %v", c, err)
		}
	}
}

// TestAClosedCirclesNotificationsFollowMembership: notifications about a
// closed circle's content are shown while the recipient is a member, and
// hidden — in the list, the unread count, the stream, mark read — once they
// are removed or banned; a decision on their own join request stays.
func TestAClosedCirclesNotificationsFollowMembership(t *testing.T) {
	e := newEnv(t)
	owner, ana, bob := e.user("owner"), e.user("ana"), e.user("bob")
	closed := e.circle(owner, circle.Closed, ana, bob)
	open := e.circle(owner, circle.Open, ana, bob)
	ctx := context.Background()
	for _, who := range []account.User{ana, bob} {
		e.add(notify.Note{UserID: who.ID, Kind: notify.KindComment, ActorID: owner.ID, CircleID: closed, PostID: "p", Text: "secret"})
		e.add(notify.Note{UserID: who.ID, Kind: notify.KindComment, ActorID: owner.ID, CircleID: open, Text: "public"})
		e.add(notify.Note{UserID: who.ID, Kind: notify.KindJoinDecided, ActorID: owner.ID, CircleID: closed, Text: "approved"})
	}
	if p := e.list(ana.ID, false); seqs(p.Items) != "3,2,1" || p.Unread != 3 || p.Items[2].Circle.ID != closed {
		t.Fatalf("a member sees %s (%d unread)", seqs(p.Items), p.Unread)
	}
	secret := e.list(ana.ID, false).Items[2].ID
	if err := e.circles.Remove(ctx, circle.Actor{User: owner}, closed, "ana", "bye"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.circles.Ban(ctx, circle.Actor{User: owner}, closed, circle.BanRequest{Handle: "bob", Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []account.User{ana, bob} {
		p := e.list(who.ID, false)
		if seqs(p.Items) != "3,2" || p.Unread != 2 {
			t.Fatalf("@%s, out of the closed circle, sees %s (%d unread)", who.Handle, seqs(p.Items), p.Unread)
		}
		st, err := e.notes.Stream(ctx, who.ID, 0, true)
		if err != nil {
			t.Fatal(err)
		}
		items, err := st.Next(ctx, time.Second)
		st.Close()
		if err != nil || len(items) != 2 || items[0].Seq != 2 || strings.Contains(string(items[0].Data)+string(items[1].Data), "secret") {
			t.Fatalf("@%s's stream replays %d items: %v", who.Handle, len(items), err)
		}
	}
	if _, err := e.notes.MarkRead(ctx, ana.ID, []string{secret}, false); !errs.Is(err, notify.CodeUnknownNotification) {
		t.Fatalf("marking a hidden one read: %v", err)
	}
	// A new one while out: hidden live as well.
	st, err := e.notes.Stream(ctx, ana.ID, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindComment, ActorID: owner.ID, CircleID: closed, Text: "secret too"})
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: owner.ID, CircleID: open})
	items, err := st.Next(ctx, 5*time.Second)
	if err != nil || len(items) != 1 || items[0].Seq != 5 {
		t.Fatalf("live: %+v %v", items, err)
	}
	// Back in: shown again.
	inv, err := e.circles.CreateInvite(ctx, circle.Actor{User: owner}, closed, circle.InviteSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.circles.Join(ctx, circle.Actor{User: ana}, closed, circle.JoinRequest{InviteCode: inv.Code}); err != nil {
		t.Fatal(err)
	}
	if p := e.list(ana.ID, false); seqs(p.Items) != "5,4,3,2,1" || p.Unread != 5 {
		t.Fatalf("back in: %s (%d unread)", seqs(p.Items), p.Unread)
	}
}

func TestAddAllNumbersManyNotesInOrderAndSkipsTheMuted(t *testing.T) {
	e := newEnv(t)
	ana, bob, cai := e.user("ana"), e.user("bob"), e.user("cai")
	loud, quiet := e.circle(bob, circle.Open, ana), e.circle(bob, circle.Open, ana)
	ctx := context.Background()
	if err := e.notes.Mute(ctx, ana.ID, quiet, true); err != nil {
		t.Fatal(err)
	}
	e.add(notify.Note{UserID: ana.ID, Kind: notify.KindLike, ActorID: bob.ID}) // ana's 1
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		return e.notes.AddAll(ctx, tx, []notify.Note{
			{UserID: ana.ID, Kind: notify.KindTip, ActorID: bob.ID, CircleID: loud, Amount: 100, Actor: &notify.Person{Handle: "bob"}},
			{UserID: cai.ID, Kind: notify.KindTip, ActorID: bob.ID, CircleID: loud, Amount: 200},
			{UserID: ana.ID, Kind: notify.KindTip, ActorID: bob.ID, CircleID: quiet, Amount: 300}, // muted
			{UserID: bob.ID, Kind: notify.KindTip, ActorID: bob.ID, Amount: 400},                  // oneself
			{UserID: ana.ID, Kind: notify.KindTip, ActorID: cai.ID, CircleID: loud, Amount: 500},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	p := e.list(ana.ID, false)
	if got := seqs(p.Items); got != "3,2,1" || p.Unread != 3 {
		t.Fatalf("ana's numbers %s, unread %d; want 3,2,1 and 3", got, p.Unread)
	}
	if n := p.Items[1]; n.Amount != 100 || n.Actor.Handle != "bob" || n.Circle == nil || n.Circle.ID != loud {
		t.Fatalf("ana's second: %+v", n)
	}
	if n := p.Items[0]; n.Amount != 500 || n.Actor.Handle != "cai" || n.Actor.DisplayName != "The cai" || n.Circle.Name == "" {
		t.Fatalf("ana's third, named by AddAll: %+v %+v", n, n.Circle)
	}
	if c := e.list(cai.ID, false); len(c.Items) != 1 || c.Items[0].Seq != 1 || c.Items[0].Amount != 200 {
		t.Fatalf("cai's: %+v", c)
	}
	if b := e.list(bob.ID, false); len(b.Items) != 0 {
		t.Fatalf("bob's own tip told him: %+v", b)
	}
}
