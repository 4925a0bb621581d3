package social_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

func (f *fixture) send(from account.User, to, text string) social.Sent {
	f.t.Helper()
	s, err := f.svc.Send(f.ctx, from, to, text)
	if err != nil {
		f.t.Fatalf("%s → %s: %v", from.Handle, to, err)
	}
	return s
}

func (f *fixture) box(u account.User, box string) []social.Conversation {
	f.t.Helper()
	cs, _, err := f.svc.Conversations(f.ctx, u, box, store.Page{Limit: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	return cs
}

func withs(cs []social.Conversation) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.With.Handle)
	}
	return out
}

func TestSocialMessagesBetweenFriendsGoToTheInbox(t *testing.T) {
	f := setup(t)
	ana, ben := f.user("ana"), f.user("ben")
	f.friends(ana, ben)
	f.takeNotes()
	s := f.send(ana, "ben", "  lunch?  ")
	if s.Message.Text != "lunch?" || s.Message.From != "ana" || s.Conversation.Status != social.Accepted || s.Conversation.Box != social.Inbox {
		t.Fatalf("sent: %+v", s)
	}
	if got := f.takeNotes(); !slices.Equal(got, []note{{ben.ID, social.KindMessage, ana.ID, s.Conversation.ID}}) {
		t.Fatalf("notes: %+v", got)
	}
	f.clock.Advance(time.Second)
	f.send(ana, "ben", "at noon")
	in := f.box(ben, social.Inbox)
	if len(in) != 1 || in[0].With.Handle != "ana" || in[0].Unread != 2 || in[0].Latest.Text != "at noon" || in[0].Status != social.Accepted {
		t.Fatalf("ben's inbox: %+v", in)
	}
	if reqs := f.box(ben, social.Requests); len(reqs) != 0 {
		t.Fatalf("a friend's message is a request: %+v", reqs)
	}
	if mine := f.box(ana, social.Inbox); len(mine) != 1 || mine[0].Unread != 0 {
		t.Fatalf("the sender's own messages count as unread: %+v", mine)
	}
	c, err := f.svc.MarkRead(f.ctx, ben, s.Conversation.ID)
	if err != nil || c.Unread != 0 {
		t.Fatalf("mark read: %+v %v", c, err)
	}
	f.clock.Advance(time.Second)
	r, err := f.svc.Reply(f.ctx, ben, s.Conversation.ID, "sure")
	if err != nil || r.Conversation.ID != s.Conversation.ID {
		t.Fatalf("reply: %+v %v", r, err)
	}
	if in := f.box(ana, social.Inbox); in[0].Unread != 1 || in[0].Latest.From != "ben" {
		t.Fatalf("ana's inbox: %+v", in)
	}
	msgs, next, err := f.svc.Messages(f.ctx, ana, s.Conversation.ID, store.Page{Limit: 10})
	if err != nil || next != "" {
		t.Fatal(err, next)
	}
	var texts []string
	for _, m := range msgs {
		texts = append(texts, m.From+": "+m.Text)
	}
	if !slices.Equal(texts, []string{"ben: sure", "ana: at noon", "ana: lunch?"}) {
		t.Fatalf("messages, newest first: %q", texts)
	}
	// Writing to ben again finds the same conversation.
	if again := f.send(ana, "BEN", "ok"); again.Conversation.ID != s.Conversation.ID {
		t.Fatalf("a second conversation between the same two: %s", again.Conversation.ID)
	}
}

