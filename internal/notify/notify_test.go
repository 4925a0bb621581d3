package notify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/circle"
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
	_ = fmt.Sprint
}
