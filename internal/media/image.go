package media

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/quanzi/quanzi/internal/errs"
)

// The codes of the image pipeline.
const (
	CodeEmptyFile         errs.Code = "empty_file"
	CodeExtensionMismatch errs.Code = "extension_mismatch"
	CodeImageTooLarge     errs.Code = "image_too_large"
	CodeTooManyFrames     errs.Code = "too_many_frames"
	CodeCorruptImage      errs.Code = "corrupt_image"
)

// Variant names one stored rendition of an upload.
type Variant string

// The variants Process makes.
const (
	Display Variant = "display" // fits in DisplayMax, never enlarged
	Thumb   Variant = "thumb"   // fits in ThumbMax
	// Blurred is the thumbnail in grey and blurred past recognition, for
	// review queues that must not show a picture until a reviewer asks.
	Blurred Variant = "blurred"
)

// Encoded is one variant, ready to store.
type Encoded struct {
	Bytes         []byte
	Mime          string
	Width, Height int
}

// Result is what Process makes of an upload.
type Result struct {
	Format        string // sniffed source format: "jpeg", "png", "gif", "webp"
	Width, Height int    // of the source, upright
	Variants      map[Variant]Encoded
	Hash          uint64 // perceptual hash of the upright source (see Distance)
}

// JPEGQuality is the quality of every JPEG variant but Blurred.
const JPEGQuality = 82

// Process checks an upload and makes its variants. Only the content
// decides its type; filename is compared with it and otherwise ignored.
// Dimensions come from the header and are checked before any pixel is
// decoded; decoding then waits for the Processor's budget (or ctx).
// Every variant is re-encoded from pixels, upright, so no metadata of the
// upload (EXIF, GPS, XMP, IPTC, ICC, comments) nor anything appended to
// it survives. Every refusal is an *errs.Error with a 4xx code, a
// decoder's panic on a crafted file included; only giving up the wait for
// the budget (ctx done) is Unavailable, with a Retry-After.
func (p *Processor) Process(ctx context.Context, data []byte, filename string) (*Result, error) {
	if len(data) == 0 {
		return nil, errs.E(CodeEmptyFile, "The file is empty.")
	}
	if len(data) > MaxBytes {
		mib := float64(len(data)) / (1 << 20)
		return nil, errs.E(errs.TooLarge, "The file is %.1f MiB; pictures may be at most %d MiB.", mib, MaxBytes>>20).
			Say("zh", "文件有 %.1f MiB；图片最大 %d MiB。", mib, MaxBytes>>20)
	}
	format := sniff(data)
	if format == "" {
		return nil, unsupportedType(data)
	}
	if err := checkExtension(filename, format); err != nil {
		return nil, err
	}
	var cfg image.Config
	err := safely(func() (err error) {
		cfg, err = decodeConfig(format, data)
		return err
	})
	if err != nil {
		return nil, corruptError(format, err)
	}
	if w, h := cfg.Width, cfg.Height; w <= 0 || h <= 0 {
		return nil, corruptError(format, fmt.Errorf("header says %d×%d", w, h))
	} else if w > MaxSide || h > MaxSide || int64(w)*int64(h) > MaxPixels {
		return nil, (&errs.Error{
			Code: CodeImageTooLarge,
			Message: fmt.Sprintf("The picture is %d×%d pixels; it may have at most %d million pixels and %d on a side.",
				w, h, MaxPixels/1_000_000, MaxSide),
			Extra: map[string]any{"width": w, "height": h},
		}).Say("zh", "图片是 %d×%d 像素；最多 %d 百万像素，每边最多 %d 像素。", w, h, MaxPixels/1_000_000, MaxSide)
	}
	if format == "gif" {
		if n, _ := gifFrames(data, MaxFrames); n > MaxFrames {
			return nil, errs.E(CodeTooManyFrames, "The GIF has more than %d frames; send a shorter animation or a still picture.", MaxFrames).
				Say("zh", "这个 GIF 超过 %d 帧；请发送更短的动图或静态图片。", MaxFrames)
		}
	}
	orientation, weight := 1, p.weight(format, cfg.Width, cfg.Height)
	if format == "jpeg" {
		var progressive bool
		orientation, progressive = jpegInfo(data)
		if progressive { // the decoder keeps every coefficient until the last scan
			weight = min(weight*3, p.budget)
		}
	}
	if err := p.acquire(ctx, weight); err != nil {
		return nil, err
	}
	defer p.release(weight)

	var img image.Image
	if err := safely(func() (err error) { img, err = decodePixels(format, data); return err }); err != nil {
		return nil, corruptError(format, err)
	}
	if img.Bounds().Empty() {
		return nil, corruptError(format, fmt.Errorf("no pixels"))
	}
	var res *Result
	err = safely(func() (err error) {
		res, err = variants(img, orientation)
		return err
	})
	if err != nil {
		return nil, corruptError(format, err)
	}
	res.Format = format
	return res, nil
}

