package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/store"
)

// applyAndDecide has applicant ask to join circle id, and owner decide.
func (e *env) applyAndDecide(id, owner, applicant string, approve bool, reason string) {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: applicant, body: map[string]any{}})
	if r.status != 202 {
		e.t.Fatalf("request to join: %d %s", r.status, r.body)
	}
	rid := r.json["request"].(map[string]any)["id"].(string)
	verb := map[bool]string{true: "approve", false: "deny"}[approve]
	if r := e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/join-requests/" + rid + "/" + verb, token: owner,
		body: map[string]any{"reason": reason}}); r.status != 200 {
		e.t.Fatalf("%s: %d %s", verb, r.status, r.body)
	}
}

func items(r response) []map[string]any {
	var out []map[string]any
	for _, it := range r.json["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestJoinDecisionsNotifyTheApplicant(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	id := e.circle(owner, map[string]any{"name": "Night Owls", "join_approval": true})
	e.applyAndDecide(id, owner, ana, false, "tell us more about yourself")
	e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/members", token: ana, body: map[string]any{}})
	r := e.do(req{method: "GET", path: "/api/v1/circles/" + id + "/join-requests", token: owner})
	rid := items(r)[0]["id"].(string)
	e.do(req{method: "POST", path: "/api/v1/circles/" + id + "/join-requests/" + rid + "/approve", token: owner})

	r = e.do(req{method: "GET", path: "/api/v1/notifications", token: ana})
	if r.status != 200 || r.json["unread"] != float64(2) || r.json["next_cursor"] != "" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	list := items(r)
	approved, denied := list[0], list[1]
	if denied["kind"] != "join_decided" || denied["text"] != "denied: tell us more about yourself" || denied["seq"] != float64(1) || denied["read"] != false {
		t.Fatalf("denial %v", denied)
	}
	actor := approved["actor"].(map[string]any)
	c := approved["circle"].(map[string]any)
	if approved["text"] != "approved" || actor["handle"] != "owner" || c["id"] != id || c["name"] != "Night Owls" || approved["created_at"] == nil {
		t.Fatalf("approval %v", approved)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/notifications", token: owner}); len(items(r)) != 0 {
		t.Fatalf("the deciding moderator was notified: %s", r.body)
	}
}

func TestNotificationsAreListedPagedAndMarkedRead(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	id := e.circle(owner, map[string]any{"name": "Readers", "join_approval": true})
	var tokens []string
	for i := range 3 {
		tokens = append(tokens, e.user(fmt.Sprintf("reader%d", i), account.RoleUser))
	}
	ana := tokens[0]
	e.applyAndDecide(id, owner, ana, false, "one")
	e.applyAndDecide(id, owner, ana, false, "two")
	e.applyAndDecide(id, owner, ana, true, "three")

	r := e.do(req{method: "GET", path: "/api/v1/notifications?limit=2", token: ana})
	if len(items(r)) != 2 || r.json["next_cursor"] == "" {
		t.Fatalf("page 1: %s", r.body)
	}
	r2 := e.do(req{method: "GET", path: "/api/v1/notifications?limit=2&cursor=" + r.json["next_cursor"].(string), token: ana})
	if len(items(r2)) != 1 || items(r2)[0]["seq"] != float64(1) || r2.json["next_cursor"] != "" {
		t.Fatalf("page 2: %s", r2.body)
	}
	first := items(r)[0]["id"].(string)
	if r := e.do(req{method: "POST", path: "/api/v1/notifications/read", token: ana, body: map[string]any{"ids": []string{first}}}); r.status != 200 || r.json["unread"] != float64(2) {
		t.Fatalf("mark one: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/notifications/unread", token: ana}); r.json["unread"] != float64(2) {
		t.Fatalf("unread: %s", r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/notifications?unread=true", token: ana}); len(items(r)) != 2 {
		t.Fatalf("unread only: %s", r.body)
	}

	// Refusals change nothing.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/notifications/read", token: ana,
		body: map[string]any{"ids": []string{items(r)[1]["id"].(string), "01nosuchnotification00000"}}}), 404, "unknown_notification")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/notifications/read", token: tokens[1],
		body: map[string]any{"ids": []string{first}}}), 404, "unknown_notification") // another's
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/notifications/read", token: ana, body: map[string]any{}}), 422, "invalid")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/notifications/read", token: ana, body: map[string]any{"ids": []string{first}, "all": true}}), 422, "invalid")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/notifications/read", token: ana, body: map[string]any{"every": true}}), 400, "unknown_field")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/notifications?cursor=" + store.Cursor("x"), token: ana}), 400, "invalid_cursor")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/notifications?cursor=garbage!", token: ana}), 400, "invalid_cursor")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/notifications?unread=maybe", token: ana}), 422, "invalid")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/notifications"}), 401, "unauthenticated")
	if r := e.do(req{method: "GET", path: "/api/v1/notifications/unread", token: ana}); r.json["unread"] != float64(2) {
		t.Fatalf("after refusals: %s", r.body)
	}

	if r := e.do(req{method: "POST", path: "/api/v1/notifications/read", token: ana, body: map[string]any{"all": true}}); r.status != 200 || r.json["unread"] != float64(0) {
		t.Fatalf("mark all: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/notifications", token: ana}); r.json["unread"] != float64(0) || items(r)[0]["read"] != true {
		t.Fatalf("after all: %s", r.body)
	}
}

