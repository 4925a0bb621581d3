package media

import (
	"image"
	"math"
)

// plane is one channel (bpp 1) or interleaved RGBA pixels (bpp 4) of an
// image: w×h pixels, rows stride bytes apart.
type plane struct {
	pix       []byte
	w, h, bpp int
	stride    int
}

func newPlane(w, h, bpp int) plane {
	return plane{pix: make([]byte, w*h*bpp), w: w, h: h, bpp: bpp, stride: w * bpp}
}

func planeOf(pix []byte, stride, w, h, bpp int) plane {
	return plane{pix: pix, w: w, h: h, bpp: bpp, stride: stride}
}

func ycbcrOf(y, cb, cr plane) *image.YCbCr {
	return &image.YCbCr{
		Y: y.pix, Cb: cb.pix, Cr: cr.pix, YStride: y.stride, CStride: cb.stride,
		SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, y.w, y.h),
	}
}

func grayOf(p plane) *image.Gray {
	return &image.Gray{Pix: p.pix, Stride: p.stride, Rect: image.Rect(0, 0, p.w, p.h)}
}

func rgbaOf(p plane) *image.RGBA {
	return &image.RGBA{Pix: p.pix, Stride: p.stride, Rect: image.Rect(0, 0, p.w, p.h)}
}

// kernel is a resampling filter: its value at x and its support (it is
// zero beyond ±support).
type kernel struct {
	at      func(x float64) float64
	support float64
}

// catmullRom is sharp with little ringing: the filter for the variants.
var catmullRom = kernel{support: 2, at: func(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return (1.5*x-2.5)*x*x + 1
	}
	if x < 2 {
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}}

// bspline is the cubic B-spline: no ringing and no visible grid when
// enlarging a tiny picture, which is what the blurred variant wants.
var bspline = kernel{support: 2, at: func(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 2.0/3 - x*x + x*x*x/2
	}
	if x < 2 {
		x = 2 - x
		return x * x * x / 6
	}
	return 0
}}

const fixBits = 14 // weights are fixed-point with 14 fraction bits

// taps holds the weights of a one-dimensional resampling: output i reads
// n source pixels from start[i], weighted by w[i*n:(i+1)*n].
type taps struct {
	start []int
	n     int
	w     []int32
}

// makeTaps computes the weights for resampling src pixels to dst with k,
// widening the kernel by the reduction factor when shrinking so that every
// source pixel contributes (no aliasing).
func makeTaps(src, dst int, k kernel) taps {
	scale := float64(src) / float64(dst)
	fscale := max(scale, 1)
	support := k.support * fscale
	window := func(i int) (center float64, lo, hi int) {
		center = (float64(i) + 0.5) * scale
		return center, max(int(math.Floor(center-support)), 0), min(int(math.Ceil(center+support)), src)
	}
	n := 1
	for i := range dst {
		_, lo, hi := window(i)
		n = max(n, hi-lo)
	}
	t := taps{start: make([]int, dst), n: n, w: make([]int32, dst*n)}
	ws := make([]float64, n)
	for i := range dst {
		center, lo, hi := window(i)
		start := min(lo, src-n)
		clear(ws)
		sum := 0.0
		for j := lo; j < hi && j-start < n; j++ {
			v := k.at((float64(j) + 0.5 - center) / fscale)
			ws[j-start] = v
			sum += v
		}
		if sum == 0 { // cannot happen with these kernels; be safe
			ws[min(max(int(center), lo), hi-1)-start] = 1
			sum = 1
		}
		row := t.w[i*n : (i+1)*n]
		total, big := int32(0), 0
		for j, v := range ws {
			row[j] = int32(math.Round(v / sum * (1 << fixBits)))
			total += row[j]
			if row[j] > row[big] {
				big = j
			}
		}
		row[big] += 1<<fixBits - total // weights sum to exactly one
		t.start[i] = start
	}
	return t
}

func clamp8(v int32) byte {
	v = (v + 1<<(fixBits-1)) >> fixBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return byte(v)
}

// resizePlane resamples p to dw×dh. When shrinking by more than twice in
// both directions it first averages k×k blocks (cheap, and exact for
// area reduction) down to about twice the target, then filters with k.
func resizePlane(p plane, dw, dh int, k kernel) plane {
	if dw == p.w && dh == p.h {
		return p
	}
	if f := min(p.w/(2*dw), p.h/(2*dh)); f >= 2 {
		p = boxReduce(p, f)
	}
	// Columns first: the vertical pass reads whole rows in order, the fast
	// way, so it takes the full width and the horizontal pass gets the
	// fewer rows.
	if dh != p.h {
		p = resampleCols(p, dh, makeTaps(p.h, dh, k))
	}
	if dw != p.w {
		p = resampleRows(p, dw, makeTaps(p.w, dw, k))
	}
	return p
}

