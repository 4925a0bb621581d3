package social

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// Where a conversation sits for one of its two people: Inbox, Requests,
// or Declined (a message request they declined).
const (
	Inbox    = "inbox"    // accepted, started by them, or between friends
	Requests = "requests" // a message request from a stranger, not yet answered
)

// Message is one direct message.
type Message struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	From           string    `json:"from"` // the sender's handle
	Text           string    `json:"text"`
	CreatedAt      time.Time `json:"created_at"`
	seq            int64
}

// Conversation is a conversation as one of its two people sees it.
type Conversation struct {
	ID   string `json:"id"`
	With Person `json:"with"`
	// Box is where it sits for the caller: inbox, requests or declined.
	Box string `json:"box"`
	// Status is accepted (either may write), pending (a message request
	// waiting: for the caller if Box is requests, else for the other) or
	// declined (a message request declined: by the caller if Box is
	// declined, else by the other).
	Status    string    `json:"status"`
	Unread    int64     `json:"unread"` // messages from the other the caller has not marked read
	Latest    Message   `json:"latest"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Sent is a message just sent, with its conversation.
type Sent struct {
	Message      Message      `json:"message"`
	Conversation Conversation `json:"conversation"`
}

// MessageSettings say who may message a user.
type MessageSettings struct {
	// FromStrangers lets people who are not friends send message
	// requests; when false, only friends (and conversations already
	// accepted) reach the user.
	FromStrangers bool `json:"from_strangers"`
}

// checkText trims a message and checks its length.
func checkText(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case !utf8.ValidString(text):
		return "", errs.Field("text", "A message must be valid UTF-8 text.")
	case n == 0:
		return "", errs.Field("text", "A message needs some text.")
	case n > MaxMessage:
		return "", errs.Field("text", "A message may be at most %d characters; this one has %d.", MaxMessage, n)
	}
	return text, nil
}

// noConversation is the one answer for a conversation that does not exist
// and for one between other people.
func noConversation(id string) error {
	return errs.E(errs.NotFound, "There is no conversation %q among yours.", errs.Clip(id, 40))
}

const sendWhat = "send messages to"

// Send sends a message to handle: into their inbox if we are friends or
// they have accepted our conversation, and otherwise as a message request
// into their requests — unless they take no messages from strangers, or
// declined our request.
func (s *Service) Send(ctx context.Context, me account.User, handle, text string) (Sent, error) {
	text, err := checkText(text)
	if err != nil {
		return Sent{}, err
	}
	var out Sent
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := reach(ctx, tx, me, handle, "to", sendWhat)
		if err != nil {
			return err
		}
		out, err = s.deliver(ctx, tx, me, u, text)
		return err
	})
	return out, err
}

// Reply sends a message in one of my conversations, as Send does.
func (s *Service) Reply(ctx context.Context, me account.User, conversationID, text string) (Sent, error) {
	text, err := checkText(text)
	if err != nil {
		return Sent{}, err
	}
	var out Sent
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var u account.User
		err := tx.QueryRow(ctx, `SELECT u.id, u.handle, u.display_name, u.role, u.status, u.created_at
			FROM conversation_members m JOIN users u ON u.id = m.other_id WHERE m.conversation_id = $1 AND m.user_id = $2`,
			conversationID, me.ID).Scan(&u.ID, &u.Handle, &u.DisplayName, &u.Role, &u.Status, &u.CreatedAt)
		if err == store.ErrNoRows {
			return noConversation(conversationID)
		}
		if err != nil {
			return err
		}
		if err := reachable(ctx, tx, me, u, "", sendWhat); err != nil {
			return err
		}
		out, err = s.deliver(ctx, tx, me, u, text)
		return err
	})
	return out, err
}

// deliver writes a message from me to u, whom I may reach.
func (s *Service) deliver(ctx context.Context, tx *store.Tx, me, u account.User, text string) (Sent, error) {
	lo, hi := pair(me.ID, u.ID)
	var convID, theirs string
	err := tx.QueryRow(ctx, `SELECT c.id, o.box FROM conversations c
		JOIN conversation_members o ON o.conversation_id = c.id AND o.user_id = $3
		WHERE c.user_lo = $1 AND c.user_hi = $2`, lo, hi, u.ID).Scan(&convID, &theirs)
	if err != nil && err != store.ErrNoRows {
		return Sent{}, err
	}
	friends, err := AreFriends(ctx, tx, me.ID, u.ID)
	if err != nil {
		return Sent{}, err
	}
	box := Inbox
	if !friends && theirs != Inbox {
		open, err := fromStrangers(ctx, tx, u.ID)
		if err != nil {
			return Sent{}, err
		}
		switch {
		case !open:
			return Sent{}, errs.E(CodeMessagesClosed, "@%s takes messages only from friends; send them a friend request first.", u.Handle)
		case theirs == Declined:
			return Sent{}, errs.E(CodeRequestDeclined, "@%s declined your message request; you can write again once they write to you or you become friends.", u.Handle)
		}
		box = Requests
	}
	if convID == "" {
		convID = store.NewID(tx.Now)
		_, err := tx.Exec(ctx, `INSERT INTO conversations (id, user_lo, user_hi, last_seq, last_at, created_at) VALUES ($1, $2, $3, 0, $4, $4)`,
			convID, lo, hi, tx.Now)
		if errs.Is(err, errs.Conflict) {
			return Sent{}, store.Retry("conversation started concurrently")
		}
		if err != nil {
			return Sent{}, err
		}
		for _, m := range [][2]string{{me.ID, u.ID}, {u.ID, me.ID}} {
			if _, err := tx.Exec(ctx, `INSERT INTO conversation_members (conversation_id, user_id, other_id, box, read_seq, last_at)
				VALUES ($1, $2, $3, 'inbox', 0, $4)`, convID, m[0], m[1], tx.Now); err != nil {
				return Sent{}, err
			}
		}
	}
	msg := Message{ID: store.NewID(tx.Now), ConversationID: convID, From: me.Handle, Text: text, CreatedAt: tx.Now}
	if err := tx.QueryRow(ctx, `UPDATE conversations SET last_seq = last_seq + 1, last_at = $1 WHERE id = $2 RETURNING last_seq`,
		tx.Now, convID).Scan(&msg.seq); err != nil {
		return Sent{}, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO messages (conversation_id, seq, id, sender_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		convID, msg.seq, msg.ID, me.ID, text, tx.Now); err != nil {
		return Sent{}, err
	}
	// Writing answers a request: the sender has read all there is, and the
	// conversation is in their inbox.
	if _, err := tx.Exec(ctx, `UPDATE conversation_members SET box = 'inbox', read_seq = $1, last_at = $2 WHERE conversation_id = $3 AND user_id = $4`,
		msg.seq, tx.Now, convID, me.ID); err != nil {
		return Sent{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE conversation_members SET box = $1, last_at = $2 WHERE conversation_id = $3 AND user_id = $4`,
		box, tx.Now, convID, u.ID); err != nil {
		return Sent{}, err
	}
	if err := s.notify(ctx, tx, u.ID, KindMessage, me.ID, convID); err != nil {
		return Sent{}, err
	}
	c, err := conversation(ctx, tx, me, convID)
	return Sent{Message: msg, Conversation: c}, err
}

