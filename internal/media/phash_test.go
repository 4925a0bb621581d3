package media

import (
	"image"
	"image/draw"
	"testing"
)

func TestPHashDistance(t *testing.T) {
	if Distance(0, 0) != 0 || Distance(0, ^uint64(0)) != 64 || Distance(0b1011, 0b0110) != 3 {
		t.Fatal("Distance is not the Hamming distance")
	}
}

func TestPHashNearDuplicates(t *testing.T) {
	t.Parallel()
	const originals = 5
	var hashes [originals]uint64
	for i := range originals {
		src := testPicture(480, 360, uint64(100+i))
		orig := mustProcessImage(t, jpegOf(t, src, 90), "o.jpg")
		hashes[i] = orig.Hash
		if orig.Hash&1 != 0 {
			t.Error("the DC bit is set")
		}

		smaller := resizeImage(src, 240, 180, catmullRom)
		crop := image.NewRGBA(image.Rect(0, 0, 456, 342)) // 5% of each side: 2.5% off every edge
		draw.Draw(crop, crop.Rect, src, image.Pt(12, 9), draw.Src)
		bright := image.NewRGBA(src.Rect)
		for j, v := range src.Pix {
			if j%4 == 3 {
				bright.Pix[j] = v
			} else {
				bright.Pix[j] = uint8(min(int(v)+25, 255))
			}
		}
		copies := map[string][]byte{
			"resized":          jpegOf(t, smaller, 85),
			"recompressed q30": jpegOf(t, src, 30),
			"cropped 5%":       jpegOf(t, crop, 85),
			"brighter":         pngOf(t, bright),
		}
		for name, data := range copies {
			d := Distance(orig.Hash, mustProcessImage(t, data, "").Hash)
			if d > MatchDistance {
				t.Errorf("picture %d %s: distance %d > %d", i, name, d, MatchDistance)
			}
		}
	}
	for i := range originals {
		for j := range i {
			if d := Distance(hashes[i], hashes[j]); d <= MatchDistance {
				t.Errorf("unrelated pictures %d and %d: distance %d ≤ %d", i, j, d, MatchDistance)
			}
		}
	}
}

func TestPHashOrientationInvariant(t *testing.T) {
	// The hash is of the upright picture: a sideways-stored JPEG with
	// orientation 6 hashes as the upright one.
	src := testPicture(320, 240, 9)
	upright := mustProcessImage(t, jpegOf(t, src, 92), "")
	stored := orientImage(src, 8).(*image.RGBA) // what the camera stored
	sideways := mustProcessImage(t, withOrientation(jpegOf(t, stored, 92), 6), "")
	if d := Distance(upright.Hash, sideways.Hash); d > 2 {
		t.Errorf("distance %d between upright and EXIF-turned copies", d)
	}
}
