package media

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSniff(t *testing.T) {
	cases := map[string]string{
		"\xFF\xD8\xFF\xE0":             "jpeg",
		"\x89PNG\r\n\x1a\n\x00":        "png",
		"GIF87a..":                     "gif",
		"GIF89a..":                     "gif",
		"RIFF\x00\x00\x00\x00WEBPVP8 ": "webp",
		"RIFF\x00\x00\x00\x00AVI LIST": "",
		"\xFF\xD8":                     "",
		"<svg":                         "",
		"GIF88a":                       "",
		"BM":                           "",
		"%PDF-":                        "",
	}
	for data, want := range cases {
		if got := sniff([]byte(data)); got != want {
			t.Errorf("sniff(%q) = %q, want %q", data, got, want)
		}
	}
}

func TestSniffExtension(t *testing.T) {
	cases := []struct {
		name, format string
		ok           bool
	}{
		{"a.jpg", "jpeg", true},
		{"A.JPEG", "jpeg", true},
		{"a.jfif", "jpeg", true},
		{"a.png", "png", true},
		{"a", "png", true},         // no extension
		{"a.", "png", true},        // empty extension
		{"a.raw", "png", true},     // unknown extension
		{"a.tar.gz", "gif", true},  // unknown
		{"dir.jpg/a", "png", true}, // the directory's dot is not the name's
		{`C:\dir.gif\a`, "png", true},
		{"a.jpg", "png", false},
		{"a.png", "jpeg", false},
		{"a.webp", "gif", false},
		{"a.svg", "png", false},
		{"a.html", "jpeg", false},
		{"a.heic", "jpeg", false},
		{"a.jpg.png", "jpeg", false},
		{"../../etc/passwd.gif", "png", false},
		{"a.png\x00.jpg", "png", false},
		{"a\u202Egnp.jpg", "png", false},
	}
	for _, c := range cases {
		err := checkExtension(c.name, c.format)
		if (err == nil) != c.ok {
			t.Errorf("checkExtension(%q, %s) = %v, want ok=%v", c.name, c.format, err, c.ok)
		}
	}
}

func TestSniffCleanName(t *testing.T) {
	long := strings.Repeat("长", 60) + ".jpeg" // 180 bytes of name
	cases := []struct{ in, want string }{
		{"cat.jpg", "cat.jpg"},
		{"猫 咪.png", "猫 咪.png"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\a.gif`, "a.gif"},
		{"a\x00b.jpg", "ab.jpg"},
		{"\x1b[31mred\x7f.png", "[31mred.png"},
		{"invoice\u202Egnp.exe", "invoicegnp.exe"},
		{"\u2066x\u2069\u200E\u200F.jpg", "x.jpg"},
		{"...hidden.jpg...", "hidden.jpg"},
		{"  spaced .png  ", "spaced .png"},
		{"a\"b<c>d|e?f*g:h.jpg", "a_b_c_d_e_f_g_h.jpg"},
		{"", "image"},
		{"..", "image"},
		{"/", "image"},
		{"\x00\x01\u202E", "image"},
		{"bad\xff\xfeutf8.png", "badutf8.png"},
		{long, strings.Repeat("长", 31) + ".jpeg"},
		{strings.Repeat("a", 300), strings.Repeat("a", 100)},
		{strings.Repeat("a", 99) + "." + strings.Repeat("b", 40), strings.Repeat("a", 99)},
	}
	for _, c := range cases {
		got := CleanName(c.in)
		if got != c.want {
			t.Errorf("CleanName(%q) = %q, want %q", c.in, got, c.want)
		}
		if len(got) > MaxNameBytes || !utf8.ValidString(got) || strings.ContainsAny(got, "/\\\x00") {
			t.Errorf("CleanName(%q) = %q: unsafe", c.in, got)
		}
	}
}

func TestSniffGIFFrames(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		if got, ok := gifFrames(gifWith(4, 4, n, []byte("hi")), MaxFrames); got != n || !ok {
			t.Errorf("%d frames: counted %d, ok=%v", n, got, ok)
		}
	}
	if got, _ := gifFrames(gifWith(1, 1, 10_000, nil), MaxFrames); got != MaxFrames+1 {
		t.Errorf("10,000 frames: counted %d, want to stop at %d", got, MaxFrames+1)
	}
	g := gifWith(1, 1, 3, nil)
	if _, ok := gifFrames(g[:len(g)-4], MaxFrames); ok {
		t.Error("a truncated GIF walks as whole")
	}
	if _, ok := gifFrames([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x99"), MaxFrames); ok {
		t.Error("an unknown block walks as whole")
	}
}
