package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

func TestRegisterLoginMeLogout(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "POST", path: "/api/v1/users", body: map[string]any{"handle": "Mei", "password": "s3cret-pass", "display_name": "小美"}})
	if r.status != http.StatusCreated || r.json["handle"] != "mei" || r.json["role"] != "user" {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": "mei", "password": "s3cret-pass"}})
	tok, _ := r.json["token"].(string)
	if r.status != http.StatusCreated || tok == "" || r.json["token_type"] != "Bearer" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	me := e.do(req{method: "GET", path: "/api/v1/me", token: tok})
	if me.status != 200 || me.json["handle"] != "mei" || me.json["display_name"] != "小美" {
		t.Fatalf("me: %d %s", me.status, me.body)
	}
	if _, ok := me.json["verified"].(map[string]any); !ok {
		t.Fatalf("me without a verified map: %s", me.body)
	}
	if r := e.do(req{method: "DELETE", path: "/api/v1/sessions/current", token: tok}); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "GET", path: "/api/v1/me", token: tok})
	wantProblem(t, r, 401, "unauthenticated")
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
}

func TestBadInputIsRefusedAndNothingIsWritten(t *testing.T) {
	e := newEnv(t)
	reviewerTok := e.user("rita", account.RoleReviewer)
	userTok := e.user("mei", account.RoleUser)
	var users int
	e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM users`).Scan(&users)

	ok := `"handle": "newuser", "password": "long enough"`
	cases := []struct {
		name   string
		r      req
		status int
		code   string
		field  string
	}{
		{"malformed JSON", req{body: `{"handle": "x",`}, 400, "malformed_json", ""},
		{"not JSON at all", req{body: `handle=x`}, 400, "malformed_json", ""},
		{"empty body", req{body: ``}, 400, "malformed_json", ""},
		{"unknown field", req{body: `{` + ok + `, "admin": true}`}, 400, "unknown_field", "admin"},
		{"wrong type", req{body: `{"handle": 5, "password": "long enough"}`}, 400, "wrong_type", "handle"},
		{"an array, not an object", req{body: `[1, 2]`}, 400, "wrong_type", ""},
		{"trailing data", req{body: `{` + ok + `} {"again": 1}`}, 400, "malformed_json", ""},
		{"missing field", req{body: `{"password": "long enough"}`}, 422, "invalid", "handle"},
		{"oversized body", req{body: `{"handle": "` + strings.Repeat("a", 1<<20) + `", "password": "long enough"}`}, 413, "too_large", ""},
		{"not JSON content type", req{body: `{` + ok + `}`, header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type", ""},
		{"handle too long", req{body: `{"handle": "` + strings.Repeat("a", 31) + `", "password": "long enough"}`}, 422, "invalid", "handle"},
		{"handle with forbidden characters", req{body: `{"handle": "a<script>", "password": "long enough"}`}, 422, "invalid", "handle"},
		{"duplicate handle", req{body: `{"handle": "MEI", "password": "long enough"}`}, 409, "handle_taken", "handle"},
		{"password too short", req{body: `{"handle": "newuser", "password": "short"}`}, 422, "invalid", "password"},
		{"password too long", req{body: `{"handle": "newuser", "password": "` + strings.Repeat("p", 129) + `"}`}, 422, "invalid", "password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.method, c.r.path = "POST", "/api/v1/users"
			r := e.do(c.r)
			wantProblem(t, r, c.status, c.code)
			if f, _ := r.json["field"].(string); f != c.field {
				t.Fatalf("field %q, want %q (%s)", f, c.field, r.body)
			}
		})
	}
	var after int
	e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM users`).Scan(&after)
	if after != users {
		t.Fatalf("%d users after refused registrations, had %d", after, users)
	}

	// Tokens and roles.
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/me", token: "qz_forged0000000000000000000000000000000000000"}), 401, "unauthenticated")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/me", header: map[string]string{"Authorization": "Basic bWVpOnB3"}}), 401, "unauthenticated")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/me"}), 401, "unauthenticated")

	claim := e.do(req{method: "POST", path: "/api/v1/me/verifications", token: userTok, body: map[string]any{"kind": "gender", "value": "female"}})
	if claim.status != 201 {
		t.Fatalf("claim: %d %s", claim.status, claim.body)
	}
	id := claim.json["id"].(string)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/verifications/" + id + "/approve", token: userTok}), 403, "forbidden")
	if r := e.do(req{method: "POST", path: "/api/v1/admin/verifications/" + id + "/approve", token: reviewerTok}); r.status != 200 || r.json["verified"] != true {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/verifications/" + id + "/approve", token: reviewerTok}), 409, "already_decided")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/verifications/nope/approve", token: reviewerTok}), 404, "not_found")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/verifications/" + id + "/revoke", token: reviewerTok, body: `{}`}), 422, "invalid")
	// An empty body with a JSON content type is no body, not malformed JSON.
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/verifications/" + id + "/revoke", token: reviewerTok, body: ``}), 422, "invalid")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/verifications/" + id + "/approve", token: reviewerTok, body: `{"expires_at": "tomorrow"}`}), 400, "wrong_type")
}