// safely runs f, turning a panic (a decoder's, on a crafted file) into an
// error.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

func corruptError(format string, err error) *errs.Error {
	return (&errs.Error{
		Code:    CodeCorruptImage,
		Message: fmt.Sprintf("The file starts like a %s image but cannot be read: it may be truncated or damaged.", formatNames[format]),
		Err:     err,
	}).Say("zh", "文件开头像是 %s 图片，但无法读取：它可能不完整或已损坏。", formatNames[format])
}

// codecs are the decoders of the formats accepted, by sniffed name.
var codecs = map[string]struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error) // of a GIF, its first frame
}{
	"jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"png":  {png.DecodeConfig, png.Decode},
	"gif":  {gif.DecodeConfig, gif.Decode},
	"webp": {webp.DecodeConfig, webp.Decode},
}

func decodeConfig(format string, data []byte) (image.Config, error) {
	c, ok := codecs[format]
	if !ok {
		return image.Config{}, fmt.Errorf("unknown format %q", format)
	}
	return c.config(bytes.NewReader(data))
}

// decodePixels decodes the picture; of a GIF, its first frame.
func decodePixels(format string, data []byte) (image.Image, error) {
	c, ok := codecs[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q", format)
	}
	return c.decode(bytes.NewReader(data))
}

// variants makes the display, thumbnail and blurred renditions and the
// hash of img, stored turned as orientation says.
func variants(img image.Image, orientation int) (*Result, error) {
	src := normalize(img)
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if swapsSides(orientation) {
		w, h = h, w
	}
	// Shrink first, in the stored orientation, then turn the smaller picture.
	dw, dh := fitIn(w, h, DisplayMax)
	if swapsSides(orientation) {
		dw, dh = dh, dw
	}
	display := orientImage(resizeImage(src, dw, dh, catmullRom), orientation)
	tw, th := fitIn(display.Bounds().Dx(), display.Bounds().Dy(), ThumbMax)
	thumb := resizeImage(display, tw, th, catmullRom)
	luma := lumaPlane(thumb)

	res := &Result{Width: w, Height: h, Variants: make(map[Variant]Encoded, 3), Hash: phash(luma)}
	opaque := isOpaque(display)
	var err error
	if res.Variants[Display], err = encodeVariant(display, opaque, JPEGQuality); err != nil {
		return nil, err
	}
	if res.Variants[Thumb], err = encodeVariant(thumb, opaque, JPEGQuality); err != nil {
		return nil, err
	}
	if res.Variants[Blurred], err = encodeVariant(grayOf(blur(luma)), true, 60); err != nil {
		return nil, err
	}
	return res, nil
}

// normalize returns img as one of the three kinds the pipeline works on,
// with its origin at (0, 0): *image.YCbCr (any subsampling; JPEG, lossy
// WebP), *image.Gray, or premultiplied *image.RGBA for everything else.
func normalize(img image.Image) image.Image {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		if b.Min == (image.Point{}) {
			return m
		}
	case *image.Gray:
		if b.Min == (image.Point{}) {
			return m
		}
	case *image.NYCbCrA:
		if b.Min == (image.Point{}) && m.Opaque() {
			return &m.YCbCr
		}
	case *image.RGBA:
		if b.Min == (image.Point{}) {
			return m
		}
	case *image.NRGBA:
		// PNG with alpha: premultiply in place rather than keep a second
		// copy of a picture of up to 50 megapixels.
		if b.Min == (image.Point{}) {
			premultiply(m)
			return &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
	}
	d := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(d, d.Rect, img, b.Min, draw.Src)
	return d
}