// fromStrangers reads whether userID takes message requests.
func fromStrangers(ctx context.Context, q store.Querier, userID string) (bool, error) {
	open := true
	err := q.QueryRow(ctx, `SELECT messages_from_strangers FROM social_settings WHERE user_id = $1`, userID).Scan(&open)
	if err == store.ErrNoRows {
		return true, nil
	}
	return open, err
}

const conversationColumns = `m.conversation_id, u.handle, u.display_name, m.box, o.box, c.last_seq - m.read_seq, m.last_at,
	x.id, x.seq, w.handle, x.body, x.created_at`

const conversationFrom = ` FROM conversation_members m
	JOIN conversations c ON c.id = m.conversation_id
	JOIN conversation_members o ON o.conversation_id = m.conversation_id AND o.user_id = m.other_id
	JOIN users u ON u.id = m.other_id
	JOIN messages x ON x.conversation_id = m.conversation_id AND x.seq = c.last_seq
	JOIN users w ON w.id = x.sender_id `

func scanConversation(row store.Scanner) (Conversation, error) {
	var c Conversation
	var theirs string
	err := row.Scan(&c.ID, &c.With.Handle, &c.With.DisplayName, &c.Box, &theirs, &c.Unread, &c.UpdatedAt,
		&c.Latest.ID, &c.Latest.seq, &c.Latest.From, &c.Latest.Text, &c.Latest.CreatedAt)
	c.Latest.ConversationID = c.ID
	switch {
	case c.Box == Inbox && theirs == Inbox:
		c.Status = Accepted
	case c.Box == Requests || theirs == Requests:
		c.Status = Pending
	default:
		c.Status = Declined
	}
	return c, err
}

// conversation loads one of my conversations.
func conversation(ctx context.Context, q store.Querier, me account.User, id string) (Conversation, error) {
	c, err := scanConversation(q.QueryRow(ctx, `SELECT `+conversationColumns+conversationFrom+`WHERE m.conversation_id = $1 AND m.user_id = $2`,
		strings.TrimSpace(id), me.ID))
	if err == store.ErrNoRows {
		return c, noConversation(id)
	}
	return c, err
}

// Conversation returns one of my conversations.
func (s *Service) Conversation(ctx context.Context, me account.User, id string) (Conversation, error) {
	return conversation(ctx, s.db, me, id)
}

