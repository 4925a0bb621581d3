package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/event"
	"github.com/quanzi/quanzi/internal/store"
)

// Stream limits.
const (
	// StreamBuffer bounds the live notifications waiting for one stream's
	// client. A client further behind is cut off (ErrSlow) and resumes
	// from the database with Last-Event-ID.
	StreamBuffer = 64
	// MaxStreamsPerUser bounds the streams one user holds open on a node.
	MaxStreamsPerUser = 20
	// catchUpPage is how many notifications a stream reads at once when it
	// replays from the database.
	catchUpPage = 100
)

// Why a stream ended.
var (
	ErrSlow     = errors.New("notify: the client fell too far behind; it resumes from the last notification it received")
	ErrShutdown = errors.New("notify: the server is shutting down")
)

// Item is one notification a stream sends: its number (the SSE event id)
// and the notification as JSON.
type Item struct {
	Seq  int64
	Data []byte
}

// live is a new notification handed to the streams of its recipient.
type live struct {
	seq         int64
	membersOnly bool
	data        []byte
}

// Stream is one client's live view of a user's notifications: first those
// after the number it resumes from, then each new one as it commits, in
// order, without gaps or repeats.
type Stream struct {
	s       *Service
	userID  string
	last    int64 // the number of the last notification sent (or skipped)
	catchUp bool  // the database holds some not yet sent
	ch      chan *live
	timer   *time.Timer
	done    chan struct{}
	once    sync.Once
	err     error // why it ended; set before done closes
}

// Stream opens a live stream of the user's notifications on this node.
// With resume, it first replays those numbered after after (from the
// database); without, it starts with the next new one. Close it when done.
func (s *Service) Stream(ctx context.Context, userID string, after int64, resume bool) (*Stream, error) {
	st := &Stream{s: s, userID: userID, ch: make(chan *live, StreamBuffer), done: make(chan struct{})}
	// Listen before reading where to start: a notification that commits
	// in between is then both in the database and on the way, and the
	// numbers drop the repeat.
	if err := s.hub.add(st); err != nil {
		return nil, err
	}
	var last int64
	var err error
	Shallow(func() {
		err = s.db.QueryRow(ctx, `SELECT last_seq FROM notify_state WHERE user_id = $1`, userID).Scan(&last)
	})
	if err != nil && err != store.ErrNoRows {
		s.hub.remove(st)
		return nil, err
	}
	st.last = last
	if resume && after < last {
		// A number beyond the last one given out (another server's, or a
		// client's invention) resumes from now.
		st.last, st.catchUp = after, true
	}
	st.timer = time.NewTimer(time.Hour)
	st.timer.Stop()
	return st, nil
}

// Next returns the next notifications to send, waiting up to wait for a
// new one; none (and no error) means the wait ran out: time for a
// heartbeat. An error ends the stream: ErrSlow, ErrShutdown, or the
// context's.
func (st *Stream) Next(ctx context.Context, wait time.Duration) ([]Item, error) {
	st.timer.Reset(wait)
	defer st.timer.Stop()
	for {
		if st.catchUp {
			var items []Item
			var err error
			Shallow(func() { items, err = st.s.replay(ctx, st.userID, st.last) })
			if err != nil {
				return nil, err
			}
			st.catchUp = len(items) == catchUpPage
			if len(items) > 0 {
				st.last = items[len(items)-1].Seq
				return items, nil
			}
		}
		select {
		case n := <-st.ch:
			switch {
			case n.seq <= st.last: // sent already (replayed, or delivered twice)
			case n.seq == st.last+1 && !n.membersOnly:
				st.last = n.seq
				return []Item{{n.seq, n.data}}, nil
			default:
				// A gap (this node heard of a later one first), or a note
				// that only the circle's members may see: the database
				// has it, and decides.
				st.catchUp = true
			}
		case <-st.done:
			return nil, st.err
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-st.timer.C:
			return nil, nil
		}
	}
}

// replay reads the next page of notifications after after, encoded.
func (s *Service) replay(ctx context.Context, userID string, after int64) ([]Item, error) {
	ns, err := s.since(ctx, userID, after, catchUpPage)
	if err != nil {
		return nil, err
	}
	items := make([]Item, len(ns))
	for i, n := range ns {
		b, err := json.Marshal(n)
		if err != nil {
			return nil, errs.Wrap(err, "encoding a notification")
		}
		items[i] = Item{n.Seq, b}
	}
	return items, nil
}

