package social_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

var testArgon2 = account.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// note is one call of the Notify hook.
type note struct{ user, kind, actor, ref string }

type fixture struct {
	t        *testing.T
	ctx      context.Context
	db       *store.DB
	accounts *account.Service
	svc      *social.Service
	clock    *clock
	mu       sync.Mutex
	notes    []note
}

func setup(t *testing.T) *fixture {
	t.Helper()
	db := storetest.Open(t)
	c := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	db.Clock = c.Now
	accounts := account.New(db, account.NewHasher(testArgon2, 2), account.DefaultConfig)
	f := &fixture{t: t, ctx: context.Background(), db: db, clock: c, svc: social.New(db, accounts), accounts: accounts}
	f.svc.Notify = func(ctx context.Context, tx *store.Tx, userID, kind, actorID, ref string) error {
		if tx == nil {
			t.Error("Notify called outside a transaction")
		}
		f.mu.Lock()
		f.notes = append(f.notes, note{userID, kind, actorID, ref})
		f.mu.Unlock()
		return nil
	}
	return f
}

func (f *fixture) user(handle string) account.User {
	f.t.Helper()
	u, err := f.accounts.CreateUser(f.ctx, "", account.NewUser{Handle: handle, Password: "correct horse", Role: account.RoleUser})
	if err != nil {
		f.t.Fatalf("creating %s: %v", handle, err)
	}
	return u
}

func (f *fixture) takeNotes() []note {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.notes
	f.notes = nil
	return n
}

// friends makes a and b friends.
func (f *fixture) friends(a, b account.User) {
	f.t.Helper()
	r, err := f.svc.RequestFriend(f.ctx, a, b.Handle, "")
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.AcceptFriend(f.ctx, b, r.ID); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) areFriends(a, b account.User) bool {
	f.t.Helper()
	ok, err := social.AreFriends(f.ctx, f.db, a.ID, b.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return ok
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(f.ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// wantCode checks err carries code.
func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if got := errs.CodeOf(err); got != code {
		t.Fatalf("got %v (code %q), want code %q", err, got, code)
	}
	if msg := errs.As(err).Message; len(msg) < 10 {
		t.Fatalf("the refusal %q is not a sentence", msg)
	}
}

func handles(cs []social.Contact) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Handle)
	}
	return out
}

func TestSocialFriendRequestAcceptedMakesFriendsBothWays(t *testing.T) {
	f := setup(t)
	ana, ben := f.user("ana"), f.user("ben")
	r, err := f.svc.RequestFriend(f.ctx, ana, "@Ben", "  hi from the gym  ")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != social.Pending || r.From.Handle != "ana" || r.To.Handle != "ben" || r.Message != "hi from the gym" {
		t.Fatalf("request: %+v", r)
	}
	if got := f.takeNotes(); !slices.Equal(got, []note{{ben.ID, social.KindFriendRequest, ana.ID, r.ID}}) {
		t.Fatalf("notes: %+v", got)
	}
	in, _, err := f.svc.FriendRequests(f.ctx, ben, social.Incoming, store.Page{Limit: 10})
	if err != nil || len(in) != 1 || in[0].ID != r.ID {
		t.Fatalf("ben's incoming: %+v %v", in, err)
	}
	out, _, err := f.svc.FriendRequests(f.ctx, ana, social.Outgoing, store.Page{Limit: 10})
	if err != nil || len(out) != 1 || out[0].ID != r.ID {
		t.Fatalf("ana's outgoing: %+v %v", out, err)
	}
	if in, _, _ := f.svc.FriendRequests(f.ctx, ana, social.Incoming, store.Page{Limit: 10}); len(in) != 0 {
		t.Fatalf("ana's incoming holds her own request: %+v", in)
	}
	if f.areFriends(ana, ben) {
		t.Fatal("friends before accepting")
	}
	acc, err := f.svc.AcceptFriend(f.ctx, ben, r.ID)
	if err != nil || acc.Status != social.Accepted || acc.DecidedAt == nil {
		t.Fatalf("accept: %+v %v", acc, err)
	}
	if got := f.takeNotes(); !slices.Equal(got, []note{{ana.ID, social.KindFriendAccepted, ben.ID, r.ID}}) {
		t.Fatalf("notes: %+v", got)
	}
	if !f.areFriends(ana, ben) || !f.areFriends(ben, ana) {
		t.Fatal("not friends both ways after accepting")
	}
	for _, u := range []account.User{ana, ben} {
		if in, _, _ := f.svc.FriendRequests(f.ctx, u, social.Incoming, store.Page{Limit: 10}); len(in) != 0 {
			t.Fatalf("a decided request still waits: %+v", in)
		}
	}
	ids, err := social.FriendIDs(f.ctx, f.db, ana.ID)
	if err != nil || !slices.Equal(ids, []string{ben.ID}) {
		t.Fatalf("FriendIDs: %v %v", ids, err)
	}
	list, _, err := f.svc.Friends(f.ctx, ben, store.Page{Limit: 10})
	if err != nil || !slices.Equal(handles(list), []string{"ana"}) {
		t.Fatalf("ben's friends: %v %v", handles(list), err)
	}
	wantCode(t, func() error { _, err := f.svc.AcceptFriend(f.ctx, ben, r.ID); return err }(), social.CodeAlreadyDecided)
	wantCode(t, func() error { _, err := f.svc.RequestFriend(f.ctx, ben, "ana", ""); return err }(), social.CodeAlreadyFriends)

	// Unfriending ends it for both.
	if err := f.svc.Unfriend(f.ctx, ben, "ana"); err != nil {
		t.Fatal(err)
	}
	if f.areFriends(ana, ben) || f.areFriends(ben, ana) {
		t.Fatal("still friends after unfriending")
	}
	wantCode(t, f.svc.Unfriend(f.ctx, ana, "ben"), errs.NotFound)
}