// resampleRows resamples each row of p to dw pixels.
func resampleRows(p plane, dw int, t taps) plane {
	d := newPlane(dw, p.h, p.bpp)
	n := t.n
	for y := range p.h {
		src := p.pix[y*p.stride : y*p.stride+p.w*p.bpp]
		dst := d.pix[y*d.stride : y*d.stride+dw*p.bpp]
		if p.bpp == 1 {
			for x := range dw {
				w := t.w[x*n : x*n+n]
				s := src[t.start[x]:]
				s = s[:len(w)]
				var acc int32
				j := 0
				for ; j+4 <= len(w); j += 4 {
					s4, w4 := s[j:j+4:j+4], w[j:j+4:j+4]
					acc += int32(s4[0])*w4[0] + int32(s4[1])*w4[1] + int32(s4[2])*w4[2] + int32(s4[3])*w4[3]
				}
				for ; j < len(w); j++ {
					acc += int32(s[j]) * w[j]
				}
				dst[x] = clamp8(acc)
			}
			continue
		}
		for x := range dw {
			s := src[t.start[x]*4 : (t.start[x]+n)*4]
			w := t.w[x*n : x*n+n]
			var r, g, b, a int32
			for j, c := range w {
				q := s[j*4 : j*4+4 : j*4+4]
				r += int32(q[0]) * c
				g += int32(q[1]) * c
				b += int32(q[2]) * c
				a += int32(q[3]) * c
			}
			o := dst[x*4 : x*4+4 : x*4+4]
			o[0], o[1], o[2], o[3] = clamp8(r), clamp8(g), clamp8(b), clamp8(a)
			// Premultiplied colour never exceeds alpha; ringing can push it over.
			o[0], o[1], o[2] = min(o[0], o[3]), min(o[1], o[3]), min(o[2], o[3])
		}
	}
	return d
}

// resampleCols resamples each column of p to dh pixels, a row at a time
// so that memory is read in order.
func resampleCols(p plane, dh int, t taps) plane {
	d := newPlane(p.w, dh, p.bpp)
	rowLen := p.w * p.bpp
	acc := make([]int32, rowLen)
	n := t.n
	for y := range dh {
		clear(acc)
		w := t.w[y*n : y*n+n]
		row := func(j int) []byte {
			r := (t.start[y] + j) * p.stride
			return p.pix[r : r+rowLen]
		}
		// Four source rows at a time: a quarter of the passes over acc.
		j := 0
		for ; j+4 <= len(w); j += 4 {
			c0, c1, c2, c3 := w[j], w[j+1], w[j+2], w[j+3]
			s0, s1, s2, s3 := row(j), row(j+1), row(j+2), row(j+3)
			s1, s2, s3 = s1[:len(s0)], s2[:len(s0)], s3[:len(s0)]
			a := acc[:len(s0)]
			for x, v := range s0 {
				a[x] += int32(v)*c0 + int32(s1[x])*c1 + int32(s2[x])*c2 + int32(s3[x])*c3
			}
		}
		for ; j < len(w); j++ {
			if c := w[j]; c != 0 {
				s0 := row(j)
				a := acc[:len(s0)]
				for x, v := range s0 {
					a[x] += int32(v) * c
				}
			}
		}
		dst := d.pix[y*d.stride : y*d.stride+rowLen]
		for x, v := range acc {
			dst[x] = clamp8(v)
		}
		if p.bpp == 4 {
			for x := 0; x < rowLen; x += 4 {
				a := dst[x+3]
				dst[x], dst[x+1], dst[x+2] = min(dst[x], a), min(dst[x+1], a), min(dst[x+2], a)
			}
		}
	}
	return d
}

// boxReduce averages f×f blocks of p (partial blocks at the right and
// bottom edges average what they have).
func boxReduce(p plane, f int) plane {
	ow, oh := (p.w+f-1)/f, (p.h+f-1)/f
	d := newPlane(ow, oh, p.bpp)
	bpp := p.bpp
	acc := make([]uint32, ow*bpp)
	for oy := range oh {
		clear(acc)
		y0, y1 := oy*f, min(oy*f+f, p.h)
		for y := y0; y < y1; y++ {
			row := p.pix[y*p.stride : y*p.stride+p.w*bpp]
			if bpp == 1 {
				for ox := range ow {
					var s uint32
					for _, v := range row[ox*f : min(ox*f+f, p.w)] {
						s += uint32(v)
					}
					acc[ox] += s
				}
				continue
			}
			for x := range p.w {
				o := (x / f) * 4
				acc[o] += uint32(row[x*4])
				acc[o+1] += uint32(row[x*4+1])
				acc[o+2] += uint32(row[x*4+2])
				acc[o+3] += uint32(row[x*4+3])
			}
		}
		dst := d.pix[oy*d.stride : oy*d.stride+ow*bpp]
		rows := uint32(y1 - y0)
		for ox := range ow {
			cnt := rows * uint32(min(ox*f+f, p.w)-ox*f)
			for c := range bpp {
				i := ox*bpp + c
				dst[i] = byte((acc[i] + cnt/2) / cnt)
			}
		}
	}
	return d
}

// fitIn returns w×h scaled down to fit in a square of side m, keeping the
// aspect ratio; never larger than w×h and never smaller than 1×1.
func fitIn(w, h, m int) (int, int) {
	if w <= m && h <= m {
		return w, h
	}
	if w >= h {
		return m, max(1, int(math.Round(float64(h)*float64(m)/float64(w))))
	}
	return max(1, int(math.Round(float64(w)*float64(m)/float64(h)))), m
}
