package api

import (
	"context"
	"net/http"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/social"
	"github.com/quanzi/quanzi/internal/store"
)

func (s *Server) socialRoutes() {
	if s.Social == nil {
		return
	}
	add := func(method, path, summary string, body, resp any, status int, h handlerFunc, query ...param) {
		s.add(route{Method: method, Path: path, Tag: "social", Access: signedIn, Summary: summary, Body: body, Response: resp,
			Status: status, Query: query, handle: h})
	}
	// Friends.
	add("POST", "/api/v1/friends/requests", "Ask someone to be friends, with an optional note of up to 200 characters. "+
		"If they have already asked you, their request is accepted instead (200, the request accepted).",
		friendRequestBody{}, social.FriendRequest{}, http.StatusCreated, s.requestFriend)
	add("GET", "/api/v1/friends/requests", "Friend requests waiting for an answer, newest first: made to you (box=incoming, the default) or by you (box=outgoing).",
		nil, list[social.FriendRequest]{}, 0, s.friendRequests, append([]param{{"box", "incoming (default) or outgoing"}}, pageParams...)...)
	add("POST", "/api/v1/friends/requests/{id}/accept", "Accept a friend request made to you: you become friends.",
		nil, social.FriendRequest{}, 0, s.decideFriend(s.Social.AcceptFriend))
	add("POST", "/api/v1/friends/requests/{id}/decline", "Decline a friend request made to you; its sender is not told.",
		nil, social.FriendRequest{}, 0, s.decideFriend(s.Social.DeclineFriend))
	add("DELETE", "/api/v1/friends/requests/{id}", "Cancel a friend request you made.",
		nil, nil, http.StatusNoContent, s.cancelFriend)
	add("GET", "/api/v1/friends", "Your friends, the newest friendship first.",
		nil, list[social.Contact]{}, 0, s.friends, pageParams...)
	add("DELETE", "/api/v1/friends/{handle}", "End a friendship, for both of you.",
		nil, nil, http.StatusNoContent, s.unfriend)
	// Follows.
	add("PUT", "/api/v1/follows/{handle}", "Follow someone (one way; they need not agree). Following again changes nothing.",
		nil, social.Contact{}, 0, s.follow)
	add("DELETE", "/api/v1/follows/{handle}", "Stop following someone.",
		nil, nil, http.StatusNoContent, s.unfollow)
	add("GET", "/api/v1/users/{handle}/followers", "Who follows a user, the newest first.",
		nil, list[social.Contact]{}, 0, s.followList(s.Social.Followers), pageParams...)
	add("GET", "/api/v1/users/{handle}/following", "Whom a user follows, the newest first.",
		nil, list[social.Contact]{}, 0, s.followList(s.Social.Following), pageParams...)
	// Blocks.
	add("PUT", "/api/v1/blocks/{handle}", "Block someone: any friendship, pending friend request and follow between you ends, "+
		"and neither of you can friend, follow or message the other while the block stands. They are not told.",
		nil, social.Contact{}, 0, s.block)
	add("DELETE", "/api/v1/blocks/{handle}", "Lift your block (what it ended stays ended).",
		nil, nil, http.StatusNoContent, s.unblock)
	add("GET", "/api/v1/blocks", "Those you block, the newest first.",
		nil, list[social.Contact]{}, 0, s.blocks, pageParams...)
	// Direct messages.
	add("POST", "/api/v1/messages", "Send a direct message (1 to 2,000 characters): to a friend's inbox, or to anyone else's requests as a message request.",
		messageBody{}, social.Sent{}, http.StatusCreated, s.sendMessage)
	add("GET", "/api/v1/conversations", "Your conversations in a box, the latest active first, each with its latest message and your unread count.",
		nil, list[social.Conversation]{}, 0, s.conversations, append([]param{{"box", "inbox (default), requests or declined"}}, pageParams...)...)
	add("GET", "/api/v1/conversations/{id}", "One of your conversations.",
		nil, social.Conversation{}, 0, s.conversation)
	add("GET", "/api/v1/conversations/{id}/messages", "The messages of one of your conversations, the newest first.",
		nil, list[social.Message]{}, 0, s.messages, pageParams...)
	add("POST", "/api/v1/conversations/{id}/messages", "Write in one of your conversations (replying to a message request accepts it).",
		replyBody{}, social.Sent{}, http.StatusCreated, s.reply)
	add("POST", "/api/v1/conversations/{id}/accept", "Accept a message request: the conversation moves to your inbox.",
		nil, social.Conversation{}, 0, s.moveConversation(s.Social.AcceptConversation))
	add("POST", "/api/v1/conversations/{id}/decline", "Decline a message request: it leaves your requests, and its sender cannot write again until you write to them.",
		nil, social.Conversation{}, 0, s.moveConversation(s.Social.DeclineConversation))
	add("POST", "/api/v1/conversations/{id}/read", "Mark every message of the conversation read.",
		nil, social.Conversation{}, 0, s.moveConversation(s.Social.MarkRead))
	add("GET", "/api/v1/me/message-settings", "Who may message you.",
		nil, social.MessageSettings{}, 0, s.messageSettings)
	add("PUT", "/api/v1/me/message-settings", "Set who may message you: with from_strangers false, only friends and conversations you accepted reach you.",
		messageSettingsBody{}, social.MessageSettings{}, 0, s.setMessageSettings)
}

