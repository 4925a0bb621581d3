package media

import (
	"math"
	"math/bits"
	"slices"
)

// MatchDistance is the largest Distance at which two hashes are taken for
// the same picture (resized, recompressed, slightly cropped or brightened).
// Measured by bench/phashcheck (docs/BENCHMARKS.md, "Media"): 99.4% of
// 1,400 transformed copies came within 8 of their original; of 14,926
// unrelated pictures none came within 8 of any of the 200 originals, the
// nearest at 10. Every hash has 31 bits set, so distances are even and 8
// is the same threshold as 9.
const MatchDistance = 8

// Distance is the number of bits in which two perceptual hashes differ:
// 0 for the same picture, about 32 for unrelated ones.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// dctCos[u][x] is cos((2x+1)uπ/64), the basis of a 32-point DCT-II, for
// the 8 lowest frequencies.
var dctCos = func() (c [8][32]float64) {
	for u := range 8 {
		for x := range 32 {
			c[u][x] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 64)
		}
	}
	return c
}()

// phash is the DCT perceptual hash of a brightness plane: shrunk to 32×32
// (ignoring the aspect ratio), transformed with a 2-D DCT, and of the
// top-left 8×8 frequencies all but the DC term (the mean brightness)
// compared with their median. Bit 8u+v is frequency (u, v); bit 0, the DC
// term's place, is always 0, so 63 bits carry information.
func phash(luma plane) uint64 {
	small := resizePlane(luma, 32, 32, catmullRom)
	var px [32][32]float64
	for y := range 32 {
		for x := range 32 {
			px[y][x] = float64(small.pix[y*small.stride+x])
		}
	}
	// Rows first: rows[y][v] is frequency v along row y.
	var rows [32][8]float64
	for y := range 32 {
		for v := range 8 {
			s := 0.0
			for x := range 32 {
				s += px[y][x] * dctCos[v][x]
			}
			rows[y][v] = s
		}
	}
	var coef [64]float64
	for u := range 8 {
		for v := range 8 {
			s := 0.0
			for y := range 32 {
				s += rows[y][v] * dctCos[u][y]
			}
			coef[u*8+v] = s
		}
	}
	ac := slices.Clone(coef[1:])
	slices.Sort(ac)
	median := ac[len(ac)/2]
	var h uint64
	for i := 1; i < 64; i++ {
		if coef[i] > median {
			h |= 1 << i
		}
	}
	return h
}
