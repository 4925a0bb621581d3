package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/event/natstest"
	"github.com/quanzi/quanzi/internal/store/storetest"
)

// heldStream is a notification stream held open by a test.
type heldStream struct {
	res    *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

func holdStream(t *testing.T, base, token, lastID string) *heldStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	res, err := openStream(ctx, http.DefaultClient, base, token, lastID)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &heldStream{res: res, events: make(chan sseEvent, 100), cancel: cancel}
	go func() {
		defer close(s.events)
		readEvents(res.Body, func(ev sseEvent) bool { s.events <- ev; return true })
	}()
	t.Cleanup(s.close)
	return s
}

func (s *heldStream) close() { s.cancel(); s.res.Body.Close() }

func (s *heldStream) next(t *testing.T, limit time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(limit):
		t.Fatalf("no notification within %v", limit)
	}
	return sseEvent{}
}

func (s *heldStream) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if ok {
			t.Fatalf("unexpected %+v", ev)
		}
	case <-time.After(d):
	}
}

// signUp registers a user on a node and returns a token.
func signUp(t *testing.T, base, handle string) string {
	t.Helper()
	body := `{"handle":"` + handle + `","password":"cluster-pw-1"}`
	if code, b := postJSON(t, base+"/api/v1/users", "", "", body); code != 201 {
		t.Fatalf("register %s: %d %s", handle, code, b)
	}
	code, b := postJSON(t, base+"/api/v1/sessions", "", "", body)
	var s struct{ Token string }
	json.Unmarshal(b, &s)
	if code != 201 || s.Token == "" {
		t.Fatalf("sign in %s: %d %s", handle, code, b)
	}
	return s.Token
}

// requestToJoin makes a circle that takes members by approval, has the
// applicant ask to join it, and returns the circle and request ids.
func requestToJoin(t *testing.T, base, owner, applicant, name string) (string, string) {
	t.Helper()
	code, b := postJSON(t, base+"/api/v1/circles", owner, "", `{"name":"`+name+`","category":"campus","join_approval":true}`)
	var c struct{ ID string }
	if json.Unmarshal(b, &c); code != 201 {
		t.Fatalf("create circle: %d %s", code, b)
	}
	code, b = postJSON(t, base+"/api/v1/circles/"+c.ID+"/members", applicant, "", `{}`)
	var j struct{ Request struct{ ID string } }
	if json.Unmarshal(b, &j); code != 202 {
		t.Fatalf("request to join: %d %s", code, b)
	}
	return c.ID, j.Request.ID
}

