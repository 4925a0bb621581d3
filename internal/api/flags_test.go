package api

import (
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

func TestFlagsOverTheAPI(t *testing.T) {
	e := newEnv(t)
	boss := e.user("boss", account.RoleAdmin)
	mei := e.user("mei", account.RoleUser)
	wei := e.user("wei", account.RoleUser)
	r := e.do(req{method: "PUT", path: "/api/v1/admin/flags/circles", token: boss,
		body: map[string]any{"enabled": true, "percentage": 0, "allow": []string{"@Mei"}, "description": "the circles feature"}})
	if r.status != 200 || r.json["key"] != "circles" || r.json["allow"].([]any)[0] != "mei" {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	if got := e.do(req{method: "GET", path: "/api/v1/me/features", token: mei}); got.json["features"].(map[string]any)["circles"] != true {
		t.Fatalf("mei, on the allow list: %s", got.body)
	}
	if got := e.do(req{method: "GET", path: "/api/v1/me/features", token: wei}); got.json["features"].(map[string]any)["circles"] != false {
		t.Fatalf("wei, at 0%%: %s", got.body)
	}
	// Bad input is refused and changes nothing.
	for _, c := range []struct {
		path string
		body map[string]any
		code string
	}{
		{"/api/v1/admin/flags/circles", map[string]any{"enabled": true, "percentage": 120}, "invalid"},
		{"/api/v1/admin/flags/circles", map[string]any{"enabled": true, "segment": "user.credit_score >>= 1"}, "invalid_policy"},
		{"/api/v1/admin/flags/Bad%20Key", map[string]any{"enabled": true}, "invalid"},
	} {
		wantProblem(t, e.do(req{method: "PUT", path: c.path, token: boss, body: c.body}), 422, c.code)
	}
	if got := e.do(req{method: "GET", path: "/api/v1/admin/flags/circles", token: boss}); got.json["percentage"] != float64(0) || got.json["enabled"] != true {
		t.Fatalf("a refused change changed the flag: %s", got.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/admin/flags/nope", token: boss}), 404, "not_found")
	wantProblem(t, e.do(req{method: "PUT", path: "/api/v1/admin/flags/circles", token: mei, body: map[string]any{"enabled": false}}), 403, "forbidden")
	if got := e.do(req{method: "GET", path: "/api/v1/admin/flags", token: boss}); len(got.json["items"].([]any)) != 1 {
		t.Fatalf("list: %s", got.body)
	}
	if got := e.do(req{method: "POST", path: "/api/v1/admin/flags/circles/pause", token: boss}); got.status != 200 || got.json["paused_at"] == nil {
		t.Fatalf("pause: %d %s", got.status, got.body)
	}
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/admin/flags/nope/pause", token: boss}), 404, "not_found")
	// The circles feature follows its flag: mei (allowed) has it, wei (at
	// 0%) and the signed-out do not — on every circle path.
	e.do(req{method: "POST", path: "/api/v1/admin/flags/circles/resume", token: boss})
	if got := e.do(req{method: "GET", path: "/api/v1/circles", token: mei}); got.status != 200 {
		t.Fatalf("mei, released: %d %s", got.status, got.body)
	}
	for _, tok := range []string{wei, ""} {
		for _, p := range []string{"/api/v1/circles", "/api/v1/circles/anything", "/api/v1/circle-categories"} {
			wantProblem(t, e.do(req{method: "GET", path: p, token: tok}), 404, "feature_unavailable")
		}
	}
	var n int
	e.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM audit_log WHERE action = 'flag.put'`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d audit entries for one change", n)
	}
}

func TestCreditIsComputedAndExplained(t *testing.T) {
	e := newEnv(t)
	boss := e.user("boss", account.RoleAdmin)
	mei := e.user("mei", account.RoleUser)
	e.user("lei", account.RoleUser)
	e.verify("mei", map[string]any{"identity_level": 2}, 0)
	e.do(req{method: "POST", path: "/api/v1/wallet/topups", token: mei, body: map[string]any{"amount": 50_000}})
	e.do(req{method: "POST", path: "/api/v1/transfers", token: mei, body: map[string]any{"to": "lei", "amount": 1_000}})
	r := e.do(req{method: "GET", path: "/api/v1/me/credit", token: mei})
	factors, _ := r.json["factors"].([]any)
	if r.status != 200 || r.json["source"] != "computed" || len(factors) != 5 {
		t.Fatalf("credit: %d %s", r.status, r.body)
	}
	// 350, identity level 2 (93), two payments, ¥510 moved, a clean record (140).
	if s := r.json["score"].(float64); s < 350+93+140 || s > 700 {
		t.Fatalf("score %v: %s", s, r.body)
	}
	if identity := factors[0].(map[string]any); identity["points"] != float64(93) || identity["raise"] != "Verify your identity to level 3." {
		t.Fatalf("identity factor: %v", identity)
	}
	// It is the score rules see: on /me too.
	if me := e.do(req{method: "GET", path: "/api/v1/me", token: mei}); me.json["credit_score"].(map[string]any)["score"] != r.json["score"] {
		t.Fatalf("/me says %v, /me/credit %v", me.json["credit_score"], r.json["score"])
	}
	// An imported score is the score, shown with its source; the computed
	// one is still explained beside it.
	e.do(req{method: "PUT", path: "/api/v1/admin/users/mei/credit", token: boss, body: map[string]any{"score": 812, "source": "bureau", "reason": "test"}})
	r = e.do(req{method: "GET", path: "/api/v1/me/credit", token: mei})
	if r.json["score"] != float64(812) || r.json["source"] != "external:bureau" || r.json["computed"].(float64) >= 812 {
		t.Fatalf("after an import: %s", r.body)
	}
	if h, _ := r.json["history"].([]any); len(h) != 2 || h[0].(map[string]any)["source"] != "external:bureau" || h[1].(map[string]any)["source"] != "computed" {
		t.Fatalf("history, newest first: %v", r.json["history"])
	}
}
