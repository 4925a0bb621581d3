package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/errs"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newEnv(t)
	for _, r := range []response{
		e.do(req{method: "GET", path: "/healthz"}),
		e.do(req{method: "GET", path: "/api/v1/me"}),
		e.do(req{method: "GET", path: "/nowhere"}),
		e.do(req{method: "POST", path: "/api/v1/users", body: `{`}),
	} {
		for k, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "strict-origin-when-cross-origin",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%d response: %s = %q, want %q", r.status, k, got, want)
			}
		}
		if r.header.Get("X-Request-Id") == "" {
			t.Errorf("%d response without X-Request-Id", r.status)
		}
	}
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	e := newEnv(t)
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/nothing"}), 404, "not_found")
	r := e.do(req{method: "DELETE", path: "/api/v1/me"})
	wantProblem(t, r, 405, "method_not_allowed")
	if !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Fatalf("405 without Allow: %v", r.header)
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	e := newEnv(t)
	if r := e.do(req{method: "GET", path: "/healthz"}); r.status != 200 || r.json["status"] != "ok" {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	if r := e.do(req{method: "GET", path: "/readyz"}); r.status != 200 || r.json["status"] != "ready" {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	e.do(req{method: "GET", path: "/api/v1/me"})
	e.do(req{method: "BREW", path: "/coffee"})
	m := e.do(req{method: "GET", path: "/metrics"})
	body := string(m.body)
	for _, want := range []string{
		`quanzi_http_requests_total{method="GET",route="GET /api/v1/me",status="401"} 1`,
		`quanzi_http_request_duration_seconds_bucket{method="GET",route="GET /healthz"`,
		`quanzi_db_connections_open{pool=`,
		`go_goroutines`,
		`quanzi_http_requests_total{method="other",route="unmatched",status="404"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Once the database is gone, the process is alive but not ready.
	e.db.Close()
	wantProblem(t, e.do(req{method: "GET", path: "/readyz"}), 503, "unavailable")
	if r := e.do(req{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Fatalf("healthz after the database closed: %d", r.status)
	}
}

func TestOpenAPIDescribesEveryRegisteredRoute(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/api/openapi.json"})
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi.json: %v, version %q", err, doc.OpenAPI)
	}
	if len(e.api.registered) < 20 {
		t.Fatalf("only %d routes registered", len(e.api.registered))
	}
	for _, pattern := range e.api.registered {
		method, path, _ := strings.Cut(pattern, " ")
		op, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s is registered but missing from the OpenAPI document", pattern)
			continue
		}
		if s, _ := op["summary"].(string); len(s) < 10 {
			t.Errorf("%s has no useful summary", pattern)
		}
		if _, ok := op["responses"].(map[string]any); !ok {
			t.Errorf("%s has no responses", pattern)
		}
	}
	// Every $ref points at a schema that exists.
	for _, ref := range regexpAll(string(r.body), `"\$ref": "#/components/schemas/([A-Za-z0-9]+)"`) {
		if _, ok := doc.Components.Schemas[ref]; !ok {
			t.Errorf("dangling $ref to %s", ref)
		}
	}
	me := doc.Components.Schemas["MeResponse"]
	props, _ := me["properties"].(map[string]any)
	for _, f := range []string{"handle", "verified", "claims", "created_at"} {
		if _, ok := props[f]; !ok {
			t.Errorf("MeResponse schema lacks %q (embedded fields must be flattened)", f)
		}
	}
}

// TestEveryCodeHasAStatus finds every errs.Code constant declared in the
// source and checks the API's table maps it to a status.
func TestEveryCodeHasAStatus(t *testing.T) {
	root := filepath.Join("..")
	found := 0
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if !isCodeType(vs.Type) || len(vs.Values) == 0 {
					continue
				}
				lit, ok := vs.Values[0].(*ast.BasicLit)
				if !ok {
					continue
				}
				code, _ := strconv.Unquote(lit.Value)
				found++
				if _, ok := codes[errs.Code(code)]; !ok {
					t.Errorf("%s declares code %q, which the API's status table lacks", path, code)
				}
			}
		}
		return nil
	})
	if found < 20 {
		t.Fatalf("found only %d codes; the scan is broken", found)
	}
}

func isCodeType(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name == "Code"
	case *ast.SelectorExpr:
		return t.Sel.Name == "Code"
	}
	return false
}

func TestClientAddressBelievesOnlyTrustedProxies(t *testing.T) {
	proxies, _ := netip.ParsePrefix("10.0.0.0/8")
	s := &Server{Deps: Deps{TrustedProxies: []netip.Prefix{proxies}}}
	cases := []struct {
		remote, xff, want string
	}{
		{"203.0.113.7:5000", "", "203.0.113.7"},
		{"203.0.113.7:5000", "198.51.100.1", "203.0.113.7"},                    // not a proxy: its header is ignored
		{"10.1.2.3:5000", "198.51.100.1", "198.51.100.1"},                      // a trusted proxy
		{"10.1.2.3:5000", "192.0.2.9, 198.51.100.1, 10.9.9.9", "198.51.100.1"}, // the nearest untrusted hop
		{"10.1.2.3:5000", "garbage", "10.1.2.3"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::/64"}, // one IPv6 /64 is one client
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.clientAddr(r); got != c.want {
			t.Errorf("remote %s, X-Forwarded-For %q: got %q, want %q", c.remote, c.xff, got, c.want)
		}
	}
}

func TestProblemTypesAreDocumented(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "POST", path: "/api/v1/users", body: `{"handle": 1}`})
	typ, _ := r.json["type"].(string)
	doc := e.do(req{method: "GET", path: typ})
	if doc.status != 200 || doc.json["code"] != "wrong_type" || doc.json["status"] != float64(400) {
		t.Fatalf("GET %s: %d %s", typ, doc.status, doc.body)
	}
	wantProblem(t, e.do(req{method: "GET", path: "/api/problems/no_such_code"}), 404, "not_found")
	list := e.do(req{method: "GET", path: "/api/problems"})
	if items, _ := list.json["items"].([]any); len(items) != len(codes) {
		t.Fatalf("/api/problems lists %d codes, the table has %d", len(items), len(codes))
	}
}
