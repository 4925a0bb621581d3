package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

func runLoadUploads(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c loadConfig
	var dir string
	fs := newFlagSet("load uploads", `Register --users users on a running quanzi, then upload the pictures in
--dir (each a multipart POST /api/v1/media, as a phone would) from
--concurrency clients for --duration, cycling through the files and the
users. Prints a progress line, then uploads/s, MB/s, latency percentiles
and errors by code. Each user may hold 50 uploads not yet in a post: give
enough users for the run (about uploads/s × duration ÷ 50). Only use it on
a server of your own.`, stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the quanzi server")
	fs.StringVar(&dir, "dir", "", "folder of pictures to upload (.jpg, .jpeg, .png, .webp, .gif)")
	fs.IntVar(&c.users, "users", 40, "users to register")
	fs.IntVar(&c.concurrency, "concurrency", 8, "clients uploading at once")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to upload")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if dir == "" || c.users < 1 || c.concurrency < 1 || c.duration <= 0 {
		return fmt.Errorf("%w: --dir is needed, --users and --concurrency must be at least 1, --duration positive", errUsage)
	}
	files, err := pictureFiles(dir)
	if err != nil {
		return err
	}
	cl := newCaller(ctx, c.url, c.concurrency)
	cl.client.Timeout = 5 * time.Minute
	users, err := registerUsers(stderr, cl.call, "uploads_"+randomHex(4), c.users, 0)
	if err != nil {
		return err
	}
	var sent, next atomic.Int64
	st := drive(ctx, stderr, "uploading", c.concurrency, c.duration, func(w, i int, _ *rand.Rand) string {
		n := int(next.Add(1))
		f := files[n%len(files)]
		sent.Add(int64(len(f.data)))
		return failure(cl.upload(users[n%len(users)].token, f.name, f.data))(201)
	})
	st.print(stdout, "uploads", "refused or failed")
	fmt.Fprintf(stdout, "sent: %.1f MB/s\n", float64(sent.Load())/1e6/st.elapsed.Seconds())
	return nil
}

type pictureFile struct {
	name string
	data []byte
}

// pictureFiles reads the pictures in dir, in name order.
func pictureFiles(dir string) ([]pictureFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []pictureFile
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || !slices.Contains([]string{".jpg", ".jpeg", ".png", ".webp", ".gif"}, ext) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, pictureFile{e.Name(), b})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s holds no pictures (.jpg, .jpeg, .png, .webp, .gif)", errUsage, dir)
	}
	return out, nil
}

// upload sends one picture as the file part of a multipart form.
func (c *caller) upload(token, name string, data []byte) (int, []byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		return 0, nil, err
	}
	part.Write(data)
	mw.Close()
	req, err := http.NewRequestWithContext(c.ctx, "POST", c.url+"/api/v1/media", &body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}