func TestMutingACircle(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	open := e.circle(owner, map[string]any{"name": "Loud", "join_approval": true})
	closed := e.circle(owner, map[string]any{"name": "Hidden", "visibility": "closed"})

	// A circle one cannot see is not found, exactly as the circles say.
	want := e.do(req{method: "GET", path: "/api/v1/circles/" + closed, token: ana})
	for _, m := range []string{"PUT", "DELETE", "GET"} {
		for _, ref := range []string{closed, "no-such-circle"} {
			r := e.do(req{method: m, path: "/api/v1/circles/" + ref + "/mute", token: ana})
			wantProblem(t, r, 404, "not_found")
			if ref == closed && r.json["detail"] != want.json["detail"] {
				t.Fatalf("%s mute of a closed circle says %q, the circle %q", m, r.json["detail"], want.json["detail"])
			}
		}
	}
	if n := e.count("notify_mutes"); n != 0 {
		t.Fatalf("%d mutes written", n)
	}
	if r := e.do(req{method: "PUT", path: "/api/v1/circles/" + open + "/mute", token: ana}); r.status != 200 || r.json["muted"] != true || r.json["circle_id"] != open {
		t.Fatalf("mute: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/circles/" + open + "/mute", token: ana}); r.json["muted"] != true {
		t.Fatalf("muted? %s", r.body)
	}
	e.applyAndDecide(open, owner, ana, false, "no")
	if r := e.do(req{method: "GET", path: "/api/v1/notifications", token: ana}); len(items(r)) != 0 {
		t.Fatalf("a muted circle notified: %s", r.body)
	}
	if r := e.do(req{method: "DELETE", path: "/api/v1/circles/" + open + "/mute", token: ana}); r.status != 200 || r.json["muted"] != false {
		t.Fatalf("unmute: %d %s", r.status, r.body)
	}
	e.applyAndDecide(open, owner, ana, true, "")
	if r := e.do(req{method: "GET", path: "/api/v1/notifications", token: ana}); len(items(r)) != 1 {
		t.Fatalf("after unmuting: %s", r.body)
	}
}

// sse is a client of the notification stream.
type sse struct {
	res    *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

type sseEvent struct {
	id, event, data, comment string
}

func (e *env) stream(token string, header map[string]string, query string) *sse {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	hr, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/notifications/stream"+query, nil)
	hr.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	s := &sse{res: res, events: make(chan sseEvent, 100), cancel: cancel}
	e.t.Cleanup(s.close)
	if res.StatusCode != 200 {
		return s
	}
	go func() {
		defer close(s.events)
		rd := bufio.NewReader(res.Body)
		var ev sseEvent
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch k, v, _ := strings.Cut(line, ": "); {
			case line == "":
				if ev != (sseEvent{}) {
					s.events <- ev
				}
				ev = sseEvent{}
			case k == "":
				ev.comment = v
			case k == "id":
				ev.id = v
			case k == "event":
				ev.event = v
			case k == "data":
				ev.data = v
			}
		}
	}()
	return s
}

func (s *sse) close() { s.cancel(); s.res.Body.Close() }

// next returns the next event that is not a comment (or the retry line).
func (s *sse) next(t *testing.T, limit time.Duration) sseEvent {
	t.Helper()
	timeout := time.After(limit)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.event != "" {
				return ev
			}
		case <-timeout:
			t.Fatalf("no event in %v", limit)
		}
	}
}

// quiet checks that no event comes for a while.
func (s *sse) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if ok && ev.event != "" {
				t.Fatalf("unexpected event %+v", ev)
			}
			if !ok {
				return
			}
		case <-timeout:
			return
		}
	}
}

