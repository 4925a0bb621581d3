// Package s3test runs an S3-compatible server for a test: versitygw's
// posix gateway (or any server taking the same arguments), named by
// QUANZI_TEST_S3_BIN, as a process of its own on a free loopback port that
// keeps its buckets as folders of a test's temporary folder. The project's
// test command installs versitygw with go install and sets the variable;
// without it, tests that need S3 are skipped, or fail when CI=true.
package s3test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// EnvS3 names the environment variable holding the versitygw binary.
const EnvS3 = "QUANZI_TEST_S3_BIN"

// Server is a running S3 gateway.
type Server struct {
	Host   string // 127.0.0.1:port
	Access string
	Secret string
	Dir    string // each bucket is a folder in Dir, each object a file

	cmd    *exec.Cmd
	exited chan struct{}
	logs   *os.File
}

// Start starts versitygw on a posix folder, stopped when the test ends.
// Without QUANZI_TEST_S3_BIN it skips the test, or fails it under CI.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := os.Getenv(EnvS3)
	if bin == "" {
		msg := fmt.Sprintf("needs an S3 server: set %s to the versitygw binary (scripts/test installs it with go install and sets it)", EnvS3)
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	s := &Server{
		Host:   "127.0.0.1:" + strconv.Itoa(freePort(t)),
		Access: "quanzi-test",
		Secret: "test-secret-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Dir:    dir + "/data",
		exited: make(chan struct{}),
	}
	if err := os.Mkdir(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	logs, err := os.Create(dir + "/versitygw.log")
	if err != nil {
		t.Fatal(err)
	}
	s.logs = logs
	s.cmd = exec.Command(bin, "--access", s.Access, "--secret", s.Secret, "--region", "us-east-1",
		"--port", s.Host, "--quiet", "posix", s.Dir)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = logs, logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(s.stop)

	// Any answer, even 403 to an unsigned request, means it is serving.
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-s.exited:
			out, _ := os.ReadFile(logs.Name())
			t.Fatalf("%s exited at start:\n%s", bin, out)
		default:
		}
		if res, err := client.Get("http://" + s.Host + "/"); err == nil {
			res.Body.Close()
			return s
		}
	}
	out, _ := os.ReadFile(logs.Name())
	t.Fatalf("%s did not answer on %s:\n%s", bin, s.Host, out)
	return nil
}

// URL returns the s3:// URL of bucket on this server, with its
// credentials, for media.OpenBlobs; query is added as it is ("create=true").
func (s *Server) URL(bucket, query string) string {
	u := url.URL{Scheme: "s3", User: url.UserPassword(s.Access, s.Secret), Host: s.Host, Path: "/" + bucket,
		RawQuery: "secure=false&region=us-east-1"}
	if query != "" {
		u.RawQuery += "&" + query
	}
	return u.String()
}

// stop stops the server by its process: SIGTERM, then SIGKILL after 10 s.
func (s *Server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.logs.Close()
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
