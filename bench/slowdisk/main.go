// Command slowdisk mounts a slow-flush loopback filesystem: a FUSE
// passthrough of a backing directory in which every fsync or fdatasync of a
// file (FUSE FSYNC) or directory (FUSE FSYNCDIR) first sleeps a fixed delay
// and then does the real fsync. Everything else passes straight through.
// It stands in for a disk whose flush is slow, where this VM's is not.
//
//	slowdisk -backing DIR -mount DIR [-delay 1ms] [-allow-other]   mount until SIGINT/SIGTERM
//	slowdisk -probe DIR [-n 500]                    write+fdatasync rate in DIR
//
// Mounting needs root (DirectMount: mount(2) is called directly, no
// fusermount). A separate module so that quanzi gains no dependency.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

func main() {
	backing := flag.String("backing", "", "directory whose contents the mount shows")
	mount := flag.String("mount", "", "empty directory to mount on")
	delay := flag.Duration("delay", time.Millisecond, "sleep before every fsync/fdatasync")
	probe := flag.String("probe", "", "instead of mounting: measure write+fdatasync per second in this directory")
	allowOther := flag.Bool("allow-other", false, "let other users (e.g. postgres) use the mount")
	n := flag.Int("n", 500, "with -probe: number of write+fdatasync rounds")
	flag.Parse()
	if *probe != "" {
		rate, err := syncRate(*probe, *n)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%.0f fdatasync/s in %s (%d rounds)\n", rate, *probe, *n)
		return
	}
	if *backing == "" || *mount == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := serve(*backing, *mount, *delay, *allowOther); err != nil {
		log.Fatal(err)
	}
}

func serve(backing, mount string, delay time.Duration, allowOther bool) error {
	abs, err := filepath.Abs(backing)
	if err != nil {
		return err
	}
	loop, err := fs.NewLoopbackRoot(abs)
	if err != nil {
		return err
	}
	root := &slowNode{LoopbackNode: loop.(*fs.LoopbackNode), delay: delay}
	one := time.Second
	server, err := fs.Mount(mount, root, &fs.Options{
		EntryTimeout: &one,
		AttrTimeout:  &one,
		MountOptions: fuse.MountOptions{
			DirectMount: true,
			AllowOther:  allowOther,
			FsName:      abs,
			Name:        "slowdisk",
			MaxWrite:    1 << 20,
		},
	})
	if err != nil {
		return err
	}
	log.Printf("slowdisk: %s on %s, %v before every fsync", abs, mount, delay)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		// Unmount lets Wait return; retry while files are still open.
		for i := 0; ; i++ {
			err := server.Unmount()
			if err == nil {
				return
			}
			if i == 50 {
				log.Fatalf("slowdisk: unmount %s: %v", mount, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	server.Wait()
	log.Printf("slowdisk: unmounted %s after %d delayed fsyncs", mount, syncs.Load())
	return nil
}

// syncs counts the delayed fsyncs, reported at unmount.
var syncs atomic.Int64

// slowNode is a loopback node whose fsync (of a file, and of a directory
// without an open handle) is delayed. Children are wrapped as they are made.
type slowNode struct {
	*fs.LoopbackNode
	delay time.Duration
}

var (
	_ fs.NodeFsyncer        = (*slowNode)(nil)
	_ fs.NodeWrapChilder    = (*slowNode)(nil)
	_ fs.NodeOpendirHandler = (*slowNode)(nil)
	_ fs.FileFsyncdirer     = (*slowDir)(nil)
)

// WrapChild makes every node the loopback creates (lookup, create, mkdir,
// ...) a slowNode too.
func (n *slowNode) WrapChild(ctx context.Context, ops fs.InodeEmbedder) fs.InodeEmbedder {
	if l, ok := ops.(*fs.LoopbackNode); ok {
		return &slowNode{LoopbackNode: l, delay: n.delay}
	}
	return ops
}

// Fsync serves FUSE FSYNC (and FSYNCDIR when the handle cannot): the delay,
// then the real fsync through the open handle, or of the path if none.
func (n *slowNode) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	syncs.Add(1)
	time.Sleep(n.delay)
	if s, ok := f.(fs.FileFsyncer); ok {
		return s.Fsync(ctx, flags)
	}
	if s, ok := f.(fs.FileFsyncdirer); ok {
		return s.Fsyncdir(ctx, flags)
	}
	file, err := os.Open(filepath.Join(n.RootData.Path, n.Path(n.Root())))
	if err != nil {
		return fs.ToErrno(err)
	}
	defer file.Close()
	return fs.ToErrno(file.Sync())
}

// dirHandle is what the loopback's directory handle offers.
type dirHandle interface {
	fs.FileReaddirenter
	fs.FileSeekdirer
	fs.FileReleasedirer
	fs.FileFsyncdirer
}

// slowDir is a directory handle whose Fsyncdir (FUSE FSYNCDIR, which the
// bridge asks of the handle before the node) is delayed.
type slowDir struct {
	dirHandle
	delay time.Duration
}

func (d *slowDir) Fsyncdir(ctx context.Context, flags uint32) syscall.Errno {
	syncs.Add(1)
	time.Sleep(d.delay)
	return d.dirHandle.Fsyncdir(ctx, flags)
}

func (n *slowNode) OpendirHandle(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	h, fuseFlags, errno := n.LoopbackNode.OpendirHandle(ctx, flags)
	if d, ok := h.(dirHandle); ok && errno == 0 {
		return &slowDir{dirHandle: d, delay: n.delay}, fuseFlags, 0
	}
	return h, fuseFlags, errno
}

// syncRate writes 4 KiB and fdatasyncs it, rounds times, in a new file in
// dir, and returns the rounds per second.
func syncRate(dir string, rounds int) (float64, error) {
	f, err := os.CreateTemp(dir, "syncrate-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	start := time.Now()
	for i := 0; i < rounds; i++ {
		buf[0] = byte(i)
		if _, err := f.WriteAt(buf, int64(i%16)*4096); err != nil {
			return 0, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, err
		}
	}
	return float64(rounds) / time.Since(start).Seconds(), nil
}
