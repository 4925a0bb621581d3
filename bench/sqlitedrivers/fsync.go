//go:build linux

// Package sqlitedrivers holds the SQLite driver benchmarks (in the _test.go
// files) and the raw write+fdatasync loop they are compared against.
package sqlitedrivers

import (
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// BlockSize is the size of one write in the sync loop (one SQLite page).
const BlockSize = 4096

// ringBlocks is how many blocks the loop cycles through before wrapping to
// offset 0, so the file is overwritten in place like a reused WAL file.
const ringBlocks = 256

// SyncFile is a file prepared for the write+fdatasync loop.
type SyncFile struct {
	f   *os.File
	buf []byte
	i   int
}

// OpenSyncFile creates dir/name, preallocates and syncs it, so that the loop
// measures data syncs rather than file growth.
func OpenSyncFile(dir, name string) (*SyncFile, error) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	s := &SyncFile{f: f, buf: make([]byte, BlockSize)}
	for range ringBlocks {
		if _, err := f.Write(s.buf); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// Step writes one 4 KiB block and fdatasyncs the file.
func (s *SyncFile) Step() error {
	s.buf[0] = byte(s.i)
	off := int64(s.i%ringBlocks) * BlockSize
	s.i++
	if _, err := s.f.WriteAt(s.buf, off); err != nil {
		return err
	}
	return syscall.Fdatasync(int(s.f.Fd()))
}

// Close closes and removes the file.
func (s *SyncFile) Close() error {
	name := s.f.Name()
	err := s.f.Close()
	os.Remove(name)
	return err
}

// SyncLoop runs Step for about d and returns syncs per second.
func SyncLoop(dir string, d time.Duration) (float64, error) {
	s, err := OpenSyncFile(dir, "fsyncloop.dat")
	if err != nil {
		return 0, err
	}
	defer s.Close()
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if err := s.Step(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