// TestTwoNodesDeliverEachOthersNotificationsThroughNATS runs nats-server
// and two quanzi nodes on one PostgreSQL: a join request decided on node
// A reaches the applicant's stream held on node B; resuming on B with
// Last-Event-ID repeats nothing; a tip on A reaches the author's stream on
// B; and B shuts down promptly with the stream still open.
func TestTwoNodesDeliverEachOthersNotificationsThroughNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs nats-server and two servers")
	}
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("two nodes share one PostgreSQL: set " + storetest.EnvPostgres + " (scripts/test does)")
	}
	nats := natstest.Start(t)
	bin := buildBinary(t)
	args := append(dbArgs(t), "--nats", nats.URL, "--shutdown-timeout", "30s")
	_, nodeA := startBinary(t, bin, args)
	cmdB, nodeB := startBinary(t, bin, args)

	owner, ana := signUp(t, nodeA, "owner"), signUp(t, nodeA, "ana")
	circle, rid := requestToJoin(t, nodeA, owner, ana, "Cluster")
	s := holdStream(t, nodeB, ana, "")
	start := time.Now()
	if code, b := postJSON(t, nodeA+"/api/v1/circles/"+circle+"/join-requests/"+rid+"/approve", owner, "", `{"reason":"welcome"}`); code != 200 {
		t.Fatalf("approve on A: %d %s", code, b)
	}
	ev := s.next(t, 10*time.Second)
	t.Logf("the decision on node A reached the stream on node B %v after it was sent", time.Since(start))
	var n struct {
		Seq    int64
		Kind   string
		Text   string
		Circle struct{ ID string }
	}
	if err := json.Unmarshal([]byte(ev.data), &n); err != nil {
		t.Fatal(err)
	}
	if ev.id != "1" || ev.event != "notification" || n.Seq != 1 || n.Kind != "join_decided" || n.Text != "approved: welcome" || n.Circle.ID != circle {
		t.Fatalf("event %+v", ev)
	}
	s.close()

	// Resume on B from the start: the one notification, once; then the
	// next, decided on A, live.
	r := holdStream(t, nodeB, ana, "0")
	if ev := r.next(t, 10*time.Second); ev.id != "1" {
		t.Fatalf("replay %+v", ev)
	}
	r.quiet(t, 300*time.Millisecond)
	circle2, rid2 := requestToJoin(t, nodeA, owner, ana, "Cluster Two")
	if code, b := postJSON(t, nodeA+"/api/v1/circles/"+circle2+"/join-requests/"+rid2+"/deny", owner, "", `{"reason":"full"}`); code != 200 {
		t.Fatalf("deny on A: %d %s", code, b)
	}
	if ev := r.next(t, 10*time.Second); ev.id != "2" || !strings.Contains(ev.data, `"text":"denied: full"`) {
		t.Fatalf("live after replay %+v", ev)
	}
	r.quiet(t, 300*time.Millisecond)

	// A tip on node A: ana posts in the circle she joined, the owner tips
	// it on A, and the notification reaches ana's stream on B.
	code, b := postJSON(t, nodeA+"/api/v1/circles/"+circle+"/posts", ana, "", `{"text":"hello from ana"}`)
	var p struct{ ID string }
	if json.Unmarshal(b, &p); code != 201 {
		t.Fatalf("post on A: %d %s", code, b)
	}
	if code, b := postJSON(t, nodeA+"/api/v1/wallet/topups", owner, "fund-owner", `{"amount":1000}`); code != 201 {
		t.Fatalf("top-up on A: %d %s", code, b)
	}
	start = time.Now()
	if code, b := postJSON(t, nodeA+"/api/v1/posts/"+p.ID+"/tips", owner, "tip-1", `{"amount":520}`); code != 201 {
		t.Fatalf("tip on A: %d %s", code, b)
	}
	ev = r.next(t, 10*time.Second)
	t.Logf("the tip on node A reached the stream on node B %v after it was sent", time.Since(start))
	var tip struct {
		Kind   string
		Amount int64
		PostID string `json:"post_id"`
		Actor  struct{ Handle string }
	}
	if err := json.Unmarshal([]byte(ev.data), &tip); err != nil {
		t.Fatal(err)
	}
	if ev.id != "3" || tip.Kind != "tip" || tip.Amount != 520 || tip.PostID != p.ID || tip.Actor.Handle != "owner" {
		t.Fatalf("tip notification %+v", ev)
	}
	r.quiet(t, 300*time.Millisecond)

	// B stops gracefully with the stream open, without waiting out its
	// shutdown timeout; the stream ends.
	stopped := time.Now()
	cmdB.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmdB.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node B exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("node B did not stop within 10 s: an open stream held it up")
	}
	for range r.events {
	}
	t.Logf("node B stopped %v after SIGTERM", time.Since(stopped))
}

func TestServeExplainsNATS(t *testing.T) {
	out, _, _ := runCLI(t, "serve", "--help")
	for _, want := range []string{"--nats", "[QUANZI_NATS]", "JetStream"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
	// NATS that does not answer stops the start with a sentence naming it.
	_, _, err := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--nats", "nats://127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "connecting to NATS at nats://127.0.0.1:1") {
		t.Fatalf("unreachable NATS: %v", err)
	}
}

func TestLoadNotify(t *testing.T) {
	args := dbArgs(t)
	ctx, cancel := context.WithCancel(context.Background())
	base, done, _ := startServe(t, ctx, append([]string{"--hash-concurrency", "2"}, args...)...)
	out, errOut, err := runCLI(t, "load", "notify", "--url", base, "--streams", "6", "--per-user", "3", "--rate", "20", "--duration", "1s")
	cancel()
	<-done
	if err != nil || !strings.Contains(out, "0 repeated, 0 streams ended early") || !strings.Contains(out, "p99") || !strings.Contains(out, "with 6 streams open") {
		t.Fatalf("load notify: %v\n%s%s", err, out, errOut)
	}
	if _, _, err := runCLI(t, "load", "notify", "--per-user", "21"); !errors.Is(err, errUsage) {
		t.Fatalf("too many streams per user: %v", err)
	}
}
