package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/quanzi/quanzi/internal/errs"
)

// testPicture draws a w×h test picture from seed: a gradient between two
// random colours at a random angle, a few random discs and bars, and some
// grain, so that different seeds give unrelated pictures.
func testPicture(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 7))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	c0 := [3]float64{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}
	c1 := [3]float64{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}
	ang := r.Float64() * 2 * math.Pi
	dx, dy := math.Cos(ang), math.Sin(ang)
	type disc struct {
		x, y, r float64
		c       [3]float64
	}
	var discs []disc
	for range 3 + r.IntN(5) {
		discs = append(discs, disc{r.Float64() * float64(w), r.Float64() * float64(h),
			(0.05 + r.Float64()*0.3) * float64(min(w, h)), [3]float64{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}})
	}
	fw, fh := float64(w), float64(h)
	for y := range h {
		for x := range w {
			t := (float64(x)/fw-0.5)*dx + (float64(y)/fh-0.5)*dy + 0.5
			t = min(max(t, 0), 1)
			var c [3]float64
			for i := range 3 {
				c[i] = c0[i]*(1-t) + c1[i]*t
			}
			for _, d := range discs {
				if ex, ey := float64(x)-d.x, float64(y)-d.y; ex*ex+ey*ey < d.r*d.r {
					c = d.c
				}
			}
			g := float64(r.IntN(9)) - 4
			o := m.PixOffset(x, y)
			for i := range 3 {
				m.Pix[o+i] = uint8(min(max(c[i]+g, 0), 255))
			}
			m.Pix[o+3] = 255
		}
	}
	return m
}

func jpegOf(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngChunk is one PNG chunk with its CRC.
func pngChunk(kind string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(kind)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	return b.Bytes()
}

// bombPNG is a valid PNG header claiming w×h pixels followed by a tiny
// IDAT: a decompression bomb's first bytes.
func bombPNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	b.Write(pngChunk("IHDR", ihdr))
	b.Write(pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

// gifWith builds a GIF89a of a w×h screen with a 2-colour global palette,
// frames 1×1 frames, and extra bytes as a comment extension.
func gifWith(w, h uint16, frames int, comment []byte) []byte {
	var b bytes.Buffer
	b.WriteString("GIF89a")
	binary.Write(&b, binary.LittleEndian, w)
	binary.Write(&b, binary.LittleEndian, h)
	b.Write([]byte{0x80, 0, 0})                // global table of 2 colours
	b.Write([]byte{0, 0, 0, 0xFF, 0xFF, 0xFF}) // black, white
	if len(comment) > 0 {
		b.Write([]byte{0x21, 0xFE})
		for len(comment) > 0 {
			n := min(len(comment), 255)
			b.WriteByte(byte(n))
			b.Write(comment[:n])
			comment = comment[n:]
		}
		b.WriteByte(0)
	}
	for range frames {
		b.Write([]byte{0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0}) // 1×1 at (0,0), no local table
		b.Write([]byte{2, 2, 0x4C, 0x01, 0})             // LZW: clear, index 1, end
	}
	b.WriteByte(0x3B)
	return b.Bytes()
}

// withOrientation inserts an EXIF APP1 segment with the given orientation right
// after the SOI of a JPEG.
func withOrientation(jpg []byte, o uint16) []byte {
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	tiff = append(tiff, 0, 1)                                     // one entry
	tiff = append(tiff, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0) // Orientation SHORT 1
	binary.BigEndian.PutUint16(tiff[len(tiff)-4:], o)
	tiff = append(tiff, 0, 0, 0, 0) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// processImage runs a fresh Processor on data.
func processImage(t testing.TB, data []byte, name string) (*Result, error) {
	t.Helper()
	return NewProcessor(0).Process(context.Background(), data, name)
}

func mustProcessImage(t testing.TB, data []byte, name string) *Result {
	t.Helper()
	res, err := processImage(t, data, name)
	if err != nil {
		t.Fatalf("Process(%q): %v", name, err)
	}
	return res
}

func wantImageCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	if e := errs.As(err); e.Message == "" {
		t.Fatalf("error %v has no sentence", err)
	}
}

func decodeVariant(t *testing.T, e Encoded) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(e.Bytes))
	if err != nil {
		t.Fatalf("variant does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != e.Width || b.Dy() != e.Height {
		t.Fatalf("variant is %v, says %d×%d", b, e.Width, e.Height)
	}
	return img
}

// nearColor reports whether c is within tol of want in every channel.
func nearColor(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { return absInt(int(a>>8)-int(w)) <= tol }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
