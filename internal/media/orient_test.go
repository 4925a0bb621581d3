package media

import (
	"image"
	"testing"
)

func TestImageOrientPlane(t *testing.T) {
	// A 3×2 picture
	//   a b c
	//   d e f
	// and how each EXIF orientation shows it.
	src := planeOf([]byte("abcdef"), 3, 3, 2, 1)
	want := map[int][]string{
		1: {"abc", "def"},
		2: {"cba", "fed"},
		3: {"fed", "cba"},
		4: {"def", "abc"},
		5: {"ad", "be", "cf"},
		6: {"da", "eb", "fc"},
		7: {"fc", "eb", "da"},
		8: {"cf", "be", "ad"},
	}
	for o, rows := range want {
		got := orientPlane(src, o)
		var lines []string
		for y := range got.h {
			lines = append(lines, string(got.pix[y*got.stride:y*got.stride+got.w]))
		}
		if len(lines) != len(rows) {
			t.Errorf("orientation %d: %q, want %q", o, lines, rows)
			continue
		}
		for i := range rows {
			if lines[i] != rows[i] {
				t.Errorf("orientation %d: %q, want %q", o, lines, rows)
				break
			}
		}
	}
	// Four bytes a pixel move together.
	rgba := planeOf([]byte("aaaabbbbccccdddd"), 8, 2, 2, 4)
	if got := string(orientPlane(rgba, 6).pix); got != "ccccaaaaddddbbbb" {
		t.Errorf("RGBA orientation 6: %q", got)
	}
}

func TestImageOrientYCbCrOddSize(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 5, 3), image.YCbCrSubsampleRatio420)
	got := orientImage(m, 8).(*image.YCbCr)
	if got.Rect.Dx() != 3 || got.Rect.Dy() != 5 || len(got.Cb) != 2*3 || got.CStride != 2 {
		t.Fatalf("turned 5×3 4:2:0: %v, chroma %d bytes, stride %d", got.Rect, len(got.Cb), got.CStride)
	}
	got.YCbCrAt(2, 4) // in range
}

func TestImageJPEGInfo(t *testing.T) {
	jpg := jpegOf(t, testPicture(16, 16, 1), 80)
	for o := uint16(1); o <= 8; o++ {
		if got, prog := jpegInfo(withOrientation(jpg, o)); got != int(o) || prog {
			t.Errorf("orientation %d: read %d (progressive %v)", o, got, prog)
		}
	}
	for _, bad := range []uint16{0, 9, 0xFFFF} {
		if got, _ := jpegInfo(withOrientation(jpg, bad)); got != 1 {
			t.Errorf("orientation %d read as %d, want 1", bad, got)
		}
	}
	if got, _ := jpegInfo(jpg); got != 1 {
		t.Errorf("no EXIF: %d", got)
	}
	// Truncated in the middle of the EXIF segment: no panic, orientation 1.
	w := withOrientation(jpg, 6)
	for n := range 40 {
		jpegInfo(w[:n])
	}
}
