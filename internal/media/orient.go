package media

import (
	"encoding/binary"
	"image"
)

// jpegInfo walks the segments of a JPEG before its first scan. It returns
// the EXIF Orientation tag (0x0112) from the APP1 segment: 1 (as stored)
// to 8, and 1 when there is none or it cannot be read. Only this one tag
// is parsed; every other field is dropped by re-encoding. It also reports
// whether the JPEG is progressive, which costs more memory to decode.
func jpegInfo(data []byte) (orientation int, progressive bool) {
	orientation = 1
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return
	}
	found := false
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image: no more metadata
			return
		}
		if marker >= 0xD0 && marker <= 0xD7 || marker == 0x01 { // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return
		}
		seg := data[i+4 : i+2+n]
		switch {
		case marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE:
			progressive = true
		case marker == 0xE1 && !found && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00":
			if o := tiffOrientation(seg[6:]); o != 0 {
				orientation, found = o, true
			}
		}
		i += 2 + n
	}
	return
}

// tiffOrientation finds the Orientation entry in IFD0 of a TIFF header,
// or returns 0.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 0
	}
	n := int(bo.Uint16(t[ifd:]))
	for k := range n {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 { // one SHORT
			return 0
		}
		if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// swapsSides reports whether orientation o turns the picture a quarter.
func swapsSides(o int) bool { return o >= 5 && o <= 8 }

// orientPlane returns p (of one or four bytes a pixel) turned and flipped
// as EXIF orientation o says the stored picture must be to be shown
// upright. Orientation 1 returns p itself.
func orientPlane(p plane, o int) plane {
	if o <= 1 || o > 8 {
		return p
	}
	w, h := p.w, p.h
	dw, dh := w, h
	if swapsSides(o) {
		dw, dh = h, w
	}
	d := newPlane(dw, dh, p.bpp)
	// For each destination pixel (x, y), the source pixel is
	// (sx0 + x*xdx + y*ydx, sy0 + x*xdy + y*ydy).
	var sx0, sy0, xdx, xdy, ydx, ydy int
	switch o {
	case 2: // mirrored
		sx0, xdx, ydy = w-1, -1, 1
	case 3: // turned 180°
		sx0, sy0, xdx, ydy = w-1, h-1, -1, -1
	case 4: // flipped
		sy0, xdx, ydy = h-1, 1, -1
	case 5: // transposed
		xdy, ydx = 1, 1
	case 6: // needs a quarter turn clockwise
		sy0, xdy, ydx = h-1, -1, 1
	case 7: // transversed
		sx0, sy0, xdy, ydx = w-1, h-1, -1, -1
	case 8: // needs a quarter turn anticlockwise
		sx0, xdy, ydx = w-1, 1, -1
	}
	bpp := p.bpp
	step := xdx*bpp + xdy*p.stride // source offset change per destination x
	for y := range dh {
		s := (sy0+y*ydy)*p.stride + (sx0+y*ydx)*bpp
		row := d.pix[y*d.stride : y*d.stride+dw*bpp]
		if bpp == 1 {
			for x := range row {
				row[x] = p.pix[s]
				s += step
			}
			continue
		}
		for x := 0; x < len(row); x += bpp {
			copy(row[x:x+bpp], p.pix[s:s+bpp])
			s += step
		}
	}
	return d
}

// orientImage applies orientPlane to every plane of img, which is one of
// the kinds the pipeline makes: *image.YCbCr (4:2:0), *image.Gray or
// *image.RGBA.
func orientImage(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	switch m := img.(type) {
	case *image.YCbCr:
		y := orientPlane(planeOf(m.Y, m.YStride, m.Rect.Dx(), m.Rect.Dy(), 1), o)
		cw, ch := (m.Rect.Dx()+1)/2, (m.Rect.Dy()+1)/2
		cb := orientPlane(planeOf(m.Cb, m.CStride, cw, ch, 1), o)
		cr := orientPlane(planeOf(m.Cr, m.CStride, cw, ch, 1), o)
		return ycbcrOf(y, cb, cr)
	case *image.Gray:
		return grayOf(orientPlane(planeOf(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), 1), o))
	case *image.RGBA:
		return rgbaOf(orientPlane(planeOf(m.Pix, m.Stride, m.Rect.Dx(), m.Rect.Dy(), 4), o))
	}
	return img
}
