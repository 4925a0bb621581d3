// Package natstest runs a NATS server with JetStream for a test: Debian's
// nats-server (or any other), named by QUANZI_TEST_NATS, as a process of
// its own on a free loopback port with its own store folder. The project's
// test command installs it and sets the variable; without it, tests that
// need NATS are skipped.
package natstest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// EnvNATS names the environment variable holding the nats-server binary.
const EnvNATS = "QUANZI_TEST_NATS"

// Server is a running nats-server.
type Server struct {
	URL string

	t       testing.TB
	bin     string
	dir     string
	port    int
	monitor int
	cmd     *exec.Cmd
	logs    *os.File
}

// Start starts nats-server -js, stopped when the test ends; it skips the
// test when QUANZI_TEST_NATS is unset.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := os.Getenv(EnvNATS)
	if bin == "" {
		t.Skipf("needs a NATS server: set %s to the nats-server binary (scripts/test installs Debian's nats-server and sets it)", EnvNATS)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), port: freePort(t), monitor: freePort(t)}
	s.URL = "nats://127.0.0.1:" + strconv.Itoa(s.port)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	logs, err := os.Create(fmt.Sprintf("%s/nats-%d.log", s.dir, time.Now().UnixNano()))
	if err != nil {
		s.t.Fatal(err)
	}
	s.logs = logs
	s.cmd = exec.Command(s.bin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(s.port), "-m", strconv.Itoa(s.monitor),
		"-sd", s.dir, "-n", "quanzi-test")
	s.cmd.Stdout, s.cmd.Stderr = logs, logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", s.bin, err)
	}
	health := "http://127.0.0.1:" + strconv.Itoa(s.monitor) + "/healthz"
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(health); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
	}
	out, _ := os.ReadFile(logs.Name())
	s.Stop()
	s.t.Fatalf("nats-server did not become healthy:\n%s", out)
}

// Stop stops the server (SIGTERM, then waits for it).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
	s.logs.Close()
}

// Restart starts the server again on the same port and store folder,
// after Stop.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
