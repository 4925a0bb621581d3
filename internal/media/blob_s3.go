package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quanzi/quanzi/internal/errs"
)

// s3Blobs keeps each blob as the object prefix+key in one bucket of
// S3-compatible storage (AWS S3, MinIO, versitygw, Ceph, R2 …).
type s3Blobs struct {
	client *minio.Client
	host   string
	bucket string
	prefix string // "" or ends with "/"
}

// s3CheckTimeout bounds the bucket check at start when ctx has no
// deadline of its own, so an unreachable host fails quickly.
const s3CheckTimeout = 15 * time.Second

func openS3(ctx context.Context, u *url.URL) (*s3Blobs, error) {
	where := u.Redacted()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("media storage %s: %s", where, fmt.Sprintf(format, args...))
	}
	if u.Host == "" {
		return nil, fail("the URL needs a host: s3://host:port/bucket")
	}
	bucket, rest, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if bucket == "" {
		return nil, fail("the URL needs a bucket: s3://host:port/bucket")
	}
	if rest != "" {
		return nil, fail("the path holds only the bucket; put a key prefix in ?prefix=")
	}
	s := &s3Blobs{host: u.Host, bucket: bucket}
	opts := &minio.Options{Secure: true}
	create := false
	for name, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch name {
		case "secure", "create":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fail("%s=%q is not true or false", name, v)
			}
			if name == "secure" {
				opts.Secure = b
			} else {
				create = b
			}
		case "region":
			opts.Region = v
		case "prefix":
			p := strings.TrimSuffix(v, "/")
			if p != "" {
				if err := checkKey(p); err != nil {
					return nil, fail("prefix=%q may hold only a-z 0-9 _ - and / between names", v)
				}
				s.prefix = p + "/"
			}
		default:
			return nil, fail("unknown setting %q; known: secure, region, prefix, create", name)
		}
	}
	access, secret, token := "", "", ""
	if u.User != nil {
		access = u.User.Username()
		secret, _ = u.User.Password()
	} else {
		access, secret, token = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")
	}
	if access == "" || secret == "" {
		return nil, fail("no credentials: write s3://ACCESS:SECRET@host/bucket or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	opts.Creds = credentials.NewStaticV4(access, secret, token)
	client, err := minio.New(u.Host, opts)
	if err != nil {
		return nil, fail("%v", err)
	}
	s.client = client

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s3CheckTimeout)
		defer cancel()
	}
	exists, err := client.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fail("checking the bucket %q: %v", bucket, err)
	}
	if !exists {
		if !create {
			return nil, fail("the bucket %q does not exist; create it, or add create=true to the URL", bucket)
		}
		if err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: opts.Region}); err != nil {
			return nil, fail("creating the bucket %q: %v", bucket, err)
		}
	}
	return s, nil
}

func (s *s3Blobs) String() string {
	return "s3 " + s.host + "/" + s.bucket + strings.TrimSuffix("/"+s.prefix, "/")
}

func (s *s3Blobs) Put(ctx context.Context, key string, data []byte, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType})
	return s.fault(err, key)
}

// Open returns the object as it streams from the server; Stat makes the
// request, so a missing key is known before Open returns.
func (s *s3Blobs) Open(ctx context.Context, key string) (io.ReadSeekCloser, int64, error) {
	if err := checkKey(key); err != nil {
		return nil, 0, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, s.fault(err, key)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, 0, fmt.Errorf("%w: %s", ErrNoBlob, key)
		}
		return nil, 0, s.fault(err, key)
	}
	return obj, st.Size, nil
}

func (s *s3Blobs) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return nil
	}
	return s.fault(err, key)
}

// fault maps an error from the server: one it answered with a 4xx
// (access denied, no such bucket) is a setting of ours gone wrong and
// Internal; anything else (no answer, timeout, 5xx) is Unavailable, worth
// a retry.
func (s *s3Blobs) fault(err error, key string) error {
	if err == nil {
		return nil
	}
	cause := fmt.Errorf("media %s, key %s: %w", s, key, err)
	if r := minio.ToErrorResponse(err); r.StatusCode >= 400 && r.StatusCode < 500 && !errors.Is(err, context.Canceled) {
		return &errs.Error{Code: errs.Internal, Message: "The image store refused the request.", Err: cause}
	}
	return &errs.Error{Code: errs.Unavailable, Message: "The image store did not answer; try again shortly.", Err: cause}
}
