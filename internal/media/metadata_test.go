package media

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// exiftoolPath returns the path of exiftool, skipping the test when it is
// missing outside CI; in CI (scripts/test installs it) a missing exiftool
// fails the test.
func exiftoolPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("exiftool")
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatal("exiftool is missing (Debian: libimage-exiftool-perl); scripts/test installs it")
	}
	t.Skip("exiftool is missing (Debian: libimage-exiftool-perl)")
	return ""
}

func TestImageMetadataStripped(t *testing.T) {
	t.Parallel()
	tool := exiftoolPath(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "f.jpg")
	if err := os.WriteFile(src, jpegOf(t, testPicture(800, 600, 21), 90), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-overwrite_original",
		"-GPSLatitude=31.2304", "-GPSLatitudeRef=N", "-GPSLongitude=121.4737", "-GPSLongitudeRef=E",
		"-Comment=secret-comment", "-XMP-dc:Description=secret-xmp", "-IPTC:Keywords=secret-iptc",
		"-EXIF:Artist=secret-artist", "-EXIF:Orientation#=6", src).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool: %v: %s", err, out)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// The input really carries what must go.
	before := exifGroups(t, tool, src)
	for _, g := range []string{"GPS", "XMP", "IPTC", "Comment"} {
		if !before[g] {
			t.Fatalf("the test input lacks %s: %v", g, before)
		}
	}

	res := mustProcessImage(t, data, "f.jpg")
	if res.Width != 600 || res.Height != 800 {
		t.Errorf("orientation 6 written by exiftool not applied: %d×%d", res.Width, res.Height)
	}
	for v, e := range res.Variants {
		path := filepath.Join(dir, string(v)+"."+strings.TrimPrefix(e.Mime, "image/"))
		if err := os.WriteFile(path, e.Bytes, 0o600); err != nil {
			t.Fatal(err)
		}
		for g := range exifGroups(t, tool, path) {
			t.Errorf("%s variant still carries %s", v, g)
		}
		if bytes.Contains(e.Bytes, []byte("secret")) || bytes.Contains(e.Bytes, []byte("Exif")) {
			t.Errorf("%s variant still carries metadata bytes", v)
		}
	}
}

// exifGroups lists the metadata groups of a file that must not survive, as
// `exiftool -j -G -a` names them: EXIF, GPS (also as a composite GPS*
// tag), XMP, IPTC, ICC_Profile, Photoshop, MakerNotes, and any comment.
func exifGroups(t *testing.T, tool, path string) map[string]bool {
	t.Helper()
	out, err := exec.Command(tool, "-j", "-G", "-a", path).Output()
	if err != nil {
		t.Fatalf("exiftool -j: %v", err)
	}
	var docs []map[string]any
	if err := json.Unmarshal(out, &docs); err != nil || len(docs) != 1 {
		t.Fatalf("exiftool -j output: %v: %s", err, out)
	}
	found := map[string]bool{}
	for key := range docs[0] {
		group, tag, _ := strings.Cut(key, ":")
		switch {
		case strings.HasPrefix(group, "XMP"):
			found["XMP"] = true
		case group == "EXIF" || group == "IPTC" || group == "ICC_Profile" || group == "Photoshop" || group == "MakerNotes":
			found[group] = true
		}
		if strings.HasPrefix(tag, "GPS") {
			found["GPS"] = true
		}
		if strings.Contains(tag, "Comment") {
			found["Comment"] = true
		}
	}
	return found
}
