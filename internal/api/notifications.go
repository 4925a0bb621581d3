package api

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
)

// Server-sent events: a comment line this often keeps proxies and clients
// from taking a quiet stream for a dead one (and rechecks the session); a
// write that takes longer than streamWriteTimeout means the client
// stopped reading.
var (
	streamHeartbeat    = 25 * time.Second
	streamWriteTimeout = 10 * time.Second
)

func (s *Server) notificationRoutes() {
	if s.Notes == nil {
		return
	}
	add := func(method, path, summary string, body, resp any, h handlerFunc, query ...param) {
		s.add(route{Method: method, Path: path, Tag: "notifications", Access: signedIn, Summary: summary, Body: body, Response: resp, Query: query, handle: h})
	}
	add("GET", "/api/v1/notifications", "The caller's notifications, newest first, with the unread count.",
		nil, notify.Page{}, s.listNotifications, append([]param{{"unread", "true: only those not yet read."}}, pageParams...)...)
	add("GET", "/api/v1/notifications/unread", "How many of the caller's notifications are unread.",
		nil, unreadResponse{}, s.unreadNotifications)
	add("POST", "/api/v1/notifications/read", "Mark notifications read: {\"ids\": [...]} (all or none: an unknown id changes nothing) or {\"all\": true}. Returns the unread count.",
		markReadRequest{}, unreadResponse{}, s.markNotificationsRead)
	s.add(route{Method: "GET", Path: "/api/v1/notifications/stream", Tag: "notifications", Access: signedIn, Raw: true,
		Query: []param{{"last_event_id", "Resume after this notification's seq, as the Last-Event-ID header does (the header wins)."}},
		Summary: "Server-sent events (text/event-stream): each new notification as \"id: <seq>\", \"event: notification\" and its JSON, " +
			"in order, without gaps or repeats; with Last-Event-ID, first those after it. A comment line every 25 s keeps it open. " +
			"The server ends a stream whose client falls behind, and at shutdown: reconnect with Last-Event-ID.",
		handle: s.notificationStream})
	if s.Circles == nil {
		return
	}
	for _, m := range []struct {
		method, summary string
		muted           bool
	}{
		{"PUT", "Mute a circle: no notifications about it until unmuted.", true},
		{"DELETE", "Unmute a circle.", false},
	} {
		s.add(route{Method: m.method, Path: "/api/v1/circles/{id}/mute", Tag: "notifications", Access: signedIn, Summary: m.summary,
			Response: muteResponse{}, handle: s.released("circles", s.muteCircle(m.muted))})
	}
	s.add(route{Method: "GET", Path: "/api/v1/circles/{id}/mute", Tag: "notifications", Access: signedIn,
		Summary: "Whether the caller muted the circle.", Response: muteResponse{}, handle: s.released("circles", s.circleMuted)})
}

type unreadResponse struct {
	Unread int64 `json:"unread"`
}

type markReadRequest struct {
	IDs []string `json:"ids,omitempty"`
	All bool     `json:"all,omitempty"`
}

type muteResponse struct {
	CircleID string `json:"circle_id"`
	Muted    bool   `json:"muted"`
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	unreadOnly := false
	if v := r.URL.Query().Get("unread"); v != "" {
		if unreadOnly, err = strconv.ParseBool(v); err != nil {
			return errs.Field("unread", "unread is true or false, not %q.", errs.Clip(v, 20))
		}
	}
	out, err := s.Notes.List(r.Context(), s.user(r).ID, unreadOnly, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) unreadNotifications(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Notes.Unread(r.Context(), s.user(r).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, unreadResponse{n})
	return nil
}

func (s *Server) markNotificationsRead(w http.ResponseWriter, r *http.Request) error {
	var req markReadRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	n, err := s.Notes.MarkRead(r.Context(), s.user(r).ID, req.IDs, req.All)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, unreadResponse{n})
	return nil
}

// muteCircle mutes a circle the caller can see; one they cannot is not
// found, as everywhere else.
func (s *Server) muteCircle(muted bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a := s.signedInActor(r)
		c, err := s.Circles.Get(r.Context(), a, r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := s.Notes.Mute(r.Context(), a.User.ID, c.ID, muted); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, muteResponse{c.ID, muted})
		return nil
	}
}

