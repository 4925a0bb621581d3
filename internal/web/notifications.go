package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/quanzi/quanzi/internal/moderation"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/rollout"
	"github.com/quanzi/quanzi/internal/store"
)

func (a *App) notificationRoutes() {
	a.handle("GET /notifications", options{access: signedIn}, a.notificationsPage)
	a.handle("POST /notifications/read", options{access: signedIn}, a.markAllRead)
	a.handle("GET /notifications/latest", options{access: signedIn}, a.latestNotifications)
	a.handle("POST /notifications/mute", options{access: signedIn, released: "circles"}, a.muteCircle)
}

// noteView is a notification as a sentence in the reader's language, with
// what it quotes and where it leads.
type noteView struct {
	notify.Notification
	Sentence string
	Detail   string // a quoted snippet or the decider's words; "" for none
	Href     string
	Muted    bool // the reader muted the note's circle
}

// actorName is who did it, as the sentence names them.
func actorName(p *Page, n notify.Notification) string {
	if n.Actor == nil {
		return "quanzi"
	}
	if n.Actor.DisplayName != "" {
		return n.Actor.DisplayName
	}
	return "@" + n.Actor.Handle
}

// between returns what s holds between the first open and the last close
// parenthesis, and what follows it: "Your post was not approved (spam).
// Note." gives "spam", "Note.".
func between(s string) (inside, after string) {
	i, j := strings.Index(s, "("), strings.LastIndex(s, ")")
	if i < 0 || j < i {
		return "", ""
	}
	return s[i+1 : j], strings.TrimSpace(strings.TrimPrefix(s[j+1:], "."))
}

// decisionWords joins a decision's reason and note for the detail line.
func decisionWords(p *Page, reason, note string) string {
	out := translateSentence(p, reason)
	if note != "" {
		out = strings.TrimSpace(out + " — " + note)
	}
	return out
}

// describe writes a notification as a sentence by its kind. The sentence
// is ours; what it quotes (a comment, a reason) is the people's own.
func describe(p *Page, n notify.Notification) noteView {
	v := noteView{Notification: n, Href: "/notifications"}
	who := actorName(p, n)
	circleName := ""
	if n.Circle != nil {
		circleName = n.Circle.Name
	}
	if n.PostID != "" {
		v.Href = "/p/" + n.PostID
	}
	switch n.Kind {
	case notify.KindTip:
		v.Sentence, v.Detail = p.T("%s tipped your post %s", who, money(n.Amount)), n.Text
	case notify.KindComment:
		v.Sentence, v.Detail = p.T("%s commented on your post", who), n.Text
	case notify.KindReply:
		v.Sentence, v.Detail = p.T("%s replied to your comment", who), n.Text
	case notify.KindLike:
		v.Sentence, v.Detail = p.T("%s liked your post", who), n.Text
	case notify.KindFriendRequest:
		v.Sentence, v.Href = p.T("%s sent you a friend request", who), "/friends"
	case notify.KindFriendAccepted:
		v.Sentence = p.T("%s accepted your friend request", who)
		if n.Actor != nil {
			v.Href = "/u/" + n.Actor.Handle
		}
	case notify.KindMessage:
		v.Sentence, v.Href = p.T("%s sent you a message", who), "/messages"
		if n.Actor != nil {
			v.Href = "/messages/" + n.Actor.Handle
		}
	case notify.KindJoinDecided:
		status, reason, _ := strings.Cut(n.Text, ": ")
		if status == "approved" {
			v.Sentence = p.T("Your request to join %s was approved", circleName)
		} else {
			v.Sentence = p.T("Your request to join %s was declined", circleName)
		}
		v.Detail = reason
		if n.Circle != nil {
			v.Href = "/c/" + n.Circle.Slug
		}
	case moderation.KindReviewDecided:
		what := p.T("post")
		if n.PostID == "" {
			what = p.T("comment")
		}
		if strings.Contains(n.Text, " was approved") {
			v.Sentence = p.T("Your %s was approved and is published", what)
		} else {
			v.Sentence = p.T("Your %s was not approved", what)
			reason, note := between(n.Text)
			v.Detail = decisionWords(p, reason, note)
		}
	case moderation.KindRemoved:
		switch {
		case strings.HasPrefix(n.Text, "Your post"):
			v.Sentence = p.T("Your post was removed after reports")
		case strings.HasPrefix(n.Text, "Your comment"):
			v.Sentence = p.T("Your comment was removed after reports")
		default:
			v.Sentence = p.T("Reports about you were upheld")
		}
		reason, note := between(n.Text)
		v.Detail = decisionWords(p, reason, note)
	case moderation.KindStrike:
		v.Sentence, v.Detail = p.T("A moderator of %s gave you a strike", circleName), n.Text
	case moderation.KindSuspended:
		v.Sentence, v.Detail = p.T("The platform suspended your account"), n.Text
	case moderation.KindSuspensionLifted:
		v.Sentence = p.T("Your account's suspension was lifted; you can sign in and send money again")
	case moderation.KindCircleShut:
		v.Sentence, v.Detail = p.T("The platform closed a circle you run"), n.Text
	case moderation.KindCircleReopened:
		v.Sentence, v.Detail = p.T("The platform reopened a circle you run"), n.Text
	case moderation.KindAppealDecided:
		if strings.HasPrefix(n.Text, "Your appeal was granted") {
			v.Sentence = p.T("Your appeal was granted; the decision is undone")
		} else {
			v.Sentence = p.T("Your appeal was denied; the decision stands")
		}
		_, v.Detail, _ = strings.Cut(n.Text, ". ")
	case notify.KindClaimApproved, notify.KindClaimRejected, notify.KindClaimRevoked:
		v.Sentence, v.Detail = claimDecision(p, n)
		v.Href = "/me#verified"
	case rollout.KindFlagPaused:
		v.Sentence, v.Detail, v.Href = p.T("A staged release paused itself"), n.Text, "/admin"
	case post.KindTipRefunded:
		v.Sentence = p.T("Your tip of %s came back to your wallet: the post was removed", money(n.Amount))
		v.Href = "/wallet"
	default:
		v.Sentence = p.T("%s: news for you", who)
		v.Detail = n.Text
	}
	return v
}

