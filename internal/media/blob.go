package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/quanzi/quanzi/internal/errs"
)

// ErrNoBlob is returned by Blobs.Open for a key that holds nothing.
var ErrNoBlob = errors.New("media: no such blob")

// ErrBadKey is the cause of the error Blobs return for a key that breaks
// the key rules. Callers build keys themselves, so it means a bug of ours,
// and the error carries errs.Internal.
var ErrBadKey = errors.New("media: bad blob key")

// Blobs stores the bytes of uploaded images under keys such as
// "ab/cdef…/display": on local disk by default, in S3-compatible object
// storage when app nodes share their media. Keys are made of a-z, 0-9, '_',
// '-' and '/' between non-empty segments.
type Blobs interface {
	// Put stores data under key, replacing what was there. When it
	// returns nil the data survives a crash of this process or machine.
	Put(ctx context.Context, key string, data []byte, contentType string) error
	// Open returns the blob, seekable (so HTTP ranges and revalidation
	// work), and its size in bytes, or ErrNoBlob.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, int64, error)
	// Delete removes the blob; a key that holds nothing is not an error.
	Delete(ctx context.Context, key string) error
	// String names the storage for logs ("disk /path", "s3 host/bucket"),
	// never with a secret.
	String() string
}

// maxKey bounds a key's length; S3 allows 1024 bytes and a file name 255.
const (
	maxKey     = 1024
	maxSegment = 255
)

// checkKey refuses keys that could name something outside the store's
// folder or prefix: empty, absolute, empty segments and any character
// outside [a-z0-9/_-] — so "." and ".." too.
func checkKey(key string) error {
	bad := func(why string) error {
		return &errs.Error{Code: errs.Internal, Message: "The file could not be stored.",
			Err: fmt.Errorf("%w %q: %s", ErrBadKey, errs.Clip(key, 80), why)}
	}
	switch {
	case key == "":
		return bad("empty")
	case len(key) > maxKey:
		return bad("too long")
	case strings.HasPrefix(key, "/"):
		return bad("absolute")
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return bad("empty path segment")
		case len(seg) > maxSegment:
			return bad("path segment too long")
		}
		for _, c := range seg {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
				return bad(fmt.Sprintf("character %q is not one of a-z 0-9 _ - /", c))
			}
		}
	}
	return nil
}

// OpenBlobs opens the media storage named by the --media flag:
//
//   - "" is the folder media inside dataDir;
//   - a path, or file:///abs/path, is a folder on local disk;
//   - s3://ACCESS:SECRET@host:port/bucket?secure=false&region=us-east-1&prefix=p/&create=true
//     is a bucket of S3-compatible storage. Without ACCESS:SECRET the
//     credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
//     (and AWS_SESSION_TOKEN). secure defaults to true; create=true makes
//     the bucket when it is missing.
//
// It checks that the folder is writable or that the bucket exists, so a
// wrong setting fails at start; its errors name the URL without its secret.
func OpenBlobs(ctx context.Context, spec, dataDir string) (Blobs, error) {
	if spec == "" {
		return openDisk(filepath.Join(dataDir, "media"))
	}
	if !strings.Contains(spec, "://") {
		if looksLikeScheme(spec) {
			// "s3:/host/bucket" is a typo, not a folder to make.
			return nil, fmt.Errorf("media storage %q: write a URL as scheme://…, or a folder as a path", redactSpec(spec))
		}
		return openDisk(spec)
	}
	u, err := url.Parse(spec)
	if err != nil {
		// url.Parse quotes the whole spec, secret included.
		return nil, fmt.Errorf("media storage: %q is not a URL (file:///path or s3://host/bucket)", redactSpec(spec))
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("media storage %s: write a local folder as file:///absolute/path", u.Redacted())
		}
		if !filepath.IsAbs(u.Path) {
			return nil, fmt.Errorf("media storage %s: the folder must be an absolute path", u.Redacted())
		}
		return openDisk(u.Path)
	case "s3":
		return openS3(ctx, u)
	default:
		return nil, fmt.Errorf("media storage %s: unknown scheme %q; use a folder, file:///path or s3://host/bucket", u.Redacted(), u.Scheme)
	}
}

// looksLikeScheme reports whether spec starts like a URL, "name:".
func looksLikeScheme(spec string) bool {
	name, _, ok := strings.Cut(spec, ":")
	if !ok || name == "" {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// redactSpec hides what sits between the first ":" and the last "@" of a
// spec that does not parse, where a secret would be.
func redactSpec(spec string) string {
	i := strings.Index(spec, ":")
	j := strings.LastIndex(spec, "@")
	if i < 0 || j < i {
		return spec
	}
	return spec[:i+1] + "xxxxx" + spec[j:]
}
