package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/quanzi/quanzi/internal/errs"
)

// diskBlobs keeps each blob in a file under root, at the key's path: the
// key's first segment (a hash prefix, chosen by the caller) fans the files
// out over folders. Folders are 0700 and files 0600: only quanzi reads
// them, and every read goes through its access checks.
type diskBlobs struct {
	root string
}

// tmpPrefix starts the names of files still being written. Keys cannot
// contain '.', so a temporary file never shadows a blob.
const tmpPrefix = ".put-"

func openDisk(dir string) (*diskBlobs, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media storage %s: %w", dir, err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("media storage: cannot make the folder %s: %w", root, err)
	}
	// A folder we cannot write to should stop quanzi at start, not fail
	// the first upload.
	f, err := os.CreateTemp(root, tmpPrefix+"probe-*")
	if err != nil {
		return nil, fmt.Errorf("media storage: cannot write in the folder %s: %w", root, err)
	}
	f.Close()
	os.Remove(f.Name())
	return &diskBlobs{root: root}, nil
}

func (d *diskBlobs) String() string { return "disk " + d.root }

func (d *diskBlobs) path(key string) string {
	return filepath.Join(d.root, filepath.FromSlash(key))
}

// Put writes a temporary file next to the blob, syncs it, renames it over
// the blob and syncs the folder: when Put returns, the new bytes are on
// disk under their name, and a crash at any point leaves the old blob or
// the new one, never a mix.
func (d *diskBlobs) Put(ctx context.Context, key string, data []byte, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dst := d.path(key)
	dir := filepath.Dir(dst)
	if err := d.mkdirs(dir); err != nil {
		return d.fault(err, key)
	}
	f, err := os.CreateTemp(dir, tmpPrefix+"*") // mode 0600
	if err != nil {
		return d.fault(err, key)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return d.fault(err, key)
	}
	return d.fault(syncDir(dir), key)
}

// mkdirs makes the folders from root down to dir that are missing, each
// 0700, and syncs the parent of each new one so that the path to a blob
// is as durable as the blob.
func (d *diskBlobs) mkdirs(dir string) error {
	rel, err := filepath.Rel(d.root, dir)
	if err != nil || rel == "." {
		return err
	}
	parent := d.root
	for _, seg := range strings.Split(rel, string(filepath.Separator)) {
		next := filepath.Join(parent, seg)
		switch err := os.Mkdir(next, 0o700); {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrExist):
			// Made before, or just now by a concurrent Put. A file in
			// the way fails at the next step.
		default:
			return err
		}
		parent = next
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open returns the blob's *os.File.
func (d *diskBlobs) Open(ctx context.Context, key string) (io.ReadSeekCloser, int64, error) {
	if err := checkKey(key); err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(d.path(key))
	if err != nil {
		if missing(err) {
			return nil, 0, fmt.Errorf("%w: %s", ErrNoBlob, key)
		}
		return nil, 0, d.fault(err, key)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, d.fault(err, key)
	}
	if !st.Mode().IsRegular() {
		// A fan-out folder such as "ab" is not a blob.
		f.Close()
		return nil, 0, fmt.Errorf("%w: %s", ErrNoBlob, key)
	}
	return f, st.Size(), nil
}

// Delete removes the blob's file and syncs its folder. Emptied folders
// stay: a later Put under the same prefix would make them again.
func (d *diskBlobs) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := d.path(key)
	st, err := os.Lstat(p)
	if err != nil {
		if missing(err) {
			return nil
		}
		return d.fault(err, key)
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	if err := os.Remove(p); err != nil {
		if missing(err) {
			return nil
		}
		return d.fault(err, key)
	}
	return d.fault(syncDir(filepath.Dir(p)), key)
}

// missing reports whether err means no file is there, including a path
// that runs through a file ("a/b/c" when "a/b" is a blob).
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func (d *diskBlobs) fault(err error, key string) error {
	if err == nil {
		return nil
	}
	return &errs.Error{Code: errs.Internal, Message: "The image store on disk failed.",
		Err: fmt.Errorf("media %s, key %s: %w", d, key, err)}
}
