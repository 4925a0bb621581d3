package media_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/media"
	"github.com/quanzi/quanzi/internal/media/s3test"
)

// TestBlobs runs one suite over every storage backend through the Blobs
// interface: disk always, S3 against a real gateway (versitygw).
func TestBlobs(t *testing.T) {
	t.Run("disk", func(t *testing.T) {
		t.Parallel()
		runBlobSuite(t, openBlobs(t, t.TempDir()+"/media"))
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		srv := s3test.Start(t)
		runBlobSuite(t, openBlobs(t, srv.URL("media", "create=true")))
	})
	t.Run("s3 with prefix", func(t *testing.T) {
		t.Parallel()
		srv := s3test.Start(t)
		runBlobSuite(t, openBlobs(t, srv.URL("media", "create=true&prefix=q/v1/")))
	})
}

func openBlobs(t *testing.T, spec string) media.Blobs {
	t.Helper()
	b, err := media.OpenBlobs(context.Background(), spec, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var blobSuite = []struct {
	name string
	run  func(t *testing.T, ctx context.Context, b media.Blobs)
}{
	{"round trip", func(t *testing.T, ctx context.Context, b media.Blobs) {
		data := make([]byte, 70_000)
		for i := range data {
			data[i] = byte(i * 7)
		}
		put(t, b, "ab/cdef0123/display", data)
		put(t, b, "ab/cdef0123/thumb", []byte("small"))
		put(t, b, "ab/empty", nil)
		mustRead(t, b, "ab/cdef0123/display", data)
		mustRead(t, b, "ab/cdef0123/thumb", []byte("small"))
		mustRead(t, b, "ab/empty", []byte{})
	}},
	{"overwrite", func(t *testing.T, ctx context.Context, b media.Blobs) {
		put(t, b, "ow/key", []byte("the first and longer version"))
		put(t, b, "ow/key", []byte("second"))
		mustRead(t, b, "ow/key", []byte("second"))
	}},
	{"open missing", func(t *testing.T, ctx context.Context, b media.Blobs) {
		put(t, b, "om/x/y", []byte("y"))
		// Nothing, a folder the fan-out made, and a path through a blob.
		for _, key := range []string{"om/none", "zz/never/made", "om/x", "om", "om/x/y/z"} {
			mustMiss(t, b, key)
		}
	}},
	{"delete then open", func(t *testing.T, ctx context.Context, b media.Blobs) {
		put(t, b, "dl/a/display", []byte("a"))
		put(t, b, "dl/a/thumb", []byte("t"))
		if err := b.Delete(ctx, "dl/a/display"); err != nil {
			t.Fatal(err)
		}
		mustMiss(t, b, "dl/a/display")
		mustRead(t, b, "dl/a/thumb", []byte("t"))
		put(t, b, "dl/a/display", []byte("again"))
		mustRead(t, b, "dl/a/display", []byte("again"))
	}},
	{"delete missing", func(t *testing.T, ctx context.Context, b media.Blobs) {
		put(t, b, "dm/x/y", []byte("y"))
		for _, key := range []string{"dm/none", "dm/none", "nowhere/at/all", "dm/x", "dm/x/y/z"} {
			if err := b.Delete(ctx, key); err != nil {
				t.Fatalf("delete %s: %v", key, err)
			}
		}
		mustRead(t, b, "dm/x/y", []byte("y"))
	}},
	{"bad keys", func(t *testing.T, ctx context.Context, b media.Blobs) {
		put(t, b, "bk/x", []byte("x"))
		for _, key := range badKeys {
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, media.ErrBadKey) || !errs.Is(err, errs.Internal) {
					t.Errorf("%s %q: %v, want ErrBadKey", op, key, err)
				}
			}
			check("put", b.Put(ctx, key, []byte("evil"), "image/jpeg"))
			r, _, err := b.Open(ctx, key)
			if r != nil {
				r.Close()
			}
			check("open", err)
			check("delete", b.Delete(ctx, key))
		}
		mustRead(t, b, "bk/x", []byte("x"))
	}},
	{"many puts at once", func(t *testing.T, ctx context.Context, b media.Blobs) {
		const n = 24
		var wg sync.WaitGroup
		fails := make(chan error, 2*n)
		for i := range n {
			wg.Go(func() {
				fails <- b.Put(ctx, fmt.Sprintf("cc/%02d/k%d", i%4, i), bytes.Repeat([]byte{byte(i)}, 1000+i), "image/webp")
			})
			wg.Go(func() {
				fails <- b.Put(ctx, "cc/same", bytes.Repeat([]byte{byte(i)}, 5000), "image/webp")
			})
		}
		wg.Wait()
		close(fails)
		for err := range fails {
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			mustRead(t, b, fmt.Sprintf("cc/%02d/k%d", i%4, i), bytes.Repeat([]byte{byte(i)}, 1000+i))
		}
		// The same key written by many: one whole version wins.
		got := read(t, b, "cc/same")
		if len(got) != 5000 || !bytes.Equal(got, bytes.Repeat(got[:1], 5000)) {
			t.Fatalf("cc/same holds a mix of versions (%d bytes)", len(got))
		}
	}},
}