// premultiply turns m's colours into premultiplied ones, in place.
func premultiply(m *image.NRGBA) {
	w := m.Rect.Dx() * 4
	for y := range m.Rect.Dy() {
		row := m.Pix[y*m.Stride : y*m.Stride+w]
		for i := 0; i+4 <= len(row); i += 4 {
			px := row[i : i+4 : i+4]
			switch a := uint32(px[3]); a {
			case 0xFF:
			case 0:
				px[0], px[1], px[2] = 0, 0, 0
			default:
				px[0] = uint8((uint32(px[0])*a + 127) / 255)
				px[1] = uint8((uint32(px[1])*a + 127) / 255)
				px[2] = uint8((uint32(px[2])*a + 127) / 255)
			}
		}
	}
}

// resizeImage resamples a normalized image to w×h. YCbCr comes out 4:2:0,
// the subsampling the JPEG encoder writes.
func resizeImage(img image.Image, w, h int, k kernel) image.Image {
	switch m := img.(type) {
	case *image.YCbCr:
		sw, sh := m.Rect.Dx(), m.Rect.Dy()
		if sw == w && sh == h && m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			return m
		}
		cw, ch := chromaSize(m)
		y := resizePlane(planeOf(m.Y, m.YStride, sw, sh, 1), w, h, k)
		cb := resizePlane(planeOf(m.Cb, m.CStride, cw, ch, 1), (w+1)/2, (h+1)/2, k)
		cr := resizePlane(planeOf(m.Cr, m.CStride, cw, ch, 1), (w+1)/2, (h+1)/2, k)
		return ycbcrOf(y, cb, cr)
	case *image.Gray:
		return grayOf(resizePlane(planeOf(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), 1), w, h, k))
	case *image.RGBA:
		return rgbaOf(resizePlane(planeOf(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), 4), w, h, k))
	}
	panic(fmt.Sprintf("media: resizeImage of %T", img))
}

// chromaSize is the size of the Cb and Cr planes of m.
func chromaSize(m *image.YCbCr) (int, int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// lumaPlane returns the brightness of a normalized image as one plane.
func lumaPlane(img image.Image) plane {
	switch m := img.(type) {
	case *image.YCbCr:
		return planeOf(m.Y, m.YStride, m.Rect.Dx(), m.Rect.Dy(), 1)
	case *image.Gray:
		return planeOf(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), 1)
	case *image.RGBA:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		d := newPlane(w, h, 1)
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+w*4]
			for x := range w {
				r, g, b := int32(row[x*4]), int32(row[x*4+1]), int32(row[x*4+2])
				d.pix[y*w+x] = byte((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
			}
		}
		return d
	}
	panic(fmt.Sprintf("media: lumaPlane of %T", img))
}

// blur makes the blurred variant from the thumbnail's brightness: shrunk
// to 16 pixels on its long side, which keeps the layout of light and dark
// and nothing recognisable, then enlarged back smoothly.
func blur(luma plane) plane {
	sw, sh := fitIn(luma.w, luma.h, 16)
	small := resizePlane(luma, sw, sh, catmullRom)
	return resizePlane(small, luma.w, luma.h, bspline)
}

// isOpaque reports whether a normalized image has no transparent pixel.
func isOpaque(img image.Image) bool {
	m, ok := img.(*image.RGBA)
	if !ok {
		return true
	}
	w := m.Rect.Dx() * 4
	for y := range m.Rect.Dy() {
		row := m.Pix[y*m.Stride : y*m.Stride+w]
		for i := 3; i < len(row); i += 4 {
			if row[i] != 0xFF {
				return false
			}
		}
	}
	return true
}

// encodeVariant writes img as a JPEG when opaque and as a PNG otherwise. Neither
// encoder writes metadata.
func encodeVariant(img image.Image, opaque bool, quality int) (Encoded, error) {
	var buf bytes.Buffer
	b := img.Bounds()
	e := Encoded{Width: b.Dx(), Height: b.Dy()}
	if opaque {
		e.Mime = "image/jpeg"
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return e, err
		}
	} else {
		e.Mime = "image/png"
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
			return e, err
		}
	}
	e.Bytes = buf.Bytes()
	return e, nil
}