func TestTheStreamDeliversLiveAndResumesWithoutRepeats(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	ana := e.user("ana", account.RoleUser)
	id := e.circle(owner, map[string]any{"name": "Live", "join_approval": true})
	e.applyAndDecide(id, owner, ana, false, "before")

	s := e.stream(ana, nil, "")
	if ct := s.res.Header.Get("Content-Type"); s.res.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("%d %s", s.res.StatusCode, ct)
	}
	s.quiet(t, 100*time.Millisecond) // without Last-Event-ID: only what is new
	start := time.Now()
	e.applyAndDecide(id, owner, ana, false, "live one")
	ev := s.next(t, 5*time.Second)
	t.Logf("delivered %v after the decision was sent", time.Since(start))
	var n map[string]any
	if err := json.Unmarshal([]byte(ev.data), &n); err != nil {
		t.Fatal(err)
	}
	if ev.event != "notification" || ev.id != "2" || n["seq"] != float64(2) || n["text"] != "denied: live one" || n["kind"] != "join_decided" {
		t.Fatalf("event %+v", ev)
	}
	e.applyAndDecide(id, owner, ana, false, "live two")
	if ev := s.next(t, 5*time.Second); ev.id != "3" {
		t.Fatalf("second %+v", ev)
	}
	s.close()

	// Resume after 1 (the header, as EventSource sends it): 2 and 3, once.
	e.applyAndDecide(id, owner, ana, false, "while away")
	r := e.stream(ana, map[string]string{"Last-Event-ID": "1"}, "")
	var got []string
	for range 3 {
		got = append(got, r.next(t, 5*time.Second).id)
	}
	if strings.Join(got, ",") != "2,3,4" {
		t.Fatalf("replayed %v", got)
	}
	e.applyAndDecide(id, owner, ana, true, "")
	if ev := r.next(t, 5*time.Second); ev.id != "5" || !strings.Contains(ev.data, `"text":"approved"`) {
		t.Fatalf("live after replay %+v", ev)
	}
	r.quiet(t, 100*time.Millisecond)

	// The query parameter, for a client that opens a new EventSource.
	q := e.stream(ana, nil, "?last_event_id=4")
	if ev := q.next(t, 5*time.Second); ev.id != "5" {
		t.Fatalf("?last_event_id=4 gave %+v", ev)
	}
	q.quiet(t, 50*time.Millisecond)

	// Bad resume points are refused before the stream starts.
	for _, bad := range []string{"abc", "-3", "1e3"} {
		b := e.do(req{method: "GET", path: "/api/v1/notifications/stream", token: ana, header: map[string]string{"Last-Event-ID": bad}})
		wantProblem(t, b, 400, "invalid_last_event_id")
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/notifications/stream"}), 401, "unauthenticated")
}

func TestSigningOutEndsTheStream(t *testing.T) {
	old := streamHeartbeat
	streamHeartbeat = 30 * time.Millisecond
	t.Cleanup(func() { streamHeartbeat = old })
	e := newEnv(t)
	ana := e.user("ana", account.RoleUser)
	s := e.stream(ana, nil, "")
	if r := e.do(req{method: "DELETE", path: "/api/v1/sessions/current", token: ana}); r.status != 204 {
		t.Fatalf("sign out: %d %s", r.status, r.body)
	}
	for timeout := time.After(5 * time.Second); ; {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the stream outlived its session")
		}
	}
}

func TestTheStreamSendsHeartbeatsAndEndsAtShutdown(t *testing.T) {
	old := streamHeartbeat
	streamHeartbeat = 30 * time.Millisecond
	t.Cleanup(func() { streamHeartbeat = old })
	e := newEnv(t)
	ana := e.user("ana", account.RoleUser)
	s := e.stream(ana, nil, "")
	beats := 0
	for timeout := time.After(5 * time.Second); beats < 2; {
		select {
		case ev := <-s.events:
			if ev.comment == "heartbeat" {
				beats++
			}
		case <-timeout:
			t.Fatalf("%d heartbeats", beats)
		}
	}
	e.api.Notes.Shutdown()
	for timeout := time.After(5 * time.Second); ; {
		select {
		case _, ok := <-s.events:
			if !ok {
				wantProblem(t, e.do(req{method: "GET", path: "/api/v1/notifications/stream", token: ana}), 503, "unavailable")
				return
			}
		case <-timeout:
			t.Fatal("the stream outlived the shutdown")
		}
	}
}