// Conversations lists my conversations in a box (inbox by default), the
// latest active first, each with its latest message and my unread count.
func (s *Service) Conversations(ctx context.Context, me account.User, box string, p store.Page) ([]Conversation, string, error) {
	switch box {
	case "":
		box = Inbox
	case Inbox, Requests, Declined:
	default:
		return nil, "", errs.Field("box", "The box is inbox, requests or declined, not %q.", errs.Clip(box, 20))
	}
	args := []any{me.ID, box}
	where := ""
	at, key, ok, err := p.AfterTime()
	if err != nil {
		return nil, "", err
	}
	if ok {
		where = ` AND (m.last_at < $3 OR (m.last_at = $3 AND m.conversation_id < $4))`
		args = append(args, at, key)
	}
	args = append(args, p.Limit+1)
	out, err := store.Collect(ctx, s.db, scanConversation, `SELECT `+conversationColumns+conversationFrom+`WHERE m.user_id = $1 AND m.box = $2`+where+`
		ORDER BY m.last_at DESC, m.conversation_id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(c Conversation) []string { return []string{store.Micros(c.UpdatedAt), c.ID} })
	return out, next, nil
}

// Messages lists the messages of one of my conversations, the newest
// first.
func (s *Service) Messages(ctx context.Context, me account.User, id string, p store.Page) ([]Message, string, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM conversation_members WHERE conversation_id = $1 AND user_id = $2`, id, me.ID).Scan(&n); err != nil {
		return nil, "", err
	}
	if n == 0 {
		return nil, "", noConversation(id)
	}
	args := []any{id}
	where := ""
	switch len(p.After) {
	case 0:
	case 1:
		before, err := strconv.ParseInt(p.After[0], 10, 64)
		if err != nil || before < 1 {
			return nil, "", store.BadCursor()
		}
		where = ` AND x.seq < $2`
		args = append(args, before)
	default:
		return nil, "", store.BadCursor()
	}
	args = append(args, p.Limit+1)
	rows, err := s.db.Query(ctx, `SELECT x.id, x.seq, w.handle, x.body, x.created_at FROM messages x JOIN users w ON w.id = x.sender_id
		WHERE x.conversation_id = $1`+where+` ORDER BY x.seq DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m := Message{ConversationID: id}
		if err := rows.Scan(&m.ID, &m.seq, &m.From, &m.Text, &m.CreatedAt); err != nil {
			return nil, "", err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(m Message) []string { return []string{strconv.FormatInt(m.seq, 10)} })
	return out, next, nil
}

// AcceptConversation moves a message request (or one I declined) into my
// inbox: from then on the other may write to me freely.
func (s *Service) AcceptConversation(ctx context.Context, me account.User, id string) (Conversation, error) {
	return s.moveConversation(ctx, me, id, Inbox)
}

// DeclineConversation declines a message request: it leaves my requests,
// and its sender cannot write again until I write to them or we become
// friends. Blocking is the stronger answer.
func (s *Service) DeclineConversation(ctx context.Context, me account.User, id string) (Conversation, error) {
	return s.moveConversation(ctx, me, id, Declined)
}

func (s *Service) moveConversation(ctx context.Context, me account.User, id, to string) (Conversation, error) {
	var out Conversation
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := conversation(ctx, tx, me, id)
		if err != nil {
			return err
		}
		switch {
		case to == Inbox && c.Box == Inbox:
			return errs.E(CodeAlreadyDecided, "Your conversation with @%s is already in your inbox.", c.With.Handle)
		case to == Declined && c.Box == Declined:
			return errs.E(CodeAlreadyDecided, "You already declined @%s's message request.", c.With.Handle)
		case to == Declined && c.Box == Inbox:
			return errs.E(CodeAlreadyDecided, "Your conversation with @%s is in your inbox, not a request to decline; block them to stop their messages.", c.With.Handle)
		}
		if _, err := tx.Exec(ctx, `UPDATE conversation_members SET box = $1 WHERE conversation_id = $2 AND user_id = $3`, to, c.ID, me.ID); err != nil {
			return err
		}
		out, err = conversation(ctx, tx, me, c.ID)
		return err
	})
	return out, err
}

// MarkRead marks every message of one of my conversations read.
func (s *Service) MarkRead(ctx context.Context, me account.User, id string) (Conversation, error) {
	var out Conversation
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE conversation_members SET read_seq = (SELECT last_seq FROM conversations WHERE id = $1)
			WHERE conversation_id = $1 AND user_id = $2`, id, me.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return noConversation(id)
		}
		out, err = conversation(ctx, tx, me, id)
		return err
	})
	return out, err
}

// MessageSettings returns who may message me.
func (s *Service) MessageSettings(ctx context.Context, me account.User) (MessageSettings, error) {
	open, err := fromStrangers(ctx, s.db, me.ID)
	return MessageSettings{FromStrangers: open}, err
}

// SetMessageSettings changes who may message me. Closing to strangers
// refuses new message requests; conversations already accepted go on.
func (s *Service) SetMessageSettings(ctx context.Context, me account.User, set MessageSettings) (MessageSettings, error) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO social_settings (user_id, messages_from_strangers, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET messages_from_strangers = excluded.messages_from_strangers, updated_at = excluded.updated_at`,
			me.ID, set.FromStrangers, tx.Now)
		return err
	})
	return set, err
}
