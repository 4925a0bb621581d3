// Package synth draws photo-like test pictures from a seed for the media
// benchmarks: a sky-like gradient, fractal noise (clouds, terrain,
// texture), and soft-edged shapes, in a random palette, with sensor-like
// grain. Different seeds give unrelated pictures; the same seed gives the
// same picture at any size.
package synth

import (
	"image"
	"math"
	"math/rand/v2"
)

// noise is 2-D value noise on a 256×256 lattice that wraps.
type noise struct{ v [256 * 256]float32 }

func newNoise(r *rand.Rand) *noise {
	n := &noise{}
	for i := range n.v {
		n.v[i] = r.Float32()
	}
	return n
}

func (n *noise) at(x, y float64) float64 {
	xf, yf := math.Floor(x), math.Floor(y)
	xi, yi := int(xf)&255, int(yf)&255
	fx, fy := x-xf, y-yf
	fx, fy = fx*fx*(3-2*fx), fy*fy*(3-2*fy)
	x1, y1 := (xi+1)&255, (yi+1)&255
	a := float64(n.v[yi<<8|xi])
	b := float64(n.v[yi<<8|x1])
	c := float64(n.v[y1<<8|xi])
	d := float64(n.v[y1<<8|x1])
	return (a+(b-a)*fx)*(1-fy) + (c+(d-c)*fx)*fy
}

// fbm is fractal noise: octaves of noise, each twice as fine and half as
// strong; about 0..1.
func (n *noise) fbm(x, y float64, octaves int) float64 {
	s, amp, norm := 0.0, 0.5, 0.0
	for range octaves {
		s += amp * n.at(x, y)
		norm += amp
		x, y, amp = x*2.03+17.1, y*2.03+5.3, amp*0.5
	}
	return s / norm
}

type rgb [3]float64

func randColor(r *rand.Rand) rgb {
	return rgb{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}
}

func mix(a, b rgb, t float64) rgb {
	return rgb{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}

// shape is a soft-edged ellipse, band or ring.
type shape struct {
	kind       int
	cx, cy     float64 // centre, in units of the picture's width
	rx, ry     float64
	cos, sin   float64
	col        rgb
	edge       float64
	textured   bool
	alphaScale float64
}

// Picture draws the picture of seed at w×h.
func Picture(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	nz := newNoise(r)
	sky0, sky1 := randColor(r), randColor(r)
	ground0, ground1 := randColor(r), randColor(r)
	horizon := 0.3 + r.Float64()*0.5
	tilt := (r.Float64() - 0.5) * 0.4
	freq := 2 + r.Float64()*10 // noise features across the picture
	octaves := 3 + r.IntN(4)
	contrast := 0.3 + r.Float64()*0.7
	stripes := r.IntN(4) == 0
	stripeFreq, stripeAng := 5+r.Float64()*40, r.Float64()*math.Pi
	var shapes []shape
	for range r.IntN(9) {
		a := r.Float64() * math.Pi
		shapes = append(shapes, shape{
			kind: r.IntN(3), cx: r.Float64(), cy: r.Float64() * float64(h) / float64(w),
			rx: 0.03 + r.Float64()*0.3, ry: 0.03 + r.Float64()*0.3,
			cos: math.Cos(a), sin: math.Sin(a), col: randColor(r),
			edge: 0.002 + r.Float64()*0.02, textured: r.IntN(2) == 0, alphaScale: 0.6 + r.Float64()*0.4,
		})
	}
	grain := 2 + r.Float64()*6
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	fw := float64(w)
	g := rand.New(rand.NewPCG(seed, 1))
	for y := range h {
		v := float64(y) / fw // both axes in units of the width
		for x := range w {
			u := float64(x) / fw
			n := nz.fbm(u*freq, v*freq, octaves)
			var c rgb
			line := horizon*float64(h)/fw + tilt*(u-0.5) + (n-0.5)*0.1
			if v < line {
				c = mix(sky0, sky1, min(max(v/line+(n-0.5)*contrast, 0), 1))
			} else {
				c = mix(ground0, ground1, min(max(n*contrast*2-contrast+0.5, 0), 1))
			}
			if stripes {
				s := math.Sin((u*math.Cos(stripeAng) + v*math.Sin(stripeAng)) * stripeFreq * 2 * math.Pi)
				c = mix(c, rgb{255 - c[0], 255 - c[1], 255 - c[2]}, 0.15*(s+1))
			}
			for _, s := range shapes {
				dx, dy := u-s.cx, v-s.cy
				px, py := (dx*s.cos+dy*s.sin)/s.rx, (-dx*s.sin+dy*s.cos)/s.ry
				var d float64 // signed distance-ish: < 0 inside
				switch s.kind {
				case 0:
					d = math.Sqrt(px*px+py*py) - 1
				case 1:
					d = math.Abs(py) - 0.3
				case 2:
					d = math.Abs(math.Sqrt(px*px+py*py)-0.8) - 0.2
				}
				a := min(max(0.5-d*s.rx/s.edge, 0), 1) * s.alphaScale
				if a > 0 {
					col := s.col
					if s.textured {
						col = mix(col, rgb{}, 0.5*nz.fbm(u*freq*4+3, v*freq*4+7, 2))
					}
					c = mix(c, col, a)
				}
			}
			o := m.PixOffset(x, y)
			e := g.NormFloat64() * grain
			for i := range 3 {
				m.Pix[o+i] = uint8(min(max(c[i]+e, 0), 255))
			}
			m.Pix[o+3] = 255
		}
	}
	return m
}