func (s *Server) circleMuted(w http.ResponseWriter, r *http.Request) error {
	a := s.signedInActor(r)
	c, err := s.Circles.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	muted, err := s.Notes.Muted(r.Context(), a.User.ID, c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, muteResponse{c.ID, muted})
	return nil
}

// notificationStream serves the caller's notifications as server-sent
// events until the client goes, falls behind, or the server shuts down.
//
// Over HTTP/1.1 it takes the connection over from net/http once the
// stream is open (http.Hijacker), and writes the events itself from a
// goroutine of its own: net/http would otherwise keep 10 KiB of buffers
// and two goroutines for each stream for as long as it lasts, which is
// most of what thousands of open streams cost. Where the connection
// cannot be taken (HTTP/2), the handler serves the stream itself.
func (s *Server) notificationStream(w http.ResponseWriter, r *http.Request) error {
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	after, resume, err := notify.ParseLastEventID(last)
	if err != nil {
		return err
	}
	ctx := r.Context()
	st, err := s.Notes.Stream(ctx, s.user(r).ID, after, resume)
	if err != nil {
		return err
	}
	_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	p := &pump{s: s, st: st, token: strings.TrimSpace(token), requestID: requestID(ctx)}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	rc := http.NewResponseController(w)
	conn, brw, err := rc.Hijack()
	if err == nil && brw.Reader.Buffered() == 0 {
		h.Set("Connection", "close") // the stream's end is the connection's
		h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		var head bytes.Buffer
		head.WriteString("HTTP/1.1 200 OK\r\n")
		h.Write(&head)
		head.WriteString("\r\n")
		go p.runConn(conn, head.Bytes())
		return nil
	}
	if err == nil { // the client sent more after its request: not a stream client
		st.Close()
		conn.Close()
		return nil
	}
	defer st.Close()
	// The server's read timeout is for requests, not for a stream that
	// lasts hours: without this, it would end the stream's context.
	rc.SetReadDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)
	p.run(ctx, func(b []byte) error {
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	})
	return nil
}

// pump writes one stream's events.
type pump struct {
	s         *Server
	st        *notify.Stream
	token     string
	requestID string
}

// runConn serves the stream on a connection taken over from net/http,
// after writing the response head, until the stream ends or the client
// goes; then closes the connection.
func (p *pump) runConn(conn net.Conn, head []byte) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer conn.Close()
	defer p.st.Close()
	go func() {
		// A stream's client sends nothing more: a read returns when it goes.
		var b [1]byte
		conn.Read(b[:])
		cancel()
	}()
	p.run(ctx, func(b []byte) error {
		conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if head != nil {
			b, head = append(head, b...), nil
		}
		_, err := conn.Write(b)
		return err
	})
}

// run writes the retry hint, then each batch of notifications as events,
// and a heartbeat comment in quiet moments, until the stream ends.
func (p *pump) run(ctx context.Context, write func([]byte) error) {
	buf := []byte("retry: 2000\n\n")
	for {
		if err := write(buf); err != nil {
			return
		}
		items, err := p.st.Next(ctx, streamHeartbeat)
		if err != nil {
			if !errors.Is(err, notify.ErrSlow) && !errors.Is(err, notify.ErrShutdown) && ctx.Err() == nil {
				p.s.Logger.WarnContext(ctx, "a notification stream failed", "request_id", p.requestID, "error", err)
			}
			return // headers are out: the stream just ends, and the client resumes
		}
		buf = nil // not kept between events: thousands of streams wait at once
		if len(items) == 0 {
			// A quiet moment: check the session still holds, so signing out
			// (or an account disabled) ends the stream within a heartbeat.
			var err error
			notify.Shallow(func() { _, err = p.s.Accounts.Authenticate(ctx, p.token) })
			if errs.Is(err, errs.Unauthenticated) {
				return
			}
			buf = []byte(": heartbeat\n\n")
		}
		for _, it := range items {
			buf = append(buf, "id: "...)
			buf = strconv.AppendInt(buf, it.Seq, 10)
			buf = append(buf, "\nevent: notification\ndata: "...)
			buf = append(buf, it.Data...)
			buf = append(buf, "\n\n"...)
		}
	}
}