func TestSocialFriendRequestToOneWhoAskedFirstAcceptsTheirs(t *testing.T) {
	f := setup(t)
	ana, ben := f.user("ana"), f.user("ben")
	theirs, err := f.svc.RequestFriend(f.ctx, ben, "ana", "")
	if err != nil {
		t.Fatal(err)
	}
	f.takeNotes()
	r, err := f.svc.RequestFriend(f.ctx, ana, "ben", "me too")
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != theirs.ID || r.Status != social.Accepted || r.From.Handle != "ben" {
		t.Fatalf("got %+v, want ben's request accepted", r)
	}
	if !f.areFriends(ana, ben) {
		t.Fatal("not friends")
	}
	if got := f.takeNotes(); !slices.Equal(got, []note{{ben.ID, social.KindFriendAccepted, ana.ID, theirs.ID}}) {
		t.Fatalf("notes: %+v", got)
	}
	if n := f.count(`friend_requests`); n != 1 {
		t.Fatalf("%d requests stored, want 1", n)
	}
}

func TestSocialFriendRequestRefusals(t *testing.T) {
	f := setup(t)
	ana, cyd := f.user("ana"), f.user("cyd")
	f.user("ben")
	f.user("dee")
	admin := account.User{Role: account.RoleAdmin}
	if _, err := f.accounts.SetStatus(f.ctx, admin, "dee", account.StatusDisabled, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequestFriend(f.ctx, ana, "ben", ""); err != nil {
		t.Fatal(err)
	}
	f.friends(ana, cyd)
	for _, c := range []struct {
		name, to, note string
		code           errs.Code
	}{
		{"yourself", "ana", "", errs.Invalid},
		{"nobody", "nobody_here", "", errs.NotFound},
		{"not a handle", "not a handle!", "", errs.NotFound},
		{"empty", "  ", "", errs.Invalid},
		{"disabled", "dee", "", social.CodeUserUnavailable},
		{"twice", "ben", "", social.CodeRequestPending},
		{"friends", "cyd", "", social.CodeAlreadyFriends},
		{"long note", "ben", strings.Repeat("长", social.MaxRequestMessage+1), errs.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := f.count(`friend_requests`)
			_, err := f.svc.RequestFriend(f.ctx, ana, c.to, c.note)
			wantCode(t, err, c.code)
			if after := f.count(`friend_requests`); after != before {
				t.Fatalf("a refused request wrote a row")
			}
		})
	}
	if _, err := f.svc.RequestFriend(f.ctx, cyd, "ben", strings.Repeat("长", social.MaxRequestMessage)); err != nil {
		t.Fatalf("a note of exactly %d characters: %v", social.MaxRequestMessage, err)
	}
}

