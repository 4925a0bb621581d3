// Command mediabench measures the upload pipeline (internal/media) as the
// server runs it: files read from a folder, processed by W workers through
// one media.Processor, every variant written to a folder and fsync'd.
// It prints images/s and the process's peak RSS (VmHWM). bench/media.sh
// runs it against vipsthumbnail.
//
//	mediabench gen -dir D -n 32 [-w 4000 -h 3000]   write photo-like JPEGs (quality 90)
//	mediabench run -dir D -out O [-workers 8 -budget 0]
package main

import (
	"context"
	"flag"
	"fmt"
	"image/jpeg"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/quanzi/quanzi/bench/internal/synth"
	"github.com/quanzi/quanzi/internal/media"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: mediabench gen|run [flags]")
	}
	switch os.Args[1] {
	case "gen":
		gen(os.Args[2:])
	case "run":
		run(os.Args[2:])
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}

func gen(args []string) {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	dir := fs.String("dir", "", "folder to write into")
	n := fs.Int("n", 32, "pictures")
	w := fs.Int("w", 4000, "width")
	h := fs.Int("h", 3000, "height")
	seed := fs.Uint64("seed", 1, "first seed")
	fs.Parse(args)
	os.MkdirAll(*dir, 0o755)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range *n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			img := synth.Picture(*w, *h, *seed+uint64(i))
			f, err := os.Create(filepath.Join(*dir, fmt.Sprintf("p%04d.jpg", i)))
			if err != nil {
				log.Fatal(err)
			}
			if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
				log.Fatal(err)
			}
			if err := f.Close(); err != nil {
				log.Fatal(err)
			}
		}()
	}
	wg.Wait()
}

func run(args []string) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	dir := fs.String("dir", "", "folder of JPEGs")
	out := fs.String("out", "", "folder for the variants")
	workers := fs.Int("workers", 8, "concurrent uploads")
	budget := fs.Int64("budget", 0, "media.NewProcessor budget (0: default)")
	profile := fs.String("cpuprofile", "", "write a CPU profile here")
	fs.Parse(args)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	files, _ := filepath.Glob(filepath.Join(*dir, "*.jpg"))
	if len(files) == 0 {
		log.Fatalf("no JPEGs in %s", *dir)
	}
	os.MkdirAll(*out, 0o755)
	p := media.NewProcessor(*budget)
	jobs := make(chan string)
	var wg sync.WaitGroup
	var bytesOut int64
	var mu sync.Mutex
	start := time.Now()
	for range *workers {
		wg.Go(func() {
			for path := range jobs {
				data, err := os.ReadFile(path)
				if err != nil {
					log.Fatal(err)
				}
				res, err := p.Process(context.Background(), data, filepath.Base(path))
				if err != nil {
					log.Fatalf("%s: %v", path, err)
				}
				base := strings.TrimSuffix(filepath.Base(path), ".jpg")
				for v, e := range res.Variants {
					write(filepath.Join(*out, base+"_"+string(v)+".jpg"), e.Bytes)
					mu.Lock()
					bytesOut += int64(len(e.Bytes))
					mu.Unlock()
				}
			}
		})
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("images %d seconds %.3f images_per_s %.3f peak_rss_mib %.1f out_mib %.1f\n",
		len(files), el.Seconds(), float64(len(files))/el.Seconds(), float64(vmHWM())/1024, float64(bytesOut)/(1<<20))
}

// write stores b durably, as a storage backend on local disk would.
func write(path string, b []byte) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		log.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// vmHWM is the peak resident set size of this process in KiB.
func vmHWM() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb
		}
	}
	return 0
}