func TestSocialMessageRequestAcceptAndDecline(t *testing.T) {
	f := setup(t)
	ana, ben, cyd := f.user("ana"), f.user("ben"), f.user("cyd")
	s := f.send(ana, "ben", "hello stranger")
	if s.Conversation.Box != social.Inbox || s.Conversation.Status != social.Pending {
		t.Fatalf("the sender's view: %+v", s.Conversation)
	}
	if in := f.box(ben, social.Inbox); len(in) != 0 {
		t.Fatalf("a stranger's message reached the inbox: %+v", in)
	}
	reqs := f.box(ben, social.Requests)
	if len(reqs) != 1 || reqs[0].Box != social.Requests || reqs[0].Status != social.Pending || reqs[0].Unread != 1 || reqs[0].Latest.Text != "hello stranger" {
		t.Fatalf("ben's requests: %+v", reqs)
	}
	// More messages wait in the same request.
	f.send(ana, "ben", "are you there?")
	if reqs := f.box(ben, social.Requests); len(reqs) != 1 || reqs[0].Unread != 2 {
		t.Fatalf("ben's requests: %+v", reqs)
	}
	c, err := f.svc.AcceptConversation(f.ctx, ben, s.Conversation.ID)
	if err != nil || c.Box != social.Inbox || c.Status != social.Accepted {
		t.Fatalf("accept: %+v %v", c, err)
	}
	if in := f.box(ben, social.Inbox); !slices.Equal(withs(in), []string{"ana"}) {
		t.Fatalf("ben's inbox after accepting: %+v", in)
	}
	if reqs := f.box(ben, social.Requests); len(reqs) != 0 {
		t.Fatalf("still a request: %+v", reqs)
	}
	wantCode(t, func() error { _, err := f.svc.AcceptConversation(f.ctx, ben, s.Conversation.ID); return err }(), social.CodeAlreadyDecided)
	wantCode(t, func() error { _, err := f.svc.DeclineConversation(f.ctx, ben, s.Conversation.ID); return err }(), social.CodeAlreadyDecided)
	wantCode(t, func() error { _, err := f.svc.AcceptConversation(f.ctx, ana, s.Conversation.ID); return err }(), social.CodeAlreadyDecided)
	// Accepted, the conversation stays open to both.
	if got := f.send(ana, "ben", "thanks"); got.Conversation.Status != social.Accepted {
		t.Fatalf("after acceptance: %+v", got.Conversation)
	}
	if in := f.box(ben, social.Inbox); in[0].Latest.Text != "thanks" {
		t.Fatalf("ben's inbox: %+v", in)
	}

	// cyd's request is declined: cyd cannot write again …
	d := f.send(cyd, "ben", "buy my course")
	dc, err := f.svc.DeclineConversation(f.ctx, ben, d.Conversation.ID)
	if err != nil || dc.Box != social.Declined || dc.Status != social.Declined {
		t.Fatalf("decline: %+v %v", dc, err)
	}
	if reqs := f.box(ben, social.Requests); len(reqs) != 0 {
		t.Fatalf("a declined request still waits: %+v", reqs)
	}
	wantCode(t, func() error { _, err := f.svc.Send(f.ctx, cyd, "ben", "please"); return err }(), social.CodeRequestDeclined)
	wantCode(t, func() error { _, err := f.svc.Reply(f.ctx, cyd, d.Conversation.ID, "please"); return err }(), social.CodeRequestDeclined)
	if cv, _ := f.svc.Conversation(f.ctx, cyd, d.Conversation.ID); cv.Status != social.Declined || cv.Box != social.Inbox {
		t.Fatalf("cyd's view: %+v", cv)
	}
	// … until ben writes back, which reopens it.
	if _, err := f.svc.Reply(f.ctx, ben, d.Conversation.ID, "fine, what is it"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Send(f.ctx, cyd, "ben", "a course"); err != nil {
		t.Fatalf("after ben wrote back: %v", err)
	}
}

func TestSocialReplyingToARequestAcceptsIt(t *testing.T) {
	f := setup(t)
	ana, ben := f.user("ana"), f.user("ben")
	s := f.send(ana, "ben", "hi")
	if _, err := f.svc.Reply(f.ctx, ben, s.Conversation.ID, "hi back"); err != nil {
		t.Fatal(err)
	}
	if in := f.box(ben, social.Inbox); len(in) != 1 || in[0].Status != social.Accepted || in[0].Unread != 0 {
		t.Fatalf("ben's inbox: %+v", in)
	}
}

func TestSocialStrangersOffSwitch(t *testing.T) {
	f := setup(t)
	ana, ben, cyd, dee := f.user("ana"), f.user("ben"), f.user("cyd"), f.user("dee")
	if set, err := f.svc.MessageSettings(f.ctx, ben); err != nil || !set.FromStrangers {
		t.Fatalf("default settings: %+v %v", set, err)
	}
	accepted := f.send(dee, "ben", "old friend here")
	if _, err := f.svc.AcceptConversation(f.ctx, ben, accepted.Conversation.ID); err != nil {
		t.Fatal(err)
	}
	pending := f.send(cyd, "ben", "hi?")
	f.friends(ana, ben)
	if set, err := f.svc.SetMessageSettings(f.ctx, ben, social.MessageSettings{FromStrangers: false}); err != nil || set.FromStrangers {
		t.Fatalf("closing: %+v %v", set, err)
	}
	if set, _ := f.svc.MessageSettings(f.ctx, ben); set.FromStrangers {
		t.Fatal("the setting did not stick")
	}
	before := f.count("messages")
	_, err := f.svc.Send(f.ctx, f.user("eve"), "ben", "hello")
	wantCode(t, err, social.CodeMessagesClosed)
	if !strings.Contains(errs.As(err).Message, "only from friends") {
		t.Fatalf("refusal %q", errs.As(err).Message)
	}
	wantCode(t, func() error { _, err := f.svc.Reply(f.ctx, cyd, pending.Conversation.ID, "still there?"); return err }(), social.CodeMessagesClosed)
	if f.count("messages") != before {
		t.Fatal("a refused message was stored")
	}
	// Friends, and conversations ben accepted, still reach ben.
	if _, err := f.svc.Send(f.ctx, ana, "ben", "it's me"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Send(f.ctx, dee, "ben", "me too"); err != nil {
		t.Fatal(err)
	}
	// Bo may still write to strangers.
	if _, err := f.svc.Send(f.ctx, ben, "cyd", "sorry, friends only"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetMessageSettings(f.ctx, ben, social.MessageSettings{FromStrangers: true}); err != nil {
		t.Fatal(err)
	}
	f.send(f.user("fay"), "ben", "hello")
}

func TestSocialMessageText(t *testing.T) {
	f := setup(t)
	ana, _ := f.user("ana"), f.user("ben")
	for _, text := range []string{"", "   \n\t ", strings.Repeat("字", social.MaxMessage+1), strings.Repeat("a", social.MaxMessage+1)} {
		_, err := f.svc.Send(f.ctx, ana, "ben", text)
		wantCode(t, err, errs.Invalid)
		if errs.As(err).Field != "text" {
			t.Fatalf("field %q", errs.As(err).Field)
		}
	}
	// The limit counts characters, not bytes, after trimming.
	long := strings.Repeat("字", social.MaxMessage)
	if s := f.send(ana, "ben", "  "+long+"\n"); s.Message.Text != long {
		t.Fatal("the longest message was changed")
	}
	for _, to := range []string{"ana", "nobody"} {
		_, err := f.svc.Send(f.ctx, ana, to, "hi")
		wantCode(t, err, map[string]errs.Code{"ana": errs.Invalid, "nobody": errs.NotFound}[to])
	}
	if n := f.count("messages"); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
}

func TestSocialConversationsArePrivate(t *testing.T) {
	f := setup(t)
	ana, ben, cyd := f.user("ana"), f.user("ben"), f.user("cyd")
	s := f.send(ana, "ben", "just us")
	missing := "01zzzzzzzzzzzzzzzzzzzzzzzz"
	for name, call := range map[string]func(id string) error{
		"get":      func(id string) error { _, err := f.svc.Conversation(f.ctx, cyd, id); return err },
		"messages": func(id string) error { _, _, err := f.svc.Messages(f.ctx, cyd, id, store.Page{Limit: 10}); return err },
		"reply":    func(id string) error { _, err := f.svc.Reply(f.ctx, cyd, id, "me too"); return err },
		"accept":   func(id string) error { _, err := f.svc.AcceptConversation(f.ctx, cyd, id); return err },
		"decline":  func(id string) error { _, err := f.svc.DeclineConversation(f.ctx, cyd, id); return err },
		"read":     func(id string) error { _, err := f.svc.MarkRead(f.ctx, cyd, id); return err },
	} {
		theirs, none := call(s.Conversation.ID), call(missing)
		wantCode(t, theirs, errs.NotFound)
		wantCode(t, none, errs.NotFound)
		if a, b := strings.ReplaceAll(errs.As(theirs).Message, s.Conversation.ID, "X"), strings.ReplaceAll(errs.As(none).Message, missing, "X"); a != b {
			t.Errorf("%s: %q differs from %q", name, a, b)
		}
	}
	for _, box := range []string{social.Inbox, social.Requests, social.Declined} {
		if cs := f.box(cyd, box); len(cs) != 0 {
			t.Fatalf("cyd's %s: %+v", box, cs)
		}
	}
	if f.count("messages") != 1 {
		t.Fatal("a stranger's reply was stored")
	}
	if c, _ := f.svc.Conversation(f.ctx, ben, s.Conversation.ID); c.Unread != 1 {
		t.Fatalf("cyd's mark-read touched ben's count: %+v", c)
	}
}

func TestSocialPagination(t *testing.T) {
	f := setup(t)
	ana := f.user("ana")
	var want []string
	for i := range 7 {
		u := f.user(fmt.Sprintf("friend%d", i))
		f.friends(ana, u)
		f.send(u, "ana", fmt.Sprintf("hi %d", i))
		want = append([]string{u.Handle}, want...) // newest first
		f.clock.Advance(time.Second)
	}
	// Two friendships made in the same instant still page cleanly.
	for _, h := range []string{"twin_a", "twin_b"} {
		f.friends(ana, f.user(h))
	}
	var got []string
	p := store.Page{Limit: 3}
	for pages := 0; ; pages++ {
		items, next, err := f.svc.Friends(f.ctx, ana, p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, handles(items)...)
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("the pages do not end")
		}
		if p, err = store.ParsePage(next, "3"); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(got[:2])
	if !slices.Equal(got, append([]string{"twin_a", "twin_b"}, want...)) {
		t.Fatalf("friends over pages: %v", got)
	}
	// Conversations, latest first, over pages.
	var convs []string
	p = store.Page{Limit: 4}
	for {
		items, next, err := f.svc.Conversations(f.ctx, ana, social.Inbox, p)
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, withs(items)...)
		if next == "" {
			break
		}
		p, _ = store.ParsePage(next, "4")
	}
	if !slices.Equal(convs, want) {
		t.Fatalf("conversations over pages: %v, want %v", convs, want)
	}
	// Messages, newest first, over pages.
	ben := f.user("ben")
	f.friends(ana, ben)
	s := f.send(ana, "ben", "m0")
	for i := 1; i < 10; i++ {
		f.send(ana, "ben", fmt.Sprintf("m%d", i))
	}
	var texts []string
	p = store.Page{Limit: 4}
	for {
		items, next, err := f.svc.Messages(f.ctx, ben, s.Conversation.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range items {
			texts = append(texts, m.Text)
		}
		if next == "" {
			break
		}
		p, _ = store.ParsePage(next, "4")
	}
	if !slices.Equal(texts, []string{"m9", "m8", "m7", "m6", "m5", "m4", "m3", "m2", "m1", "m0"}) {
		t.Fatalf("messages over pages: %v", texts)
	}
	// Cursors this server did not make are refused.
	for _, bad := range [][]string{{"x"}, {"1", "2"}, {"-4"}} {
		_, _, err := f.svc.Messages(f.ctx, ben, s.Conversation.ID, store.Page{After: bad, Limit: 4})
		wantCode(t, err, errs.InvalidCursor)
	}
	_, _, err := f.svc.Friends(f.ctx, ana, store.Page{After: []string{"soon", "x"}, Limit: 4})
	wantCode(t, err, errs.InvalidCursor)
	_, _, err = f.svc.Conversations(f.ctx, ana, "archive", store.Page{Limit: 4})
	wantCode(t, err, errs.Invalid)
}
