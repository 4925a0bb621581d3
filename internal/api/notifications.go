package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
)

// Server-sent events: a comment line this often keeps proxies and clients
// from taking a quiet stream for a dead one; a write that takes longer
// than streamWriteTimeout means the client stopped reading.
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
	defer st.Close()
	rc := http.NewResponseController(w)
	// The server's read timeout is for requests, not for a stream that
	// lasts hours: without this, it would end the stream's context.
	rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	buf := []byte("retry: 2000\n\n")
	for {
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(buf); err != nil {
			return nil
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		items, err := st.Next(ctx, streamHeartbeat)
		if err != nil {
			if !errors.Is(err, notify.ErrSlow) && !errors.Is(err, notify.ErrShutdown) && ctx.Err() == nil {
				s.Logger.WarnContext(ctx, "a notification stream failed", "request_id", requestID(ctx), "error", err)
			}
			return nil // headers are out: the stream just ends, and the client resumes
		}
		if cap(buf) > 16<<10 {
			buf = nil // a long replay's buffer is not kept for the hours after
		}
		buf = buf[:0]
		if len(items) == 0 {
			buf = append(buf, ": heartbeat\n\n"...)
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