type friendRequestBody struct {
	To      string `json:"to"` // a handle
	Message string `json:"message,omitempty"`
}

type messageBody struct {
	To   string `json:"to"` // a handle
	Text string `json:"text"`
}

type replyBody struct {
	Text string `json:"text"`
}

type messageSettingsBody struct {
	FromStrangers *bool `json:"from_strangers"`
}

func (s *Server) requestFriend(w http.ResponseWriter, r *http.Request) error {
	var req friendRequestBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	fr, err := s.Social.RequestFriend(r.Context(), s.user(r), req.To, req.Message)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if fr.Status == social.Accepted {
		status = http.StatusOK // their request to the caller, accepted
	}
	writeJSON(w, status, fr)
	return nil
}

func (s *Server) friendRequests(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Social.FriendRequests(r.Context(), s.user(r), r.URL.Query().Get("box"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) decideFriend(fn func(ctx context.Context, me account.User, id string) (social.FriendRequest, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		fr, err := fn(r.Context(), s.user(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, fr)
		return nil
	}
}

func (s *Server) cancelFriend(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Social.CancelFriend(r.Context(), s.user(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) friends(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Social.Friends(r.Context(), s.user(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) unfriend(w http.ResponseWriter, r *http.Request) error {
	if err := s.Social.Unfriend(r.Context(), s.user(r), r.PathValue("handle")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) follow(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Social.Follow(r.Context(), s.user(r), r.PathValue("handle"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) unfollow(w http.ResponseWriter, r *http.Request) error {
	if err := s.Social.Unfollow(r.Context(), s.user(r), r.PathValue("handle")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) followList(fn func(ctx context.Context, handle string, p store.Page) ([]social.Contact, string, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := page(r)
		if err != nil {
			return err
		}
		items, next, err := fn(r.Context(), r.PathValue("handle"), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, newList(items, next))
		return nil
	}
}

func (s *Server) block(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Social.Block(r.Context(), s.user(r), r.PathValue("handle"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) unblock(w http.ResponseWriter, r *http.Request) error {
	if err := s.Social.Unblock(r.Context(), s.user(r), r.PathValue("handle")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) blocks(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Social.Blocks(r.Context(), s.user(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) error {
	var req messageBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sent, err := s.Social.Send(r.Context(), s.user(r), req.To, req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sent)
	return nil
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request) error {
	var req replyBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sent, err := s.Social.Reply(r.Context(), s.user(r), r.PathValue("id"), req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sent)
	return nil
}

func (s *Server) conversations(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Social.Conversations(r.Context(), s.user(r), r.URL.Query().Get("box"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) conversation(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Social.Conversation(r.Context(), s.user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	items, next, err := s.Social.Messages(r.Context(), s.user(r), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, next))
	return nil
}

func (s *Server) moveConversation(fn func(ctx context.Context, me account.User, id string) (social.Conversation, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := fn(r.Context(), s.user(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, c)
		return nil
	}
}

func (s *Server) messageSettings(w http.ResponseWriter, r *http.Request) error {
	set, err := s.Social.MessageSettings(r.Context(), s.user(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (s *Server) setMessageSettings(w http.ResponseWriter, r *http.Request) error {
	var req messageSettingsBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.FromStrangers == nil {
		return errs.Field("from_strangers", "Say whether people who are not your friends may message you: from_strangers is true or false.")
	}
	set, err := s.Social.SetMessageSettings(r.Context(), s.user(r), social.MessageSettings{FromStrangers: *req.FromStrangers})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}