var badKeys = []string{"../x", "/abs", "", "a/../b", "A B", "..", ".", "a//b", "a/", "a/./b",
	"ab/.put-x", "a\\b", "Ab", "a b", "é", "a\x00b", "a:b", strings.Repeat("a", 256), strings.Repeat("a/", 600) + "a"}

func runBlobSuite(t *testing.T, b media.Blobs) {
	for _, c := range blobSuite {
		t.Run(c.name, func(t *testing.T) { c.run(t, context.Background(), b) })
	}
}

func put(t *testing.T, b media.Blobs, key string, data []byte) {
	t.Helper()
	if err := b.Put(context.Background(), key, data, "image/jpeg"); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func read(t *testing.T, b media.Blobs, key string) []byte {
	t.Helper()
	r, size, err := b.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if size != int64(len(got)) {
		t.Fatalf("open %s: size %d, read %d bytes", key, size, len(got))
	}
	return got
}

func mustRead(t *testing.T, b media.Blobs, key string, want []byte) {
	t.Helper()
	if got := read(t, b, key); !bytes.Equal(got, want) {
		t.Fatalf("%s holds %d bytes %.20q, want %d bytes %.20q", key, len(got), got, len(want), want)
	}
}

func mustMiss(t *testing.T, b media.Blobs, key string) {
	t.Helper()
	r, _, err := b.Open(context.Background(), key)
	if r != nil {
		r.Close()
	}
	if !errors.Is(err, media.ErrNoBlob) {
		t.Fatalf("open %s: %v, want ErrNoBlob", key, err)
	}
}

// TestDiskBlobsFiles: on disk, folders are 0700 and files 0600, a blob is
// a file at its key, no temporary file stays behind (not after failed
// Puts either), Open gives the *os.File, and bad keys write nothing outside
// the folder.
func TestDiskBlobsFiles(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "media")
	b := openBlobs(t, "file://"+root)
	if s := b.String(); s != "disk "+root {
		t.Fatalf("String() = %q", s)
	}
	ctx := context.Background()
	keys := []string{"ab/cdef/display", "ab/cdef/thumb", "ab/ffff/display", "cd/0123/display", "flat"}
	for _, key := range keys {
		put(t, b, key, []byte(key))
	}
	put(t, b, "ab/cdef/display", []byte("again"))
	// "ab/cdef/display" is a file, so this Put fails half-way.
	if err := b.Put(ctx, "ab/cdef/display/x", []byte("x"), "image/jpeg"); err == nil || !errs.Is(err, errs.Internal) {
		t.Fatalf("put under a blob: %v", err)
	}
	// "ab/cdef" is a folder, so this one fails at the rename.
	if err := b.Put(ctx, "ab/cdef", []byte("x"), "image/jpeg"); err == nil || !errs.Is(err, errs.Internal) {
		t.Fatalf("put over a folder: %v", err)
	}
	for _, key := range badKeys {
		b.Put(ctx, key, []byte("evil"), "image/jpeg")
	}

	if entries, err := os.ReadDir(parent); err != nil || len(entries) != 1 {
		t.Fatalf("beside the media folder: %v %v", entries, err)
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.IsDir() && info.Mode().Perm() != 0o700:
			t.Errorf("folder %s has mode %v", rel, info.Mode())
		case !d.IsDir() && info.Mode().Perm() != 0o600:
			t.Errorf("file %s has mode %v", rel, info.Mode())
		case !d.IsDir():
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(files, " "), "ab/cdef/display ab/cdef/thumb ab/ffff/display cd/0123/display flat"; got != want {
		t.Fatalf("files %s, want %s", got, want)
	}

	r, size, err := b.Open(ctx, "ab/cdef/display")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if f, ok := r.(*os.File); !ok || size != 5 || f.Name() != filepath.Join(root, "ab/cdef/display") {
		t.Fatalf("Open gave %T of %d bytes", r, size)
	}
}

// TestS3Blobs: what only S3 has: the content type and the prefix reach the
// object, credentials come from the URL or the environment, and a wrong
// bucket, secret or a cancelled context fail clearly, never showing the
// secret.
func TestS3Blobs(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	b := openBlobs(t, srv.URL("photos", "create=true&prefix=p/q"))
	if s := b.String(); s != "s3 "+srv.Host+"/photos/p/q" {
		t.Fatalf("String() = %q", s)
	}
	if err := b.Put(ctx, "ab/cd/display", []byte("webp bytes"), "image/webp"); err != nil {
		t.Fatal(err)
	}
	// The gateway keeps objects as files: the prefix is there.
	if got, err := os.ReadFile(filepath.Join(srv.Dir, "photos/p/q/ab/cd/display")); err != nil || string(got) != "webp bytes" {
		t.Fatalf("object file: %q %v", got, err)
	}
	client, err := minio.New(srv.Host, &minio.Options{Creds: credentials.NewStaticV4(srv.Access, srv.Secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := client.StatObject(ctx, "photos", "p/q/ab/cd/display", minio.StatObjectOptions{})
	if err != nil || st.ContentType != "image/webp" || st.Size != 10 {
		t.Fatalf("stat: %+v %v", st, err)
	}

	// Credentials from the environment; the bucket now exists.
	t.Setenv("AWS_ACCESS_KEY_ID", srv.Access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.Secret)
	fromEnv := openBlobs(t, "s3://"+srv.Host+"/photos?secure=false&region=us-east-1&prefix=p/q/")
	mustRead(t, fromEnv, "ab/cd/display", []byte("webp bytes"))
	if strings.Contains(fromEnv.String(), srv.Secret) || strings.Contains(b.String(), srv.Secret) {
		t.Fatal("String() shows the secret")
	}

	for _, c := range []struct{ spec, want string }{
		{srv.URL("nosuchbucket", ""), `the bucket "nosuchbucket" does not exist`},
		{strings.Replace(srv.URL("photos", ""), srv.Secret, "wrong-secret-xyz", 1), `checking the bucket "photos"`},
	} {
		_, err := media.OpenBlobs(ctx, c.spec, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), srv.Host+"/") {
			t.Errorf("open %s: %v, want %q", c.spec, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), srv.Secret) || strings.Contains(err.Error(), "wrong-secret-xyz") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
	if _, err := client.BucketExists(ctx, "nosuchbucket"); err != nil {
		t.Fatal(err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Put(cancelled, "ab/cd/later", []byte("x"), "image/webp"); err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
	mustMiss(t, b, "ab/cd/later")
}

// TestOpenBlobsSpecs: the --media settings that need no server.
func TestOpenBlobsSpecs(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	t.Chdir(t.TempDir())
	cwd, _ := os.Getwd()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	for _, c := range []struct{ spec, want string }{
		{"", "disk " + filepath.Join(data, "media")},
		{"rel/media", "disk " + filepath.Join(cwd, "rel/media")},
		{data + "/abs", "disk " + data + "/abs"},
		{"file://" + data + "/f", "disk " + data + "/f"},
		{"file://localhost" + data + "/g", "disk " + data + "/g"},
	} {
		b, err := media.OpenBlobs(ctx, c.spec, data)
		if err != nil || b.String() != c.want {
			t.Errorf("OpenBlobs(%q) = %v, %v; want %s", c.spec, b, err, c.want)
			continue
		}
		st, err := os.Stat(strings.TrimPrefix(c.want, "disk "))
		if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
			t.Errorf("OpenBlobs(%q) folder: %v %v", c.spec, st, err)
		}
	}

	// Each of these fails before reaching any server, and never shows the
	// secret.
	for _, c := range []struct{ spec, want string }{
		{"gs://ak:sekrit@host/bucket", `unknown scheme "gs"`},
		{"http://host/bucket", `unknown scheme "http"`},
		{"file://otherhost/x", "file:///absolute/path"},
		{"file://" + data + "/f?x=1", "file:///absolute/path"},
		{"/proc/quanzi-media", "cannot make the folder /proc/quanzi-media"},
		{"s3://ak:sekrit@/bucket", "needs a host"},
		{"s3://ak:sekrit@127.0.0.1:1", "needs a bucket"},
		{"s3://ak:sekrit@127.0.0.1:1/", "needs a bucket"},
		{"s3://ak:sekrit@127.0.0.1:1/b/extra", "?prefix="},
		{"s3://ak:sekrit@127.0.0.1:1/b?secure=maybe", `secure="maybe" is not true or false`},
		{"s3://ak:sekrit@127.0.0.1:1/b?secur=false", `unknown setting "secur"`},
		{"s3://ak:sekrit@127.0.0.1:1/b?prefix=A%20B", `prefix="A B"`},
		{"s3://ak:sekrit@127.0.0.1:1/b?prefix=../up", `prefix="../up"`},
		{"s3://127.0.0.1:1/b", "no credentials"},
		{"s3://ak@127.0.0.1:1/b", "no credentials"},
		{"s3://ak:sek%zzrit@127.0.0.1:1/b", "is not a URL"},
		{"s3:/ak:sekrit@127.0.0.1:1/b", "write a URL as scheme://"},
		{"file:media", "write a URL as scheme://"},
	} {
		b, err := media.OpenBlobs(ctx, c.spec, data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("OpenBlobs(%q) = %v, %v; want an error saying %q", c.spec, b, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "sek") {
			t.Errorf("OpenBlobs(%q) shows the secret: %v", c.spec, err)
		}
	}
}
