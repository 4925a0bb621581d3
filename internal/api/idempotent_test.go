package api

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// A stand-in money movement for the idempotency layer until the ledger
// lands: it writes an audit entry (the "effect") in the operation's own
// transaction, and refuses amounts over 100.
type moveRequest struct {
	Amount int64 `json:"amount"`
}

type moveResponse struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
}

func moveRoute(s **Server, entered chan<- struct{}, release <-chan struct{}) route {
	return route{Method: "POST", Path: "/api/v1/test/moves", Summary: "A test-only money movement.", Access: signedIn, Idempotent: true,
		Body: moveRequest{}, Response: moveResponse{}, Status: http.StatusCreated,
		handle: func(w http.ResponseWriter, r *http.Request) error {
			body, err := readJSON(w, r)
			if err != nil {
				return err
			}
			var in moveRequest
			if err := decodeStrict(body, &in); err != nil {
				return err
			}
			srv := *s
			return srv.idempotent(w, r, body, func(ctx context.Context, tx *store.Tx) (int, any, error) {
				if in.Amount > 100 {
					return 0, nil, errs.Field("amount", "The amount may be at most 100; it is %d.", in.Amount)
				}
				if entered != nil {
					// The first attempt tells the test it is in; a duplicate
					// running at the same time (PostgreSQL) just waits.
					select {
					case entered <- struct{}{}:
					case <-release:
					}
					<-release
				}
				id := store.NewID(tx.Now)
				_, err := tx.Exec(ctx, `INSERT INTO audit_log (id, action, target_type, target_id, at) VALUES ($1, 'move', 'test', $2, $3)`,
					id, srv.user(r).ID, tx.Now)
				return http.StatusCreated, moveResponse{ID: id, Amount: in.Amount}, err
			})
		}}
}

func newMoveEnv(t *testing.T, entered chan<- struct{}, release <-chan struct{}) *env {
	var s *Server
	e := newEnv(t, moveRoute(&s, entered, release))
	s = e.api
	return e
}

func (e *env) moves() int {
	var n int
	e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'move'`).Scan(&n)
	return n
}

func TestIdempotentRetryReplaysTheFirstResponse(t *testing.T) {
	e := newMoveEnv(t, nil, nil)
	tok := e.user("mei", account.RoleUser)
	key := map[string]string{"Idempotency-Key": "k-1"}
	first := e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 5}`, header: key})
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	again := e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 5}`, header: key})
	if again.status != 201 || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s (replayed %q), want the first response byte for byte", again.status, again.body, again.header.Get("Idempotent-Replayed"))
	}
	if n := e.moves(); n != 1 {
		t.Fatalf("%d moves after a retry, want 1", n)
	}
	// Same key, different body.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 6}`, header: key}), 422, "idempotency_mismatch")
	// Keys are scoped to their caller: another user's k-1 is a new request.
	other := e.user("lei", account.RoleUser)
	if r := e.do(req{method: "POST", path: "/api/v1/test/moves", token: other, body: `{"amount": 5}`, header: key}); r.status != 201 || string(r.body) == string(first.body) {
		t.Fatalf("another caller's same key: %d %s", r.status, r.body)
	}
	// Without a key, every request is a new one.
	e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 5}`})
	e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 5}`})
	if n := e.moves(); n != 4 {
		t.Fatalf("%d moves, want 4", n)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 5}`, header: map[string]string{"Idempotency-Key": "has space"}}), 400, "invalid_idempotency_key")
}

func TestIdempotentRefusalIsReplayedAndWritesNothing(t *testing.T) {
	e := newMoveEnv(t, nil, nil)
	tok := e.user("mei", account.RoleUser)
	key := map[string]string{"Idempotency-Key": "too-much"}
	first := e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 500}`, header: key})
	wantProblem(t, first, 422, "invalid")
	again := e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 500}`, header: key})
	if string(again.body) != string(first.body) || again.status != first.status {
		t.Fatalf("refusal not replayed: %d %s vs %s", again.status, again.body, first.body)
	}
	if n := e.moves(); n != 0 {
		t.Fatalf("%d moves after refusals", n)
	}
}

// A duplicate sent while the first attempt is inside its transaction never
// moves money twice. On PostgreSQL it is told the first is in progress (409);
// on SQLite, whose single writer it queues behind, it gets the replay.
func TestIdempotentConcurrentDuplicateNeverRunsTwice(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	e := newMoveEnv(t, entered, release)
	tok := e.user("mei", account.RoleUser)
	key := map[string]string{"Idempotency-Key": "slow"}
	var wg sync.WaitGroup
	var first, second response
	wg.Add(2)
	go func() {
		defer wg.Done()
		first = e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 7}`, header: key})
	}()
	<-entered // the first attempt is inside its transaction
	go func() {
		defer wg.Done()
		second = e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: `{"amount": 7}`, header: key})
	}()
	time.Sleep(100 * time.Millisecond) // let the duplicate arrive while the first is held (ordering only)
	close(release)
	wg.Wait()
	if first.status != 201 || e.moves() != 1 {
		t.Fatalf("first: %d %s; moves %d, want 1", first.status, first.body, e.moves())
	}
	switch {
	case second.status == 409:
		wantProblem(t, second, 409, "idempotency_in_progress")
		if second.header.Get("Retry-After") == "" {
			t.Fatal("409 in progress without Retry-After")
		}
	case second.status == 201 && string(second.body) == string(first.body):
	default:
		t.Fatalf("duplicate: %d %s; want 409 in progress or the first response replayed", second.status, second.body)
	}
}

func TestIdempotentKeyOfACrashedAttemptIsTakenOverAfterItsLock(t *testing.T) {
	e := newMoveEnv(t, nil, nil)
	tok := e.user("mei", account.RoleUser)
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	e.db.Clock = func() time.Time { return now }
	sess, _ := e.accounts.Authenticate(context.Background(), tok)
	// An attempt of an earlier version claimed the key ahead, for a
	// minute, and died before committing anything.
	body := []byte(`{"amount": 9}`)
	if _, err := e.db.Exec(context.Background(), `INSERT INTO idempotency_keys (scope, idem_key, request_hash, claim, state, locked_until, created_at, expires_at)
		VALUES ($1, 'crash', $2, 'old-claim', 'running', $3, $4, $5)`, sess.User.ID, requestHashFor("POST", "/api/v1/test/moves", body),
		now.Add(time.Minute), now, now.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	key := map[string]string{"Idempotency-Key": "crash"}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: body, header: key}), 409, "idempotency_in_progress")
	now = now.Add(2 * time.Minute)
	r := e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: body, header: key})
	if r.status != 201 || e.moves() != 1 {
		t.Fatalf("after the lease: %d %s, moves %d", r.status, r.body, e.moves())
	}
	var out moveResponse
	json.Unmarshal(r.body, &out)
	if again := e.do(req{method: "POST", path: "/api/v1/test/moves", token: tok, body: body, header: key}); string(again.body) != string(r.body) {
		t.Fatalf("replay after takeover differs: %s vs %s", again.body, r.body)
	}
}

func regexpAll(s, pattern string) []string {
	var out []string
	for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
