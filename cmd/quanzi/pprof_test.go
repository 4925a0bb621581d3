package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestPprofOnlyOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, addr := range []string{"0.0.0.0:0", ":6060", "192.0.2.1:6060", "example.com:6060", "nonsense"} {
		if err := servePprof(ctx, addr, log); err == nil || !strings.Contains(err.Error(), "--pprof") {
			t.Fatalf("--pprof %s: %v", addr, err)
		}
	}
	if err := servePprof(ctx, "127.0.0.1:0", log); err != nil {
		t.Fatal(err)
	}
}