func TestUnknownHandleAndWrongPasswordGetTheSameAnswer(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	same := map[string]string{"X-Request-Id": "fixed-id"}
	a := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": "mei", "password": "wrong-password"}, header: same})
	b := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": "ghost", "password": "wrong-password"}, header: same})
	wantProblem(t, a, 401, "invalid_credentials")
	if a.status != b.status || string(a.body) != string(b.body) {
		t.Fatalf("answers differ:\n%d %s\n%d %s", a.status, a.body, b.status, b.body)
	}
}

func TestLoginThrottleAnswers429WithRetryAfter(t *testing.T) {
	e := newEnv(t)
	e.user("mei", account.RoleUser)
	for i := 0; i < 10; i++ {
		wantProblem(t, e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": "mei", "password": "guess-" + fmt.Sprint(i)}}), 401, "invalid_credentials")
	}
	r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": "mei", "password": "password-mei"}})
	wantProblem(t, r, 429, "too_many_attempts")
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("429 without a useful Retry-After: %q", ra)
	}
}

func TestAdminDisablesUserAndSessionEndsAtOnce(t *testing.T) {
	e := newEnv(t)
	adminTok := e.user("boss", account.RoleAdmin)
	userTok := e.user("mei", account.RoleUser)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/users/boss/disable", token: userTok}), 403, "forbidden")
	if r := e.do(req{method: "POST", path: "/api/v1/admin/users/mei/disable", token: adminTok, body: map[string]any{"reason": "spam"}}); r.status != 200 || r.json["status"] != "disabled" {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/me", token: userTok}), 401, "unauthenticated")
	r := e.do(req{method: "GET", path: "/api/v1/admin/users/mei", token: adminTok})
	if r.status != 200 || !strings.Contains(string(r.body), `"user.disabled"`) {
		t.Fatalf("admin view lacks the audit entry: %d %s", r.status, r.body)
	}
	wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/admin/users/mei/role", token: adminTok, body: map[string]any{"role": "emperor"}}), 422, "invalid")
}

func TestCredentialsNeverReachTheLogs(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: "POST", path: "/api/v1/users", body: map[string]any{"handle": "mei", "password": "hunter2-secret"}})
	r := e.do(req{method: "POST", path: "/api/v1/sessions", body: map[string]any{"handle": "mei", "password": "hunter2-secret"}})
	tok := r.json["token"].(string)
	e.do(req{method: "GET", path: "/api/v1/me?token=" + tok, token: tok})
	logs := e.logs.String()
	if !strings.Contains(logs, `"route":"GET /api/v1/me"`) {
		t.Fatalf("the request log is missing: %s", logs)
	}
	for _, secret := range []string{"hunter2-secret", tok, tok[3:]} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the logs contain a credential %q", secret)
		}
	}
}

func TestAdminImportsACreditScoreShownOnMe(t *testing.T) {
	e := newEnv(t)
	admin := e.user("boss", account.RoleAdmin)
	rev := e.user("rita", account.RoleReviewer)
	mei := e.user("mei", account.RoleUser)
	if r := e.do(req{method: "GET", path: "/api/v1/me", token: mei}); r.json["credit_score"] != nil {
		t.Fatalf("a new user has a credit score: %s", r.body)
	}
	path := "/api/v1/admin/users/mei/credit"
	wantProblem(t, e.do(req{method: "PUT", path: path, token: rev, body: map[string]any{"score": 700, "source": "sesame", "reason": "import"}}), 403, "forbidden")
	for _, bad := range []map[string]any{
		{"score": 349, "source": "sesame", "reason": "import"},
		{"score": 951, "source": "sesame", "reason": "import"},
		{"score": 700, "source": "", "reason": "import"},
		{"score": 700, "source": "sesame", "reason": " "},
	} {
		wantProblem(t, e.do(req{method: "PUT", path: path, token: admin, body: bad}), 422, "invalid")
	}
	wantProblem(t, e.do(req{method: "PUT", path: path, token: admin, body: `{"score": 700.5, "source": "x", "reason": "y"}`}), 400, "wrong_type")
	wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/admin/users/nobody/credit", token: admin, body: map[string]any{"score": 700, "source": "x", "reason": "y"}}), 404, "not_found")
	if r := e.do(req{method: "PUT", path: path, token: admin, body: map[string]any{"score": 762, "source": "sesame", "reason": "bank partnership import"}}); r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	// The signed-in session sees it at once: the principal was refreshed.
	me := e.do(req{method: "GET", path: "/api/v1/me", token: mei})
	cs, _ := me.json["credit_score"].(map[string]any)
	if cs["score"] != float64(762) || cs["source"] != "external:sesame" {
		t.Fatalf("/me credit_score: %s", me.body)
	}
	view := e.do(req{method: "GET", path: "/api/v1/admin/users/mei", token: admin})
	if !strings.Contains(string(view.body), `"credit.import"`) || !strings.Contains(string(view.body), "bank partnership import") {
		t.Fatalf("the import is not audited: %s", view.body)
	}
}
