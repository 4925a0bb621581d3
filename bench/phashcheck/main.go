// Command phashcheck measures how well media's perceptual hash finds
// near-duplicates: it hashes N originals (photo-like pictures from
// bench/internal/synth) and transformed copies of each (resized,
// recompressed at low quality, cropped, brighter, darker, and all of these
// at once), then U unrelated pictures (more seeds, plus any PNG and JPEG
// files under the -real folders), all through media.Processor.Process as
// uploads. It prints the recall of each transformation at MatchDistance,
// the false matches of the unrelated pictures against the originals, both
// distance distributions, and recall and false matches at every threshold.
//
//	phashcheck [-originals 200 -unrelated 10000 -real /usr/share/icons,/usr/share/desktop-base]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quanzi/quanzi/bench/internal/synth"
	"github.com/quanzi/quanzi/internal/media"
)

var proc = media.NewProcessor(0)

func hash(data []byte) (uint64, bool) {
	res, err := proc.Process(context.Background(), data, "")
	if err != nil {
		return 0, false
	}
	return res.Hash, true
}

func jpg(img image.Image, q int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// scale resizes with x/image-free nearest-area sampling: what a phone or
// a messaging app does before sending is not our resampler.
func scale(src *image.RGBA, w, h int) *image.RGBA {
	d := image.NewRGBA(image.Rect(0, 0, w, h))
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		for x := range w {
			x0, x1 := x*sw/w, max((x+1)*sw/w, x*sw/w+1)
			var s [4]int
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					o := src.PixOffset(xx, yy)
					for c := range 4 {
						s[c] += int(src.Pix[o+c])
					}
				}
			}
			n := (y1 - y0) * (x1 - x0)
			o := d.PixOffset(x, y)
			for c := range 4 {
				d.Pix[o+c] = uint8(s[c] / n)
			}
		}
	}
	return d
}

func crop(src *image.RGBA, frac float64) *image.RGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	mx, my := int(float64(w)*frac/2), int(float64(h)*frac/2)
	d := image.NewRGBA(image.Rect(0, 0, w-2*mx, h-2*my))
	draw.Draw(d, d.Rect, src, image.Pt(mx, my), draw.Src)
	return d
}

func brightness(src *image.RGBA, delta int) *image.RGBA {
	d := image.NewRGBA(src.Rect)
	for i, v := range src.Pix {
		if i%4 == 3 {
			d.Pix[i] = v
		} else {
			d.Pix[i] = uint8(min(max(int(v)+delta, 0), 255))
		}
	}
	return d
}

var transforms = []struct {
	name string
	f    func(*image.RGBA) []byte
}{
	{"resized to 50%", func(m *image.RGBA) []byte { return jpg(scale(m, m.Rect.Dx()/2, m.Rect.Dy()/2), 85) }},
	{"resized to 25%", func(m *image.RGBA) []byte { return jpg(scale(m, m.Rect.Dx()/4, m.Rect.Dy()/4), 85) }},
	{"recompressed q20", func(m *image.RGBA) []byte { return jpg(m, 20) }},
	{"cropped 5% (2.5% off each edge)", func(m *image.RGBA) []byte { return jpg(crop(m, 0.05), 85) }},
	{"brighter +30", func(m *image.RGBA) []byte { return jpg(brightness(m, 30), 85) }},
	{"darker -30", func(m *image.RGBA) []byte { return jpg(brightness(m, -30), 85) }},
	{"all: crop 5%, 50%, +20, q40", func(m *image.RGBA) []byte {
		c := crop(brightness(m, 20), 0.05)
		return jpg(scale(c, c.Rect.Dx()/2, c.Rect.Dy()/2), 40)
	}},
}

