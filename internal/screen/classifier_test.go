package screen

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeClassifier answers with reply (and status), and records what it got.
func fakeClassifier(t *testing.T, status int, reply string) (*httptest.Server, *[]string) {
	t.Helper()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.Header.Get("Content-Type")+" "+string(body))
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestClassifierScoresOrSaysWhyNot(t *testing.T) {
	ctx := context.Background()
	srv, got := fakeClassifier(t, 200, `{"score": 0.93}`)
	c := &Classifier{URL: srv.URL, Hold: 0.8}
	score, err := c.Score(ctx, []byte("PNGDATA"), "image/png")
	if err != nil || score != 0.93 {
		t.Fatalf("score: %v, %v", score, err)
	}
	if len(*got) != 1 || (*got)[0] != "POST image/png PNGDATA" {
		t.Fatalf("the classifier got %q", *got)
	}

	for _, c := range []struct {
		name   string
		status int
		reply  string
	}{
		{"a server error", 500, `{"score": 0.1}`},
		{"not JSON", 200, `<html>`},
		{"no score", 200, `{"label": "fine"}`},
		{"a score above 1", 200, `{"score": 1.5}`},
		{"a negative score", 200, `{"score": -0.1}`},
		{"a reply too long", 200, `{"score": 0.1, "x": "` + strings.Repeat("a", maxClassifierReply) + `"}`},
	} {
		srv, _ := fakeClassifier(t, c.status, c.reply)
		if s, err := (&Classifier{URL: srv.URL, Hold: 0.8}).Score(ctx, []byte("x"), "image/jpeg"); err == nil {
			t.Errorf("%s: got score %v, want an error", c.name, s)
		}
	}

	// Nothing listens: an error, not a score.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if s, err := (&Classifier{URL: "http://" + addr + "/score", Hold: 0.8}).Score(ctx, []byte("x"), "image/jpeg"); err == nil {
		t.Fatalf("an unreachable classifier scored %v", s)
	}
}
