package media

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
)

func TestImageRefusesBadInput(t *testing.T) {
	jpg := jpegOf(t, testPicture(320, 240, 1), 90)
	pngb := pngOf(t, testPicture(320, 240, 2))
	corruptJPEG := append([]byte{}, jpg[:600]...)
	for i := 400; i < 600; i++ {
		corruptJPEG[i] ^= 0x5A
	}
	corruptJPEG = append(corruptJPEG, jpg[600:]...)
	cases := []struct {
		name string
		data []byte
		file string
		code errs.Code
	}{
		{"empty", nil, "a.jpg", CodeEmptyFile},
		{"svg with script named png", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "cat.png", errs.UnsupportedType},
		{"svg with xml prolog", []byte(`<?xml version="1.0"?><svg onload="alert(1)"/>`), "cat.svg", errs.UnsupportedType},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), "a.gif", errs.UnsupportedType},
		{"js", []byte("alert(document.cookie)"), "a.js", errs.UnsupportedType},
		{"pdf", []byte("%PDF-1.7\n1 0 obj<<>>endobj"), "a.pdf", errs.UnsupportedType},
		{"text", []byte("hello"), "", errs.UnsupportedType},
		{"bmp", append([]byte("BM"), make([]byte, 60)...), "a.bmp", errs.UnsupportedType},
		{"png named jpg", pngb, "x.jpg", CodeExtensionMismatch},
		{"jpeg named png", jpg, "photo.PNG", CodeExtensionMismatch},
		{"png named html", pngb, "x.html", CodeExtensionMismatch},
		{"png with a hidden second extension", pngb, "x.png\x00.jpg", CodeExtensionMismatch},
		{"truncated jpeg", jpg[:len(jpg)/2], "a.jpg", CodeCorruptImage},
		{"jpeg header only", jpg[:40], "a.jpg", CodeCorruptImage},
		{"corrupt jpeg", corruptJPEG, "a.jpg", CodeCorruptImage},
		{"truncated png", pngb[:len(pngb)/2], "a.png", CodeCorruptImage},
		{"png signature only", pngb[:8], "", CodeCorruptImage},
		{"gif header only", []byte("GIF89a"), "", CodeCorruptImage},
		{"riff webp header only", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), "", CodeCorruptImage},
		{"png bomb 60000×60000", bombPNG(60000, 60000), "bomb.png", CodeImageTooLarge},
		{"png 30001×1", bombPNG(30001, 1), "wide.png", CodeImageTooLarge},
		{"png 0×0", bombPNG(0, 0), "", CodeCorruptImage},
		{"gif with 10,000 frames", gifWith(1, 1, 10_000, nil), "a.gif", CodeTooManyFrames},
		{"too many bytes", append(jpg, make([]byte, MaxBytes)...), "a.jpg", errs.TooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := processImage(t, c.data, c.file)
			if err == nil {
				t.Fatalf("accepted: %+v", res.Variants[Display].Mime)
			}
			wantImageCode(t, err, c.code)
		})
	}
}

func TestImageBombRefusedFromHeader(t *testing.T) {
	bomb := bombPNG(60000, 60000)
	p := NewProcessor(0)
	var err error
	start := time.Now()
	allocs := testing.AllocsPerRun(10, func() { _, err = p.Process(t.Context(), bomb, "bomb.png") })
	wantImageCode(t, err, CodeImageTooLarge)
	if d := time.Since(start) / 11; d > 5*time.Millisecond {
		t.Errorf("refusing took %v a time", d)
	}
	if allocs > 50 {
		t.Errorf("refusing took %v allocations", allocs)
	}
	if e := errs.As(err); !strings.Contains(e.Message, "60000×60000") {
		t.Errorf("message %q does not give the dimensions", e.Message)
	}
	if p.peak.Load() != 0 {
		t.Errorf("the bomb took %d of the decoding budget", p.peak.Load())
	}
}

func TestImageGIFFirstFrame(t *testing.T) {
	res := mustProcessImage(t, gifWith(1, 1, 900, nil), "a.gif")
	if res.Format != "gif" || res.Width != 1 || res.Height != 1 {
		t.Fatalf("got %s %d×%d", res.Format, res.Width, res.Height)
	}
}