// parallel runs f(i) for i in [0, n) on every core.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func main() {
	nOrig := flag.Int("originals", 200, "originals")
	nUnrel := flag.Int("unrelated", 10000, "unrelated generated pictures")
	real := flag.String("real", "", "comma-separated folders of PNG and JPEG files, also unrelated")
	flag.Parse()
	start := time.Now()

	orig := make([]uint64, *nOrig)
	near := make([][]int, len(transforms)) // distance of each copy to its original
	for k := range near {
		near[k] = make([]int, *nOrig)
	}
	parallel(*nOrig, func(i int) {
		src := synth.Picture(1024, 768, uint64(1+i))
		h, ok := hash(jpg(src, 90))
		if !ok {
			log.Fatalf("original %d refused", i)
		}
		orig[i] = h
		for k, t := range transforms {
			c, ok := hash(t.f(src))
			if !ok {
				log.Fatalf("original %d, %s: refused", i, t.name)
			}
			near[k][i] = media.Distance(h, c)
		}
	})
	fmt.Printf("originals: %d, hashed with %d transformations each (%s)\n", *nOrig, len(transforms), time.Since(start).Round(time.Second))

	// Unrelated: generated, then real files.
	var files []string
	for _, dir := range strings.Split(*real, ",") {
		if dir == "" {
			continue
		}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".png") || strings.HasSuffix(p, ".jpg")) {
				files = append(files, p)
			}
			return nil
		})
	}
	nearest := make([]int, *nUnrel+len(files)) // distance to the nearest original; -1 if not hashed
	var all []int                              // every unrelated-original distance, for the distribution
	var mu sync.Mutex
	parallel(len(nearest), func(i int) {
		var data []byte
		if i < *nUnrel {
			data = jpg(synth.Picture(256, 192, uint64(1_000_000+i)), 85)
		} else {
			var err error
			if data, err = os.ReadFile(files[i-*nUnrel]); err != nil {
				nearest[i] = -1
				return
			}
		}
		h, ok := hash(data)
		if !ok {
			nearest[i] = -1
			return
		}
		best := 64
		var ds [65]int
		for _, o := range orig {
			d := media.Distance(h, o)
			best = min(best, d)
			ds[d]++
		}
		nearest[i] = best
		mu.Lock()
		for d, n := range ds {
			for range n {
				all = append(all, d)
			}
		}
		mu.Unlock()
	})
	var gen, realN []int
	for i, d := range nearest {
		if d < 0 {
			continue
		}
		if i < *nUnrel {
			gen = append(gen, d)
		} else {
			realN = append(realN, d)
		}
	}
	fmt.Printf("unrelated: %d generated, %d real files hashed (of %d found) (%s)\n\n", len(gen), len(realN), len(files), time.Since(start).Round(time.Second))

	m := media.MatchDistance
	fmt.Printf("MatchDistance = %d\n\n", m)
	fmt.Println("| near-duplicate | recall at MatchDistance | median distance | max distance |")
	fmt.Println("|---|---|---|---|")
	total, hit := 0, 0
	maxNear := 0
	for k, t := range transforms {
		ds := slices.Sorted(slices.Values(near[k]))
		n := 0
		for _, d := range ds {
			if d <= m {
				n++
			}
		}
		total += len(ds)
		hit += n
		maxNear = max(maxNear, ds[len(ds)-1])
		fmt.Printf("| %s | %.3f (%d/%d) | %d | %d |\n", t.name, float64(n)/float64(len(ds)), n, len(ds), ds[len(ds)/2], ds[len(ds)-1])
	}
	fmt.Printf("| **all** | **%.3f** (%d/%d) | | %d |\n\n", float64(hit)/float64(total), hit, total, maxNear)

	for _, set := range []struct {
		name string
		d    []int
	}{{"generated", gen}, {"real files", realN}} {
		if len(set.d) == 0 {
			continue
		}
		s := slices.Sorted(slices.Values(set.d))
		false_ := 0
		for _, d := range s {
			if d <= m {
				false_++
			}
		}
		fmt.Printf("unrelated %s: %d pictures, false matches at MatchDistance %d; distance to the nearest original: min %d, 0.1%% %d, 1%% %d, median %d\n",
			set.name, len(s), false_, s[0], s[len(s)/1000], s[len(s)/100], s[len(s)/2])
	}
	slices.Sort(all)
	fmt.Printf("all %d unrelated–original pairs: min %d, 0.01%% %d, median %d\n\n", len(all), all[0], all[len(all)/10000], all[len(all)/2])

	fmt.Println("| threshold | recall | unrelated pictures matching an original |")
	fmt.Println("|---|---|---|")
	for th := 4; th <= 24; th += 2 {
		n := 0
		for k := range transforms {
			for _, d := range near[k] {
				if d <= th {
					n++
				}
			}
		}
		f := 0
		for _, d := range nearest {
			if d >= 0 && d <= th {
				f++
			}
		}
		fmt.Printf("| %d | %.3f | %d |\n", th, float64(n)/float64(total), f)
	}
	fmt.Printf("\ntook %s\n", time.Since(start).Round(time.Second))
}
