package media

import (
	"testing"
)

func TestImageResizePlane(t *testing.T) {
	// A flat plane stays flat, at every size and through the box reduction.
	flat := newPlane(997, 601, 1)
	for i := range flat.pix {
		flat.pix[i] = 77
	}
	for _, s := range [][2]int{{480, 289}, {100, 60}, {996, 601}, {32, 32}, {1, 1}, {2000, 1200}} {
		got := resizePlane(flat, s[0], s[1], catmullRom)
		if got.w != s[0] || got.h != s[1] {
			t.Fatalf("resized to %d×%d, want %v", got.w, got.h, s)
		}
		for i, v := range got.pix {
			if v != 77 {
				t.Fatalf("%v: pixel %d is %d, want 77", s, i, v)
			}
		}
	}
	// A left-to-right ramp stays a ramp: no pixel darker than its left
	// neighbour (CatmullRom rings at edges, not along a smooth ramp).
	ramp := newPlane(1000, 10, 4)
	for y := range 10 {
		for x := range 1000 {
			for c := range 4 {
				ramp.pix[y*ramp.stride+x*4+c] = byte(x * 255 / 999)
			}
		}
	}
	got := resizePlane(ramp, 300, 3, catmullRom)
	for x := 1; x < 300; x++ {
		if got.pix[x*4] < got.pix[(x-1)*4] {
			t.Fatalf("ramp not monotonic at %d: %d < %d", x, got.pix[x*4], got.pix[(x-1)*4])
		}
	}
	if got.pix[0] > 3 || got.pix[299*4] < 252 {
		t.Errorf("ramp ends at %d and %d", got.pix[0], got.pix[299*4])
	}
}

func TestImageBoxReduce(t *testing.T) {
	p := planeOf([]byte{
		0, 4, 8,
		2, 6, 10,
		100, 100, 7,
	}, 3, 3, 3, 1)
	got := boxReduce(p, 2)
	if want := []byte{3, 9, 100, 7}; string(got.pix) != string(want) {
		t.Errorf("boxReduce = %v, want %v", got.pix, want)
	}
}

func BenchmarkResizeDisplay(b *testing.B) {
	y := newPlane(4000, 3000, 1)
	for i := range y.pix {
		y.pix[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(y.pix)))
	for b.Loop() {
		resizePlane(y, 2048, 1536, catmullRom)
	}
}

func BenchmarkResizeThumb(b *testing.B) {
	y := newPlane(2048, 1536, 1)
	for i := range y.pix {
		y.pix[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(y.pix)))
	for b.Loop() {
		resizePlane(y, 480, 360, catmullRom)
	}
}