func TestImagePolyglotGIFJS(t *testing.T) {
	// The classic: the screen size is the bytes "=a" and "le", 24893×25964.
	classic := append([]byte("GIF89a=alert(1)//"), gifWith(1, 1, 1, nil)[6:]...)
	if _, err := processImage(t, classic, "a.gif"); err == nil {
		t.Error("GIF89a=alert(1)// accepted")
	}
	// A well-formed one: "/*" is the width (10799), the height is 1, the
	// script sits in a comment extension and after the trailer.
	g := gifWith(0x2A2F, 1, 1, []byte("*/=alert(document.cookie);/*"))
	g = append(g, "*/ alert(2) <script>x()</script>"...)
	res, err := processImage(t, g, "poly.gif")
	if err != nil {
		wantImageCode(t, err, CodeCorruptImage) // refusing is the other good answer
		return
	}
	for v, e := range res.Variants {
		if bytes.Contains(e.Bytes, []byte("alert")) || bytes.Contains(e.Bytes, []byte("<script")) {
			t.Errorf("%s variant still carries the script", v)
		}
		if e.Mime != "image/jpeg" && e.Mime != "image/png" {
			t.Errorf("%s variant is %s", v, e.Mime)
		}
	}
}

func TestImagePolyglotJPEGHTML(t *testing.T) {
	jpg := jpegOf(t, testPicture(200, 150, 3), 85)
	payload := []byte("<html><script>alert(document.domain)</script></html>")
	// Appended after the end of the image, and inside a comment segment.
	appended := append(append([]byte{}, jpg...), payload...)
	com := []byte{0xFF, 0xD8, 0xFF, 0xFE, 0, byte(len(payload) + 2)}
	com = append(append(com, payload...), jpg[2:]...)
	for name, data := range map[string][]byte{"appended": appended, "comment": com} {
		res, err := processImage(t, data, "p.jpg")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for v, e := range res.Variants {
			if bytes.Contains(e.Bytes, []byte("<script")) || bytes.Contains(e.Bytes, []byte("alert")) {
				t.Errorf("%s: %s variant still carries the payload", name, v)
			}
		}
	}
}

func TestImageVariants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		w, h                   int
		display, thumb         [2]int
		name                   string
		format, mimeOfVariants string
	}{
		{3000, 1000, [2]int{2048, 683}, [2]int{480, 160}, "wide.jpg", "jpeg", "image/jpeg"},
		{900, 1200, [2]int{900, 1200}, [2]int{360, 480}, "tall.png", "png", "image/jpeg"}, // opaque PNG → JPEG
		{300, 200, [2]int{300, 200}, [2]int{300, 200}, "", "jpeg", "image/jpeg"},          // never enlarged
	}
	for _, c := range cases {
		src := testPicture(c.w, c.h, 4)
		var data []byte
		if c.format == "png" {
			data = pngOf(t, src)
		} else {
			data = jpegOf(t, src, 90)
		}
		res := mustProcessImage(t, data, c.name)
		if res.Format != c.format || res.Width != c.w || res.Height != c.h {
			t.Errorf("%s: result %s %d×%d", c.name, res.Format, res.Width, res.Height)
		}
		check := func(v Variant, want [2]int, mime string) image.Image {
			e, ok := res.Variants[v]
			if !ok {
				t.Fatalf("%s: no %s variant", c.name, v)
			}
			if e.Width != want[0] || e.Height != want[1] || e.Mime != mime {
				t.Errorf("%s: %s is %d×%d %s, want %v %s", c.name, v, e.Width, e.Height, e.Mime, want, mime)
			}
			return decodeVariant(t, e)
		}
		check(Display, c.display, c.mimeOfVariants)
		thumb := check(Thumb, c.thumb, c.mimeOfVariants)
		blurred := check(Blurred, c.thumb, "image/jpeg")
		if _, ok := blurred.(*image.Gray); !ok {
			t.Errorf("%s: blurred variant is %T, want grey", c.name, blurred)
		}
		// Blurred: no sharp edge is left of the discs' edges in the thumbnail.
		if s, b := sharpestStep(thumb), sharpestStep(blurred); b > 16 || s < 60 {
			t.Errorf("%s: blurred variant not blurred: sharpest step %d (thumbnail %d)", c.name, b, s)
		}
	}
}

// sharpestStep is the largest difference in brightness between horizontally
// neighbouring pixels.
func sharpestStep(img image.Image) int {
	b := img.Bounds()
	m := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X + 1; x < b.Max.X; x++ {
			p := color.GrayModel.Convert(img.At(x-1, y)).(color.Gray).Y
			q := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
			m = max(m, absInt(int(p)-int(q)))
		}
	}
	return m
}