func TestSocialOnlyTheRightSideDecidesARequest(t *testing.T) {
	f := setup(t)
	ana, ben, cyd := f.user("ana"), f.user("ben"), f.user("cyd")
	r, err := f.svc.RequestFriend(f.ctx, ana, "ben", "")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, func() error { _, err := f.svc.AcceptFriend(f.ctx, ana, r.ID); return err }(), errs.Forbidden)
	wantCode(t, func() error { _, err := f.svc.DeclineFriend(f.ctx, ana, r.ID); return err }(), errs.Forbidden)
	wantCode(t, func() error { _, err := f.svc.CancelFriend(f.ctx, ben, r.ID); return err }(), errs.Forbidden)
	// A third person does not learn it exists: the same answer as for an
	// id that names nothing.
	_, errOther := f.svc.AcceptFriend(f.ctx, cyd, r.ID)
	_, errNone := f.svc.AcceptFriend(f.ctx, cyd, "01zzzzzzzzzzzzzzzzzzzzzzzz")
	wantCode(t, errOther, errs.NotFound)
	if strings.ReplaceAll(errs.As(errOther).Message, r.ID, "X") != strings.ReplaceAll(errs.As(errNone).Message, "01zzzzzzzzzzzzzzzzzzzzzzzz", "X") {
		t.Fatalf("%q and %q differ", errs.As(errOther).Message, errs.As(errNone).Message)
	}
	if f.areFriends(ana, ben) {
		t.Fatal("a refused accept made friends")
	}
	d, err := f.svc.DeclineFriend(f.ctx, ben, r.ID)
	if err != nil || d.Status != social.Declined {
		t.Fatalf("decline: %+v %v", d, err)
	}
	wantCode(t, func() error { _, err := f.svc.AcceptFriend(f.ctx, ben, r.ID); return err }(), social.CodeAlreadyDecided)
	wantCode(t, func() error { _, err := f.svc.CancelFriend(f.ctx, ana, r.ID); return err }(), social.CodeAlreadyDecided)
	if f.areFriends(ana, ben) {
		t.Fatal("declined, yet friends")
	}
	// After a decline one may ask again; and cancel it.
	r2, err := f.svc.RequestFriend(f.ctx, ana, "ben", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.CancelFriend(f.ctx, ana, r2.ID)
	if err != nil || c.Status != social.Cancelled {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	if in, _, _ := f.svc.FriendRequests(f.ctx, ben, social.Incoming, store.Page{Limit: 10}); len(in) != 0 {
		t.Fatalf("a cancelled request still waits: %+v", in)
	}
}

func TestSocialNotifyFailureWritesNothing(t *testing.T) {
	f := setup(t)
	ana, _ := f.user("ana"), f.user("ben")
	f.svc.Notify = func(context.Context, *store.Tx, string, string, string, string) error {
		return errors.New("notifier down")
	}
	if _, err := f.svc.RequestFriend(f.ctx, ana, "ben", ""); err == nil {
		t.Fatal("no error from a failing notifier")
	}
	if _, err := f.svc.Send(f.ctx, ana, "ben", "hello"); err == nil {
		t.Fatal("no error from a failing notifier")
	}
	for _, table := range []string{"friend_requests", "conversations", "conversation_members", "messages"} {
		if n := f.count(table); n != 0 {
			t.Errorf("%s holds %d rows after a failed operation", table, n)
		}
	}
}

func TestSocialFollows(t *testing.T) {
	f := setup(t)
	ana, ben, cyd := f.user("ana"), f.user("ben"), f.user("cyd")
	c, err := f.svc.Follow(f.ctx, ana, "ben")
	if err != nil || c.Handle != "ben" || !c.Since.Equal(f.clock.Now()) {
		t.Fatalf("follow: %+v %v", c, err)
	}
	f.clock.Advance(time.Minute)
	again, err := f.svc.Follow(f.ctx, ana, "ben")
	if err != nil || !again.Since.Equal(c.Since) {
		t.Fatalf("following again: %+v %v (want the first follow kept)", again, err)
	}
	if _, err := f.svc.Follow(f.ctx, cyd, "ben"); err != nil {
		t.Fatal(err)
	}
	followers, _, err := f.svc.Followers(f.ctx, "ben", store.Page{Limit: 10})
	if err != nil || !slices.Equal(handles(followers), []string{"cyd", "ana"}) {
		t.Fatalf("ben's followers: %v %v", handles(followers), err)
	}
	following, _, err := f.svc.Following(f.ctx, "ana", store.Page{Limit: 10})
	if err != nil || !slices.Equal(handles(following), []string{"ben"}) {
		t.Fatalf("ana follows: %v %v", handles(following), err)
	}
	if ok, _ := social.Follows(f.ctx, f.db, ben.ID, ana.ID); ok {
		t.Fatal("following is one-way, yet ben follows ana")
	}
	if f.areFriends(ana, ben) {
		t.Fatal("following made friends")
	}
	wantCode(t, func() error { _, err := f.svc.Follow(f.ctx, ana, "ana"); return err }(), errs.Invalid)
	wantCode(t, func() error { _, err := f.svc.Follow(f.ctx, ana, "nobody"); return err }(), errs.NotFound)
	wantCode(t, func() error { _, _, err := f.svc.Followers(f.ctx, "nobody", store.Page{Limit: 10}); return err }(), errs.NotFound)
	if err := f.svc.Unfollow(f.ctx, ana, "ben"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.Unfollow(f.ctx, ana, "ben"), errs.NotFound)
	if ids, _ := social.FollowingIDs(f.ctx, f.db, ana.ID); len(ids) != 0 {
		t.Fatalf("still following %v", ids)
	}
}

func TestSocialBlockCutsEveryTieAndRefusesBothWays(t *testing.T) {
	f := setup(t)
	ana, ben, cyd := f.user("ana"), f.user("ben"), f.user("cyd")
	f.friends(ana, ben)
	for _, p := range [][2]account.User{{ana, ben}, {ben, ana}, {cyd, ana}} {
		if _, err := f.svc.Follow(f.ctx, p[0], p[1].Handle); err != nil {
			t.Fatal(err)
		}
	}
	sent, err := f.svc.Send(f.ctx, ana, "ben", "see you")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequestFriend(f.ctx, cyd, "ben", ""); err != nil {
		t.Fatal(err)
	}
	// A pending request between the two goes too: unfriend, ask again.
	if err := f.svc.Unfriend(f.ctx, ana, "ben"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequestFriend(f.ctx, ben, "ana", ""); err != nil {
		t.Fatal(err)
	}
	f.friends(ana, cyd)

	if _, err := f.svc.Block(f.ctx, ben, "ana"); err != nil {
		t.Fatal(err)
	}
	if f.areFriends(ana, ben) {
		t.Fatal("still friends after a block")
	}
	for _, p := range [][2]account.User{{ana, ben}, {ben, ana}} {
		if ok, _ := social.Follows(f.ctx, f.db, p[0].ID, p[1].ID); ok {
			t.Fatalf("@%s still follows @%s after a block", p[0].Handle, p[1].Handle)
		}
	}
	for _, u := range []account.User{ana, ben} {
		for _, box := range []string{social.Incoming, social.Outgoing} {
			rs, _, _ := f.svc.FriendRequests(f.ctx, u, box, store.Page{Limit: 10})
			for _, r := range rs {
				if r.From.Handle != "cyd" && r.To.Handle != "cyd" {
					t.Fatalf("a request between the two survives the block: %+v", r)
				}
			}
		}
	}
	// Ties with others stay.
	if ok, _ := social.Follows(f.ctx, f.db, cyd.ID, ana.ID); !ok || !f.areFriends(ana, cyd) {
		t.Fatal("the block cut ties with a third person")
	}
	if in, _, _ := f.svc.FriendRequests(f.ctx, ben, social.Incoming, store.Page{Limit: 10}); len(in) != 1 || in[0].From.Handle != "cyd" {
		t.Fatalf("cyd's request to ben: %+v", in)
	}
	for _, p := range [][2]account.User{{ana, ben}, {ben, ana}} {
		ok, err := social.Blocked(f.ctx, f.db, p[0].ID, p[1].ID)
		if err != nil || !ok {
			t.Fatalf("Blocked(%s, %s) = %v %v", p[0].Handle, p[1].Handle, ok, err)
		}
		ids, err := social.BlockedIDs(f.ctx, f.db, p[0].ID)
		if err != nil || !slices.Equal(ids, []string{p[1].ID}) {
			t.Fatalf("BlockedIDs(%s) = %v %v", p[0].Handle, ids, err)
		}
	}
	if ok, _ := social.Blocked(f.ctx, f.db, ana.ID, cyd.ID); ok {
		t.Fatal("Blocked reports a block that does not exist")
	}

	// Both directions are refused, in words that do not tell who blocked.
	refusals := map[string][]string{}
	for _, p := range [][2]account.User{{ana, ben}, {ben, ana}} {
		me, other := p[0], p[1]
		for _, err := range []error{
			func() error { _, err := f.svc.RequestFriend(f.ctx, me, other.Handle, ""); return err }(),
			func() error { _, err := f.svc.Follow(f.ctx, me, other.Handle); return err }(),
			func() error { _, err := f.svc.Send(f.ctx, me, other.Handle, "hello?"); return err }(),
			func() error { _, err := f.svc.Reply(f.ctx, me, sent.Conversation.ID, "hello?"); return err }(),
		} {
			wantCode(t, err, social.CodeBlocked)
			msg := strings.ReplaceAll(errs.As(err).Message, "@"+other.Handle, "@X")
			if !strings.Contains(msg, "one of you has blocked the other") {
				t.Fatalf("refusal %q", msg)
			}
			refusals[me.Handle] = append(refusals[me.Handle], msg)
		}
	}
	if !slices.Equal(refusals["ana"], refusals["ben"]) {
		t.Fatalf("the refusals tell who blocked whom:\n%q\n%q", refusals["ana"], refusals["ben"])
	}
	// The conversation they had stays readable.
	if msgs, _, err := f.svc.Messages(f.ctx, ana, sent.Conversation.ID, store.Page{Limit: 10}); err != nil || len(msgs) != 1 {
		t.Fatalf("the old conversation: %v %v", msgs, err)
	}
	// Only the blocker lists the block.
	if bs, _, _ := f.svc.Blocks(f.ctx, ben, store.Page{Limit: 10}); !slices.Equal(handles(bs), []string{"ana"}) {
		t.Fatalf("ben's blocks: %v", handles(bs))
	}
	if bs, _, _ := f.svc.Blocks(f.ctx, ana, store.Page{Limit: 10}); len(bs) != 0 {
		t.Fatalf("ana sees a block she did not make: %v", handles(bs))
	}
	wantCode(t, f.svc.Unblock(f.ctx, ana, "ben"), errs.NotFound)
	wantCode(t, func() error { _, err := f.svc.Block(f.ctx, ben, "ben"); return err }(), errs.Invalid)

	// Lifting it lets them start again; nothing comes back by itself.
	if err := f.svc.Unblock(f.ctx, ben, "ana"); err != nil {
		t.Fatal(err)
	}
	if f.areFriends(ana, ben) {
		t.Fatal("unblocking restored the friendship")
	}
	if _, err := f.svc.Follow(f.ctx, ana, "ben"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequestFriend(f.ctx, ana, "ben", ""); err != nil {
		t.Fatal(err)
	}
}

func TestSocialBlockedOneWayStillRefusesTheBlocker(t *testing.T) {
	f := setup(t)
	ana, ben := f.user("ana"), f.user("ben")
	if _, err := f.svc.Block(f.ctx, ana, "ben"); err != nil {
		t.Fatal(err)
	}
	// ana blocked ben, and cannot reach ben either while her block stands.
	wantCode(t, func() error { _, err := f.svc.Send(f.ctx, ana, "ben", "hi"); return err }(), social.CodeBlocked)
	// Either may block the other as well; lifting one block leaves the other.
	if _, err := f.svc.Block(f.ctx, ben, "ana"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Unblock(f.ctx, ana, "ben"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := social.Blocked(f.ctx, f.db, ana.ID, ben.ID); !ok {
		t.Fatal("ben's block went with ana's")
	}
	wantCode(t, func() error { _, err := f.svc.Follow(f.ctx, ana, "ben"); return err }(), social.CodeBlocked)
}

// TestSocialCrossingRequestsAndFirstMessagesMeet: two people asking each
// other at the same moment become friends through one request, and two
// first messages crossing land in one conversation.
func TestSocialCrossingRequestsAndFirstMessagesMeet(t *testing.T) {
	f := setup(t)
	for i := range 5 {
		a, b := f.user(fmt.Sprintf("left%d", i)), f.user(fmt.Sprintf("right%d", i))
		var wg sync.WaitGroup
		errc := make(chan error, 4)
		for _, p := range [][2]account.User{{a, b}, {b, a}} {
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, err := f.svc.RequestFriend(f.ctx, p[0], p[1].Handle, "")
				errc <- err
			}()
			go func() {
				defer wg.Done()
				_, err := f.svc.Send(f.ctx, p[0], p[1].Handle, "hi from "+p[0].Handle)
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		}
		if !f.areFriends(a, b) {
			t.Fatalf("round %d: crossing requests did not make friends", i)
		}
		var requests, convs, msgs int
		lo, hi := a.ID, b.ID
		if hi < lo {
			lo, hi = hi, lo
		}
		f.db.QueryRow(f.ctx, `SELECT COUNT(*) FROM friend_requests WHERE user_lo = $1 AND user_hi = $2`, lo, hi).Scan(&requests)
		f.db.QueryRow(f.ctx, `SELECT COUNT(*) FROM conversations WHERE user_lo = $1 AND user_hi = $2`, lo, hi).Scan(&convs)
		f.db.QueryRow(f.ctx, `SELECT COUNT(*) FROM messages x JOIN conversations c ON c.id = x.conversation_id WHERE c.user_lo = $1 AND c.user_hi = $2`, lo, hi).Scan(&msgs)
		if requests != 1 || convs != 1 || msgs != 2 {
			t.Fatalf("round %d: %d requests, %d conversations, %d messages; want 1, 1, 2", i, requests, convs, msgs)
		}
	}
}
