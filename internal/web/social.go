package web

import (
	"net/http"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

func (a *App) socialRoutes() {
	a.handle("GET /u/{handle}", options{}, a.profilePage)
	for _, act := range []struct {
		verb string
		do   func(*App, *http.Request, *Page, string) (string, error)
	}{
		{"friend", (*App).addFriend}, {"unfriend", (*App).unfriend},
		{"follow", (*App).follow}, {"unfollow", (*App).unfollow},
		{"block", (*App).block}, {"unblock", (*App).unblock},
	} {
		a.handle("POST /u/{handle}/"+act.verb, options{access: signedIn}, func(w http.ResponseWriter, r *http.Request, p *Page) error {
			done, err := act.do(a, r, p, r.PathValue("handle"))
			if err != nil {
				return explain(p, err)
			}
			return a.redirect(w, r, backTo(r, "/u/"+r.PathValue("handle")), done)
		})
	}
	a.handle("GET /friends", options{access: signedIn}, a.friendsPage)
	a.handle("POST /friends", options{access: signedIn}, a.requestFriend)
	a.handle("POST /friends/requests/{id}/{verb}", options{access: signedIn}, a.decideFriend)
	a.handle("GET /moments", options{access: signedIn}, a.momentsPage)
	a.handle("POST /moments", options{access: signedIn, maxBody: maxComposerBody}, a.shareMoment)
	a.handle("GET /messages", options{access: signedIn}, a.messagesPage)
	a.handle("GET /messages/{handle}", options{access: signedIn}, a.conversationPage)
	a.handle("POST /messages/{handle}", options{access: signedIn}, a.sendMessage)
	a.handle("POST /messages/{handle}/{verb}", options{access: signedIn}, a.answerConversation)
}

// backTo is where a button's form goes back to: its "back" field when it
// is a path on this site, else fallback.
func backTo(r *http.Request, fallback string) string {
	if b := r.PostFormValue("back"); b != "" {
		if next := localNext(b); next != "/" || b == "/" {
			return next
		}
	}
	return fallback
}

// badge is a verified attribute as others see it. Gender and birth year
// are said to be verified without saying what they are: circles check
// them, people need not read them.
type badge struct{ Label, Value string }

type profilePage struct {
	User     account.User
	Self     bool
	Badges   []badge
	Relation social.Relation
	Posts    []post.Post
	Next     string
}

func (a *App) profilePage(w http.ResponseWriter, r *http.Request, p *Page) error {
	ctx := r.Context()
	u, err := a.Accounts.UserByHandle(ctx, a.DB, r.PathValue("handle"))
	if err != nil {
		return explain(p, err)
	}
	d := profilePage{User: u, Self: p.Session != nil && p.User().ID == u.ID}
	verified, err := a.Accounts.Verified(ctx, a.DB, u.ID)
	if err != nil {
		return err
	}
	for _, k := range account.Kinds {
		v, ok := verified[k]
		if !ok {
			continue
		}
		b := badge{Label: kindLabel(p, k)}
		if k != account.KindGender && k != account.KindBirthYear {
			b.Value = attrValue(p, k, v)
		}
		d.Badges = append(d.Badges, b)
	}
	if p.Session != nil && !d.Self {
		if d.Relation, err = a.Social.RelationTo(ctx, p.User(), u); err != nil {
			return err
		}
	}
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	if d.Posts, d.Next, err = a.Posts.ByAuthor(ctx, p.Actor(), u.Handle, pg); err != nil {
		return err
	}
	p.Title = u.DisplayName + " (@" + u.Handle + ")"
	if d.Self {
		p.Nav = "me"
	}
	return a.render(w, r, p, http.StatusOK, "user", d)
}

func (a *App) addFriend(r *http.Request, p *Page, handle string) (string, error) {
	req, err := a.Social.RequestFriend(r.Context(), p.User(), handle, r.PostFormValue("message"))
	if err != nil {
		return "", err
	}
	if req.Status == social.Accepted {
		return p.T("You and @%s are now friends.", req.From.Handle), nil
	}
	return p.T("Friend request sent to @%s.", req.To.Handle), nil
}

func (a *App) unfriend(r *http.Request, p *Page, handle string) (string, error) {
	return p.T("You and @%s are no longer friends.", handle), a.Social.Unfriend(r.Context(), p.User(), handle)
}

func (a *App) follow(r *http.Request, p *Page, handle string) (string, error) {
	c, err := a.Social.Follow(r.Context(), p.User(), handle)
	return p.T("You follow @%s now.", c.Handle), err
}

func (a *App) unfollow(r *http.Request, p *Page, handle string) (string, error) {
	return p.T("You no longer follow @%s.", handle), a.Social.Unfollow(r.Context(), p.User(), handle)
}

func (a *App) block(r *http.Request, p *Page, handle string) (string, error) {
	c, err := a.Social.Block(r.Context(), p.User(), handle)
	return p.T("You blocked @%s. Neither of you can reach the other now.", c.Handle), err
}

func (a *App) unblock(r *http.Request, p *Page, handle string) (string, error) {
	return p.T("You unblocked @%s.", handle), a.Social.Unblock(r.Context(), p.User(), handle)
}

type friendsPage struct {
	Friends  []social.Contact
	Next     string
	Incoming []social.FriendRequest
	Outgoing []social.FriendRequest
}

func (a *App) friendsPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	return a.renderFriends(w, r, p, http.StatusOK)
}

func (a *App) renderFriends(w http.ResponseWriter, r *http.Request, p *Page, status int) error {
	ctx, me := r.Context(), p.User()
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	var d friendsPage
	if d.Friends, d.Next, err = a.Social.Friends(ctx, me, pg); err != nil {
		return err
	}
	first := store.Page{Limit: store.MaxLimit}
	if d.Incoming, _, err = a.Social.FriendRequests(ctx, me, social.Incoming, first); err != nil {
		return err
	}
	if d.Outgoing, _, err = a.Social.FriendRequests(ctx, me, social.Outgoing, first); err != nil {
		return err
	}
	p.Nav, p.Title = "social", p.T("Friends")
	return a.render(w, r, p, status, "friends", d)
}

// requestFriend is the "add a friend" form: a handle and an optional note.
func (a *App) requestFriend(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	done, err := a.addFriend(r, p, f.Get("to"))
	if err == nil {
		return a.redirect(w, r, "/friends", done)
	}
	p.Form = f
	if err := p.formError(f, explain(p, err), "to", "message"); err != nil {
		return err
	}
	return a.renderFriends(w, r, p, http.StatusUnprocessableEntity)
}

func (a *App) decideFriend(w http.ResponseWriter, r *http.Request, p *Page) error {
	ctx, me, id := r.Context(), p.User(), r.PathValue("id")
	var req social.FriendRequest
	var err error
	var done string
	switch r.PathValue("verb") {
	case "accept":
		req, err = a.Social.AcceptFriend(ctx, me, id)
		done = p.T("You and @%s are now friends.", req.From.Handle)
	case "decline":
		req, err = a.Social.DeclineFriend(ctx, me, id)
		done = p.T("You declined @%s's friend request.", req.From.Handle)
	case "cancel":
		req, err = a.Social.CancelFriend(ctx, me, id)
		done = p.T("Your friend request to @%s is withdrawn.", req.To.Handle)
	default:
		return a.notFound(w, r, p)
	}
	if err != nil {
		return explain(p, err)
	}
	return a.redirect(w, r, backTo(r, "/friends"), done)
}
