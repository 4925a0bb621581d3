package media

import (
	"bytes"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/errs"
)

// sniff names the image format of data from its first bytes, or returns
// "" for anything we do not accept. The content decides, never the name
// or a declared type: an SVG called x.png is still a script carrier.
func sniff(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// unsupportedType explains a refused type, naming what the content looks like
// when that is known.
func unsupportedType(data []byte) *errs.Error {
	kind := http.DetectContentType(data)
	if i := strings.IndexByte(kind, ';'); i >= 0 {
		kind = kind[:i]
	}
	if kind == "application/octet-stream" {
		return errs.E(errs.UnsupportedType, "This file is not a picture we accept: send a JPEG, PNG, GIF or WebP image.").
			Say("zh", "这个文件不是我们接受的图片：请发送 JPEG、PNG、GIF 或 WebP 图片。")
	}
	return errs.E(errs.UnsupportedType, "This file looks like %s, not a picture we accept: send a JPEG, PNG, GIF or WebP image.", kind).
		Say("zh", "这个文件看起来是 %s，不是我们接受的图片：请发送 JPEG、PNG、GIF 或 WebP 图片。", kind)
}

// extFormats maps file-name extensions to the format they promise. The
// formats we refuse map to themselves, so that a PNG named x.svg or
// x.html is a contradiction too; an extension not listed promises nothing.
var extFormats = map[string]string{
	"jpg": "jpeg", "jpeg": "jpeg", "jpe": "jpeg", "jfif": "jpeg", "pjpeg": "jpeg", "pjp": "jpeg",
	"png": "png", "apng": "png",
	"gif":  "gif",
	"webp": "webp",
	"svg":  "svg", "svgz": "svg", "html": "html", "htm": "html", "xhtml": "html", "xml": "xml",
	"js": "js", "mjs": "js", "pdf": "pdf", "txt": "text",
	"bmp": "bmp", "tif": "tiff", "tiff": "tiff", "heic": "heic", "heif": "heic", "avif": "avif", "ico": "ico",
}

// formatNames are the names used in messages.
var formatNames = map[string]string{"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WebP"}

// checkExtension refuses a file whose name's extension promises another
// format than its content. The name is only compared, never used.
func checkExtension(name, format string) error {
	ext := fileExtension(name)
	want, known := extFormats[strings.ToLower(ext)]
	if !known || want == format {
		return nil
	}
	return errs.E(CodeExtensionMismatch, "The file is named .%s but its content is a %s image; rename it or send the right file.",
		errs.Clip(ext, 10), formatNames[format]).
		Say("zh", "文件名是 .%s，内容却是 %s 图片；请改名或发送正确的文件。", errs.Clip(ext, 10), formatNames[format])
}

// fileExtension returns what follows the last dot of the name's last path
// element, or "".
func fileExtension(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return ""
	}
	return name[i+1:]
}

// MaxNameBytes is the longest name CleanName returns.
const MaxNameBytes = 100

// CleanName returns a safe file name for showing and for a download's
// Content-Disposition, from whatever name the client sent: the last path
// element (after / or \), without control characters, bidirectional
// overrides and isolates (which make "gpj.exe" read as "exe.jpg"),
// invalid UTF-8, or characters Windows refuses in names; without leading
// and trailing dots and spaces; at most MaxNameBytes bytes, keeping the
// extension. It returns "image" when nothing is left.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for len(name) > 0 {
		r, n := utf8.DecodeRuneInString(name)
		name = name[n:]
		switch {
		case r == utf8.RuneError && n <= 1:
		case unicode.IsControl(r), isBidiControl(r), r == '\uFEFF':
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	s := strings.Trim(b.String(), ". \u00a0\u3000")
	if len(s) > MaxNameBytes {
		ext := ""
		if i := strings.LastIndexByte(s, '.'); i > 0 && len(s)-i <= 16 {
			ext = s[i:]
		}
		base := s[:len(s)-len(ext)]
		cut := MaxNameBytes - len(ext)
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		s = strings.TrimRight(base[:cut], ". ") + ext
		s = strings.Trim(s, ". ")
	}
	if s == "" {
		return "image"
	}
	return s
}

// isBidiControl reports the characters that reorder text: the marks
// (U+200E, U+200F, U+061C), embeddings and overrides (U+202A–U+202E) and
// isolates (U+2066–U+2069).
func isBidiControl(r rune) bool {
	return r == '\u200E' || r == '\u200F' || r == '\u061C' ||
		(r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// gifFrames counts the images of a GIF by walking its block structure,
// without decoding any pixels, and stops counting past limit. It returns
// ok=false when the structure is broken (the decoder then says how).
func gifFrames(data []byte, limit int) (frames int, ok bool) {
	const header = 13 // "GIF89a", screen width and height, flags, background, aspect
	if len(data) < header {
		return 0, false
	}
	i := header
	if flags := data[10]; flags&0x80 != 0 {
		i += 3 << (flags&7 + 1)
	}
	// skipBlocks passes a chain of data sub-blocks ending with an empty one.
	skipBlocks := func() bool {
		for i < len(data) {
			n := int(data[i])
			i += 1 + n
			if n == 0 {
				return true
			}
		}
		return false
	}
	for i < len(data) {
		switch data[i] {
		case 0x21: // extension: label, then sub-blocks
			i += 2
			if !skipBlocks() {
				return frames, false
			}
		case 0x2C: // image descriptor, local colour table, LZW code size, sub-blocks
			if i+10 > len(data) {
				return frames, false
			}
			flags := data[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << (flags&7 + 1)
			}
			i++ // LZW minimum code size
			if !skipBlocks() {
				return frames, false
			}
			frames++
			if frames > limit {
				return frames, true
			}
		case 0x3B: // trailer
			return frames, true
		default:
			return frames, false
		}
	}
	return frames, false
}