func TestImageTransparencyKeepsPNG(t *testing.T) {
	src := testPicture(600, 400, 5)
	m := image.NewNRGBA(src.Rect)
	draw.Draw(m, m.Rect, src, image.Point{}, draw.Src)
	half := color.NRGBA{200, 100, 50, 128}
	for y := range 400 {
		for x := range 200 {
			if x < 100 {
				m.SetNRGBA(x, y, color.NRGBA{})
			} else {
				m.SetNRGBA(x, y, half)
			}
		}
	}
	res := mustProcessImage(t, pngOf(t, m), "cut-out.png")
	d := decodeVariant(t, res.Variants[Display])
	if c := color.NRGBAModel.Convert(d.At(150, 200)).(color.NRGBA); absInt(int(c.R)-200) > 2 || absInt(int(c.G)-100) > 2 || absInt(int(c.B)-50) > 2 || absInt(int(c.A)-128) > 1 {
		t.Errorf("half-transparent pixel came back as %v, want %v", c, half)
	}
	for _, v := range []Variant{Display, Thumb} {
		e := res.Variants[v]
		if e.Mime != "image/png" {
			t.Fatalf("%s is %s, want image/png", v, e.Mime)
		}
		img := decodeVariant(t, e)
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("%s: corner alpha %d, want transparent", v, a)
		}
		if _, _, _, a := img.At(e.Width-1, e.Height-1).RGBA(); a != 0xFFFF {
			t.Errorf("%s: far corner alpha %d, want opaque", v, a)
		}
	}
}

func TestImageWebP(t *testing.T) {
	for _, c := range []struct{ file, mime string }{{"lossy.webp", "image/jpeg"}, {"alpha.webp", "image/png"}} {
		data, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		res := mustProcessImage(t, data, c.file)
		if res.Format != "webp" || res.Width != 96 || res.Height != 64 || res.Variants[Display].Mime != c.mime {
			t.Errorf("%s: %s %d×%d %s", c.file, res.Format, res.Width, res.Height, res.Variants[Display].Mime)
		}
		if _, err := processImage(t, data, "x.gif"); !errs.Is(err, CodeExtensionMismatch) {
			t.Errorf("%s named x.gif: %v", c.file, err)
		}
	}
}

func TestImageOrientation6(t *testing.T) {
	// Stored 160×80, red in the top-left quarter, the rest blue. A camera
	// held upright writes orientation 6: turn a quarter clockwise to show.
	m := image.NewRGBA(image.Rect(0, 0, 160, 80))
	red, blue := color.RGBA{220, 20, 20, 255}, color.RGBA{20, 20, 220, 255}
	for y := range 80 {
		for x := range 160 {
			if x < 80 && y < 40 {
				m.SetRGBA(x, y, red)
			} else {
				m.SetRGBA(x, y, blue)
			}
		}
	}
	data := withOrientation(jpegOf(t, m, 95), 6)
	if o, _ := jpegInfo(data); o != 6 {
		t.Fatalf("jpegInfo read orientation %d", o)
	}
	res := mustProcessImage(t, data, "IMG_0001.JPG")
	if res.Width != 80 || res.Height != 160 {
		t.Fatalf("upright size %d×%d, want 80×160", res.Width, res.Height)
	}
	for _, v := range []Variant{Display, Thumb} {
		img := decodeVariant(t, res.Variants[v])
		b := img.Bounds()
		if b.Dx() != 80 || b.Dy() != 160 {
			t.Fatalf("%s is %v", v, b)
		}
		// The stored top-left is now the top-right.
		if c := img.At(b.Max.X-5, 5); !nearColor(c, red, 40) {
			t.Errorf("%s: top-right %v, want red", v, c)
		}
		if c := img.At(5, 5); !nearColor(c, blue, 40) {
			t.Errorf("%s: top-left %v, want blue", v, c)
		}
		if c := img.At(b.Max.X-5, b.Max.Y-5); !nearColor(c, blue, 40) {
			t.Errorf("%s: bottom-right %v, want blue", v, c)
		}
	}
}

func TestImageDecoderPanicIsCorrupt(t *testing.T) {
	err := safely(func() error { panic("index out of range") })
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("safely: %v", err)
	}
	if e := corruptError("png", err); e.Code != CodeCorruptImage {
		t.Fatalf("code %s", e.Code)
	}
}