// Shallow runs f on a goroutine of its own and waits for it. A stream's
// goroutine lives for hours and keeps the stack it once grew; database
// calls need deep ones (the SQLite driver especially), so a stream makes
// them here, and idles on a small stack: with thousands of streams open
// the difference is most of their memory.
func Shallow(f func()) {
	var p any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { p = recover() }()
		f()
	}()
	<-done
	if p != nil {
		panic(p)
	}
}

// Done is closed when the stream ends from the server's side (ErrSlow,
// ErrShutdown).
func (st *Stream) Done() <-chan struct{} { return st.done }

// Close ends the stream and lets go of it.
func (st *Stream) Close() {
	st.end(context.Canceled)
	st.s.hub.remove(st)
}

func (st *Stream) end(err error) {
	st.once.Do(func() {
		st.err = err
		close(st.done)
	})
}

// push hands a new notification to the stream, never waiting: a stream
// whose buffer is full is ended instead.
func (st *Stream) push(n *live) {
	select {
	case st.ch <- n:
	default:
		st.end(ErrSlow)
	}
}

// hub holds this node's open streams by user.
type hub struct {
	mu     sync.RWMutex
	users  map[string][]*Stream
	n      int
	closed bool
}

func newHub() *hub { return &hub{users: map[string][]*Stream{}} }

func (h *hub) add(st *Stream) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return &errs.Error{Code: errs.Unavailable, Message: "The server is shutting down; connect again in a moment.", RetryAfter: time.Second}
	}
	if len(h.users[st.userID]) >= MaxStreamsPerUser {
		return &errs.Error{Code: errs.RateLimited, RetryAfter: 30 * time.Second,
			Message: "You have too many notification streams open; close some (each browser tab holds one)."}
	}
	h.users[st.userID] = append(h.users[st.userID], st)
	h.n++
	return nil
}

func (h *hub) remove(st *Stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.users[st.userID]
	for i, x := range list {
		if x == st {
			list[i] = list[len(list)-1]
			list[len(list)-1] = nil
			list = list[:len(list)-1]
			h.n--
			break
		}
	}
	if len(list) == 0 {
		delete(h.users, st.userID)
	} else {
		h.users[st.userID] = list
	}
}

// deliver hands a new notification's event to its recipient's streams.
func (h *hub) deliver(ev event.Event) {
	type one struct {
		UserID      string          `json:"user_id"`
		MembersOnly bool            `json:"members_only"`
		Note        json.RawMessage `json:"note"`
	}
	var notes []one
	if ev.Subject == batchSubject {
		var b struct {
			Notes []one `json:"notes"`
		}
		if json.Unmarshal(ev.Data, &b) != nil {
			return // not one of ours: the streams read the database on their next gap
		}
		notes = b.Notes
	} else {
		var w one
		if json.Unmarshal(ev.Data, &w) != nil {
			return
		}
		w.UserID = strings.TrimPrefix(ev.Subject, subjectPrefix)
		notes = []one{w}
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, w := range notes {
		streams := h.users[w.UserID]
		if len(streams) == 0 {
			continue
		}
		var seq struct {
			Seq int64 `json:"seq"`
		}
		if json.Unmarshal(w.Note, &seq) != nil || seq.Seq < 1 {
			continue
		}
		n := &live{seq: seq.Seq, membersOnly: w.MembersOnly, data: w.Note}
		for _, st := range streams {
			st.push(n)
		}
	}
}

// shutdown ends every stream and refuses new ones.
func (h *hub) shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, list := range h.users {
		for _, st := range list {
			st.end(ErrShutdown)
		}
	}
}

// Shutdown ends every open stream on this node and refuses new ones, so
// that a server shutting down is not held up by clients that never leave
// (http.Server.RegisterOnShutdown). Clients reconnect to another node.
func (s *Service) Shutdown() { s.hub.shutdown() }

// Streams returns how many streams are open on this node.
func (s *Service) Streams() int {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	return s.hub.n
}
