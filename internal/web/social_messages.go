package web

import (
	"net/http"
	"slices"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

type messagesPage struct {
	Box           string // inbox or requests
	Conversations []social.Conversation
	Next          string
}

func (a *App) messagesPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	box := social.Inbox
	if q.Get("box") == social.Requests {
		box = social.Requests
	}
	pg, err := store.ParsePage(q.Get("cursor"), "")
	if err != nil {
		return err
	}
	d := messagesPage{Box: box}
	if d.Conversations, d.Next, err = a.Social.Conversations(r.Context(), p.User(), box, pg); err != nil {
		return err
	}
	p.Nav, p.Title = "social", p.T("Messages")
	return a.render(w, r, p, http.StatusOK, "messages", d)
}

// bubble is one message as the conversation shows it.
type bubble struct {
	social.Message
	Mine bool
}

type conversationPage struct {
	With account.User
	// Conversation is nil before the first message.
	Conversation *social.Conversation
	Messages     []bubble // oldest first
	Older        string   // cursor of the page before, "" when this is the start
	Blocked      string   // why nothing can be sent, when a block stands between us
}

func (a *App) conversationPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.renderConversation(w, r, p, http.StatusOK)
}

func (a *App) renderConversation(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	ctx, me := r.Context(), p.User()
	u, err := a.Accounts.UserByHandle(ctx, a.DB, r.PathValue("handle"))
	if err != nil {
		return explain(p, err)
	}
	if u.ID == me.ID {
		return errs.E(errs.NotFound, "You cannot send messages to yourself.")
	}
	d := conversationPage{With: u}
	rel, err := a.Social.RelationTo(ctx, me, u)
	if err != nil {
		return err
	}
	if rel.Blocked {
		d.Blocked = translateSentence(p, errs.As(social.BlockedError(u.Handle, "send messages to each other")).Message)
	}
	c, err := a.Social.ConversationWith(ctx, me, u.Handle)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return err
	default:
		d.Conversation = &c
		pg, err := store.ParsePage(r.URL.Query().Get("before"), "30")
		if err != nil {
			return err
		}
		msgs, older, err := a.Social.Messages(ctx, me, c.ID, pg)
		if err != nil {
			return err
		}
		d.Older = older
		for _, m := range slices.Backward(msgs) {
			d.Messages = append(d.Messages, bubble{Message: m, Mine: m.From == me.Handle})
		}
	}
	p.Nav, p.Title = "social", p.T("Messages with %s", u.DisplayName)
	return a.render(w, r, p, status, "messages_thread", d)
}

func (a *App) sendMessage(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	handle := r.PathValue("handle")
	_, err := a.Social.Send(r.Context(), p.User(), handle, f.Get("text"))
	if err == nil {
		return a.redirect(w, r, "/messages/"+handle+"#latest", "")
	}
	p.Form = f
	if err := p.formError(f, explain(p, err), "text"); err != nil {
		return err
	}
	return a.renderConversation(w, r, p, http.StatusUnprocessableEntity)
}

// answerConversation accepts or declines a message request, or marks a
// conversation read.
func (a *App) answerConversation(w http.ResponseWriter, r *http.Request, p *Page) error {
	ctx, me, handle := r.Context(), p.User(), r.PathValue("handle")
	c, err := a.Social.ConversationWith(ctx, me, handle)
	if err != nil {
		return explain(p, err)
	}
	var done string
	switch r.PathValue("verb") {
	case "accept":
		_, err = a.Social.AcceptConversation(ctx, me, c.ID)
		done = p.T("@%s's messages now come to your inbox.", c.With.Handle)
	case "decline":
		_, err = a.Social.DeclineConversation(ctx, me, c.ID)
		done = p.T("You declined @%s's message request.", c.With.Handle)
	case "read":
		_, err = a.Social.MarkRead(ctx, me, c.ID)
	default:
		return a.notFound(w, r, p)
	}
	if err != nil {
		return explain(p, err)
	}
	if r.Header.Get("X-Requested-With") == "fetch" { // messages.js marks read in the background
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	to := "/messages/" + c.With.Handle
	if r.PathValue("verb") == "decline" {
		to = "/messages?box=requests"
	}
	return a.redirect(w, r, to, done)
}
