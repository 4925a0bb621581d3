package api

import (
	"context"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

// TestPatchMeChangesTheDisplayName: PATCH /api/v1/me sets the display
// name, which the next request (through the principal cache) shows at
// once, with one audit entry; bad input is a 422 naming the field and
// writes nothing.
func TestPatchMeChangesTheDisplayName(t *testing.T) {
	e := newEnv(t)
	tok := e.user("mei", account.RoleUser)
	ctx := context.Background()
	count := func(q string) int {
		t.Helper()
		var n int
		if err := e.db.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The session is cached before the change.
	if r := e.do(req{method: "GET", path: "/api/v1/me", token: tok}); r.json["display_name"] != "mei" {
		t.Fatalf("before: %s", r.body)
	}

	r := e.do(req{method: "PATCH", path: "/api/v1/me", token: tok, body: map[string]any{"display_name": "  小美 Mei  "}})
	if r.status != 200 || r.json["display_name"] != "小美 Mei" || r.json["handle"] != "mei" {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if _, ok := r.json["verified"].(map[string]any); !ok {
		t.Fatalf("the answer is not the profile: %s", r.body)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/me", token: tok}); r.json["display_name"] != "小美 Mei" {
		t.Fatalf("the next request still shows the old name: %s", r.body)
	}
	if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.display_name'`); n != 1 {
		t.Fatalf("%d audit entries, want 1", n)
	}
	// The same name again changes nothing and records nothing.
	if r := e.do(req{method: "PATCH", path: "/api/v1/me", token: tok, body: `{"display_name": "小美 Mei"}`}); r.status != 200 {
		t.Fatalf("same name: %d %s", r.status, r.body)
	}
	if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.display_name'`); n != 1 {
		t.Fatalf("%d audit entries after setting the same name, want 1", n)
	}

	invalidations := count(`SELECT COUNT(*) FROM cache_invalidations`)
	cases := []struct {
		name, body    string
		status        int
		code, field   string
		detailContain string
	}{
		{"too long", `{"display_name": "` + strings.Repeat("名", 51) + `"}`, 422, "invalid", "display_name", "at most 50 characters"},
		{"empty", `{"display_name": "   "}`, 422, "invalid", "display_name", "Enter a display name"},
		{"invisible characters", `{"display_name": "Mei\u202e"}`, 422, "invalid", "display_name", "invisible"},
		{"missing", `{}`, 422, "invalid", "display_name", "display_name"},
		{"unknown field", `{"display_name": "x", "handle": "boss"}`, 400, "unknown_field", "handle", ""},
		{"wrong type", `{"display_name": 5}`, 400, "wrong_type", "display_name", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(req{method: "PATCH", path: "/api/v1/me", token: tok, body: c.body})
			wantProblem(t, r, c.status, c.code)
			if f, _ := r.json["field"].(string); f != c.field {
				t.Fatalf("field %q, want %q (%s)", f, c.field, r.body)
			}
			if d, _ := r.json["detail"].(string); !strings.Contains(d, c.detailContain) {
				t.Fatalf("detail %q lacks %q", d, c.detailContain)
			}
		})
	}
	if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'user.display_name'`); n != 1 {
		t.Fatalf("%d audit entries after refused changes, want 1", n)
	}
	if n := count(`SELECT COUNT(*) FROM cache_invalidations`); n != invalidations {
		t.Fatalf("refused changes wrote %d invalidations", n-invalidations)
	}
	if r := e.do(req{method: "GET", path: "/api/v1/me", token: tok}); r.json["display_name"] != "小美 Mei" {
		t.Fatalf("a refused change changed the name: %s", r.body)
	}
	wantProblem(t, e.do(req{method: "PATCH", path: "/api/v1/me", body: `{"display_name": "x"}`}), 401, "unauthenticated")

	// The document describes it.
	doc := e.do(req{method: "GET", path: "/api/openapi.json"})
	paths, _ := doc.json["paths"].(map[string]any)
	me, _ := paths["/api/v1/me"].(map[string]any)
	if _, ok := me["patch"]; !ok {
		t.Fatalf("the OpenAPI document lacks PATCH /api/v1/me: %v", me)
	}
}
