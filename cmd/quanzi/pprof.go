package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

const (
	mutexSampling = 100
	blockRate     = int(100 * time.Microsecond)
)

// servePprof serves Go's profiler on addr until ctx ends, on a listener of
// its own so that it is never reachable through the app's address. Only
// loopback addresses are accepted: a profile shows the program's insides.
func servePprof(ctx context.Context, addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--pprof %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--pprof %q: give a loopback address such as 127.0.0.1:6060; the profiler must not face the network", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof: listening on %s: %w", addr, err)
	}
	// Contention is what a profile of a busy server most often needs
	// besides CPU: sample one in mutexSampling contended locks, and
	// blocking of blockRate nanoseconds or more.
	runtime.SetMutexProfileFraction(mutexSampling)
	runtime.SetBlockProfileRate(blockRate)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	go hs.Serve(ln)
	log.Info("profiler listening", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return nil
}