type notificationsPage struct {
	Items []noteView
	Next  string
}

func (a *App) notificationsPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	ctx, me := r.Context(), p.User()
	pg, err := store.ParsePage(r.URL.Query().Get("cursor"), "")
	if err != nil {
		return err
	}
	list, err := a.Notes.List(ctx, me.ID, false, pg)
	if err != nil {
		return err
	}
	d := notificationsPage{Next: list.NextCursor}
	muted := map[string]bool{}
	for _, n := range list.Items {
		v := describe(p, n)
		if n.Circle != nil {
			m, ok := muted[n.Circle.ID]
			if !ok {
				if m, err = a.Notes.Muted(ctx, me.ID, n.Circle.ID); err != nil {
					return err
				}
				muted[n.Circle.ID] = m
			}
			v.Muted = m
		}
		d.Items = append(d.Items, v)
	}
	p.Unread = list.Unread
	p.Nav, p.Title = "notifications", p.T("Notifications")
	return a.render(w, r, p, http.StatusOK, "notifications", d)
}

func (a *App) markAllRead(w http.ResponseWriter, r *http.Request, p *Page) error {
	if _, err := a.Notes.MarkRead(r.Context(), p.User().ID, nil, true); err != nil {
		return explain(p, err)
	}
	return a.redirect(w, r, "/notifications", p.T("Everything is marked read."))
}

// muteCircle silences (or lets speak again) a circle the reader can see;
// one they cannot is not found, as in the API.
func (a *App) muteCircle(w http.ResponseWriter, r *http.Request, p *Page) error {
	c, err := a.Circles.Get(r.Context(), p.Actor(), r.PostFormValue("circle"))
	if err != nil {
		return explain(p, err)
	}
	mute := r.PostFormValue("mute") == "1"
	if err := a.Notes.Mute(r.Context(), p.User().ID, c.ID, mute); err != nil {
		return err
	}
	done := p.T("You will hear about %s again.", c.Name)
	if mute {
		done = p.T("%s is muted: no more notifications about it.", c.Name)
	}
	return a.redirect(w, r, backTo(r, "/notifications"), done)
}

// toast is a new notification for the live toasts of app.js, in the
// reader's language.
type toast struct {
	Seq  int64  `json:"seq"`
	Text string `json:"text"`
	Href string `json:"href"`
}

// latestNotifications answers app.js when the stream says something new
// came: the reader's visible notifications numbered after ?after=, oldest
// first, as sentences, with the unread count for the badge. It is JSON
// rather than a page: the script puts each sentence in as text.
func (a *App) latestNotifications(w http.ResponseWriter, r *http.Request, p *Page) error {
	after, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if err != nil || after < 0 {
		after = 0
	}
	list, err := a.Notes.List(r.Context(), p.User().ID, false, store.Page{Limit: 10})
	if err != nil {
		return err
	}
	out := struct {
		Unread int64   `json:"unread"`
		Items  []toast `json:"items"`
	}{Unread: list.Unread, Items: []toast{}}
	for i := len(list.Items) - 1; i >= 0; i-- {
		n := list.Items[i]
		if n.Seq <= after {
			continue
		}
		v := describe(p, n)
		out.Items = append(out.Items, toast{Seq: n.Seq, Text: v.Sentence, Href: v.Href})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Cookie, Accept-Language")
	return json.NewEncoder(w).Encode(out)
}
