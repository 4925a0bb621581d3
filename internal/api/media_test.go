package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png"
	"mime/multipart"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quanzi/quanzi/internal/account"
)

// photo is a JPEG of w×h pixels with some structure in it.
func photo(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// send uploads data as the file part of a multipart form.
func (e *env) send(token, name string, data []byte) response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+strings.NewReplacer(`"`, `\"`, "\n", "").Replace(name)+`"`)
	h.Set("Content-Type", "application/octet-stream")
	part, err := mw.CreatePart(h)
	if err != nil {
		e.t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	return e.do(req{method: "POST", path: "/api/v1/media", token: token, body: body.Bytes(), header: map[string]string{"Content-Type": mw.FormDataContentType()}})
}

// uploaded uploads a photo as token and returns its id.
func (e *env) uploaded(token string) string {
	e.t.Helper()
	r := e.send(token, "photo.jpg", photo(e.t, 640, 480))
	if r.status != 201 {
		e.t.Fatalf("uploading: %d %s", r.status, r.body)
	}
	return r.json["id"].(string)
}

// see fetches a picture's URL as token and checks the status; for a 200 it
// returns the decoded image's size.
func (e *env) see(token, url string, status int) (response, image.Point) {
	e.t.Helper()
	r := e.do(req{method: "GET", path: url, token: token})
	if r.status != status {
		e.t.Fatalf("GET %s: %d %s, want %d", url, r.status, r.body, status)
	}
	if status != 200 {
		return r, image.Point{}
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(r.body))
	if err != nil {
		e.t.Fatalf("GET %s: not an image: %v", url, err)
	}
	return r, image.Pt(cfg.Width, cfg.Height)
}

func TestUploadsAreCheckedReencodedAndServedSafely(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)

	up := e.send(mei, "../..\\etc/\u202egpj.exe"+strings.Repeat("长", 200)+".jpg", photo(t, 1200, 900))
	if up.status != 201 {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	id := up.json["id"].(string)
	if len(id) != 32 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		t.Fatalf("the id is not 160 random bits in base32: %q", id)
	}
	if up.json["width"] != 1200.0 || up.json["height"] != 900.0 || up.json["mime"] != "image/jpeg" || up.json["expires_at"] == nil {
		t.Fatalf("upload answer: %s", up.body)
	}
	if name := up.json["name"].(string); strings.ContainsAny(name, "/\\\x00\u202e") || name == "" {
		t.Fatalf("the name is not cleaned: %q", name)
	}

	// Before it is in a post, only its uploader sees it.
	r, size := e.see(mei, "/api/v1/media/"+id, 200)
	if size != image.Pt(1200, 900) {
		t.Fatalf("display size %v", size)
	}
	for h, want := range map[string]string{"Content-Type": "image/jpeg", "Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `inline; filename="`) || strings.ContainsAny(cd, "/\\\x00\u202e") {
		t.Errorf("Content-Disposition: %q", cd)
	}
	if _, size := e.see(mei, "/api/v1/media/"+id+"/thumb", 200); size.X > 480 || size.Y > 480 || size.X < 400 {
		t.Fatalf("thumbnail size %v", size)
	}
	// A second request with the ETag is answered 304, after the check.
	if r := e.do(req{method: "GET", path: "/api/v1/media/" + id, token: mei, header: map[string]string{"If-None-Match": r.header.Get("ETag")}}); r.status != 304 {
		t.Fatalf("revalidation: %d", r.status)
	}
	missing := e.do(req{method: "GET", path: "/api/v1/media/" + strings.Repeat("a", 32), token: lin})
	forbidden := e.do(req{method: "GET", path: "/api/v1/media/" + id, token: lin})
	wantProblem(t, missing, 404, "not_found")
	wantProblem(t, forbidden, 404, "not_found")
	wantProblem(t, e.do(req{method: "GET", path: "/api/v1/media/" + id}), 404, "not_found")
	for k, v := range missing.json {
		if k != "request_id" && strings.ReplaceAll(fmt.Sprint(forbidden.json[k]), id, "X") != strings.ReplaceAll(fmt.Sprint(v), strings.Repeat("a", 32), "X") {
			t.Fatalf("forbidden and missing differ in %s:\n%s\n%s", k, forbidden.body, missing.body)
		}
	}

	// Bad input is refused and nothing is stored.
	before := e.count("media")
	var big bytes.Buffer
	big.Write(photo(t, 64, 64))
	big.Write(bytes.Repeat([]byte{0}, 21<<20))
	wantProblem(t, e.send(mei, "big.jpg", big.Bytes()), 413, "too_large")
	wantProblem(t, e.send(mei, "x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)), 415, "unsupported_media_type")
	wantProblem(t, e.send(mei, "empty.jpg", nil), 422, "empty_file")
	wantProblem(t, e.send(mei, "cut.jpg", photo(t, 300, 200)[:400]), 422, "corrupt_image")
	wantProblem(t, e.send(mei, "a.png", photo(t, 300, 200)), 422, "extension_mismatch")
	wantProblem(t, e.send("", "a.jpg", photo(t, 30, 20)), 401, "unauthenticated")
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/media", token: mei, body: map[string]any{"file": "x"}}), 415, "unsupported_media_type")
	var empty bytes.Buffer
	mw := multipart.NewWriter(&empty)
	mw.WriteField("other", "x")
	mw.Close()
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/media", token: mei, body: empty.Bytes(), header: map[string]string{"Content-Type": mw.FormDataContentType()}}), 422, "invalid")
	if after := e.count("media"); after != before {
		t.Fatalf("refused uploads were stored: %d → %d", before, after)
	}

	// Someone else's upload cannot be posted or deleted; one's own can.
	c := e.circle(lin, map[string]any{"name": "Photos"})
	e.join(mei, c)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/posts", token: lin, body: map[string]any{"media_ids": []string{id}}}), 422, "media_not_found")
	wantProblem(t, e.do(req{method: "DELETE", path: "/api/v1/media/" + id, token: lin}), 404, "not_found")
	e.postIn(mei, c, map[string]any{"media_ids": []string{id}})
	wantProblem(t, e.do(req{method: "DELETE", path: "/api/v1/media/" + id, token: mei}), 409, "media_in_use")
	other := e.uploaded(mei)
	e.ok(req{method: "DELETE", path: "/api/v1/media/" + other, token: mei}, 204)
	e.see(mei, "/api/v1/media/"+other, 404)
}

func TestPicturesAreSeenOnlyByThoseWhoMayReadTheirPost(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	out := e.user("outsider", account.RoleUser)
	c := e.circle(owner, map[string]any{"name": "Garden", "visibility": "closed"})
	e.addMember(owner, c, mei)
	e.addMember(owner, c, lin)
	pic := e.uploaded(mei)
	p := e.postIn(mei, c, map[string]any{"text": "my plants", "media_ids": []string{pic}})
	got := e.ok(req{method: "GET", path: "/api/v1/posts/" + p, token: lin}, 200)
	m := got.json["media"].([]any)[0].(map[string]any)
	url, thumb := m["url"].(string), m["thumb_url"].(string)
	for _, tok := range []string{mei, lin, owner} {
		e.see(tok, url, 200)
		e.see(tok, thumb, 200)
	}
	for _, tok := range []string{out, ""} {
		e.see(tok, url, 404)
		e.see(tok, thumb, 404)
		e.see(tok, url+"/blurred", 404)
	}

	// A ban cuts access at once.
	e.ok(req{method: "POST", path: "/api/v1/circles/" + c + "/bans", token: owner, body: map[string]any{"handle": "lin", "reason": "spam"}}, 201)
	e.see(lin, url, 404)

	// So does removal, and deletion, for everyone.
	rm := e.uploaded(mei)
	removed := e.postIn(mei, c, map[string]any{"text": "rude", "media_ids": []string{rm}})
	cs := e.ok(req{method: "POST", path: "/api/v1/posts/" + removed + "/reports", token: owner, body: map[string]any{"reason": "nudity"}}, 201)
	e.see(mei, "/api/v1/media/"+rm, 200)
	e.ok(req{method: "POST", path: "/api/v1/reports/" + cs.json["case_id"].(string) + "/uphold", token: e.user("rev", account.RoleReviewer), body: map[string]any{"reason": "nudity"}}, 200)
	for _, tok := range []string{mei, owner} {
		e.see(tok, "/api/v1/media/"+rm, 404)
	}
	e.ok(req{method: "DELETE", path: "/api/v1/posts/" + p, token: mei}, 204)
	for _, tok := range []string{mei, owner} {
		e.see(tok, url, 404)
	}

	// An open circle turning closed shuts out outsiders at once.
	open := e.circle(owner, map[string]any{"name": "Town square"})
	pub := e.uploaded(owner)
	e.postIn(owner, open, map[string]any{"media_ids": []string{pub}})
	e.see("", "/api/v1/media/"+pub, 200)
	e.see(out, "/api/v1/media/"+pub, 200)
	e.ok(req{method: "PATCH", path: "/api/v1/circles/" + open, token: owner, body: map[string]any{"visibility": "closed"}}, 200)
	e.see("", "/api/v1/media/"+pub, 404)
	e.see(out, "/api/v1/media/"+pub, 404)
	e.see(owner, "/api/v1/media/"+pub, 200)
}

func TestAHeldPostsPicturesAreBlurredForReviewersUntilRevealed(t *testing.T) {
	e := newEnv(t)
	owner := e.user("owner", account.RoleUser)
	mei := e.user("mei", account.RoleUser)
	lin := e.user("lin", account.RoleUser)
	rev := e.user("rev", account.RoleReviewer)
	c := e.circle(owner, map[string]any{"name": "Campus Diary", "review": "media", "visibility": "closed"})
	e.addMember(owner, c, mei)
	e.addMember(owner, c, lin)
	pic := e.uploaded(mei)
	p := e.postIn(mei, c, map[string]any{"text": "a photo", "media_ids": []string{pic}})
	url := "/api/v1/media/" + pic

	// No one but its author and reviewers sees a picture in review.
	for _, tok := range []string{lin, ""} {
		e.see(tok, url, 404)
		e.see(tok, url+"/thumb", 404)
	}
	r, size := e.see(mei, url, 200)
	if r.header.Get("X-Quanzi-Blurred") != "" || size != image.Pt(640, 480) {
		t.Fatalf("the author sees their own picture plainly: %v %v", r.header, size)
	}
	// Moderators and platform reviewers get the blurred copy, whatever
	// they ask for, until they reveal it — which is audited.
	for _, tok := range []string{owner, rev} {
		for _, u := range []string{url, url + "/thumb"} {
			r, size := e.see(tok, u, 200)
			if r.header.Get("X-Quanzi-Blurred") != "1" || size.X > 480 {
				t.Fatalf("%s for a reviewer: %v %v", u, r.header, size)
			}
		}
	}
	audits := func() int {
		var n int
		e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'media.reveal' AND target_id = $1`, pic).Scan(&n)
		return n
	}
	if r, size := e.see(owner, url+"?reveal=1", 200); r.header.Get("X-Quanzi-Blurred") != "" || size != image.Pt(640, 480) || audits() != 1 {
		t.Fatalf("reveal: %v %v, %d audits", r.header, size, audits())
	}
	e.see(lin, url+"?reveal=1", 404)

	q := e.ok(req{method: "GET", path: "/api/v1/circles/" + c + "/review", token: owner}, 200)
	item := q.json["items"].([]any)[0].(map[string]any)
	pics := item["pictures"].([]any)
	if len(pics) != 1 || pics[0].(map[string]any)["url"] != url+"/blurred" || pics[0].(map[string]any)["reveal_url"] != url+"?reveal=1" {
		t.Fatalf("the queue shows the blurred picture with a way to reveal it: %s", q.body)
	}

	// Approved, it is the circle's members' like any other; the platform
	// reviewer, not a member, no longer sees it.
	e.ok(req{method: "POST", path: "/api/v1/review/" + item["id"].(string) + "/approve", token: owner}, 200)
	if r, _ := e.see(lin, url, 200); r.header.Get("X-Quanzi-Blurred") != "" {
		t.Fatalf("approved pictures are plain")
	}
	e.see(rev, url, 404)
	_ = p
}

func TestUploadsNeverPostedExpire(t *testing.T) {
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	old, fresh := e.uploaded(mei), e.uploaded(mei)
	c := e.circle(mei, map[string]any{"name": "Mine"})
	kept := e.uploaded(mei)
	e.postIn(mei, c, map[string]any{"media_ids": []string{kept}})
	ctx := context.Background()
	if _, err := e.db.Exec(ctx, `UPDATE media SET created_at = $1 WHERE id IN ($2, $3)`, e.db.Now().Add(-25*3600e9), old, kept); err != nil {
		t.Fatal(err)
	}
	n, err := e.media.ExpireUploads(ctx)
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}
	e.see(mei, "/api/v1/media/"+old, 404)
	e.see(mei, "/api/v1/media/"+fresh, 200)
	e.see(mei, "/api/v1/media/"+kept, 200)
	wantProblem(t, e.do(req{method: "POST", path: "/api/v1/circles/" + c + "/posts", token: mei, body: map[string]any{"media_ids": []string{old}}}), 422, "media_not_found")
}

// TestUploadsKeepNoLocation uploads a photo carrying GPS coordinates and
// checks, with exiftool, that no variant served carries any metadata.
func TestUploadsKeepNoLocation(t *testing.T) {
	tool, err := exec.LookPath("exiftool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("exiftool is missing: scripts/test installs it (libimage-exiftool-perl)")
		}
		t.Skip("exiftool is missing")
	}
	e := newEnv(t)
	mei := e.user("mei", account.RoleUser)
	f := filepath.Join(t.TempDir(), "gps.jpg")
	if err := os.WriteFile(f, photo(t, 800, 600), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-overwrite_original", "-GPSLatitude=31.2304", "-GPSLatitudeRef=N", "-GPSLongitude=121.4737",
		"-GPSLongitudeRef=E", "-Comment=secret", "-Artist=Mei", f).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v %s", err, out)
	}
	if got := exifGroups(t, tool, f); !got["GPS"] {
		t.Fatalf("the test photo carries no GPS to begin with: %v", got)
	}
	data, _ := os.ReadFile(f)
	id := e.send(mei, "gps.jpg", data).json["id"].(string)
	for _, v := range []string{"", "/thumb", "/blurred"} {
		r, _ := e.see(mei, "/api/v1/media/"+id+v, 200)
		out := filepath.Join(t.TempDir(), "served.jpg")
		os.WriteFile(out, r.body, 0o600)
		for g := range exifGroups(t, tool, out) {
			switch g {
			case "System", "File", "JFIF", "Composite", "ExifTool", "PNG":
			default:
				t.Errorf("variant %q carries %s metadata", v, g)
			}
		}
	}
}

// exifGroups lists the metadata groups exiftool finds in a file (family
// 1: GPS, IFD0, XMP-dc, IPTC, File …).
func exifGroups(t *testing.T, tool, file string) map[string]bool {
	out, err := exec.Command(tool, "-j", "-G1", "-a", file).Output()
	if err != nil {
		t.Fatalf("exiftool %s: %v", file, err)
	}
	var docs []map[string]any
	if err := json.Unmarshal(out, &docs); err != nil || len(docs) != 1 {
		t.Fatalf("exiftool output: %v %s", err, out)
	}
	groups := map[string]bool{}
	for k := range docs[0] {
		if g, _, ok := strings.Cut(k, ":"); ok {
			groups[g] = true
		}
	}
	return groups
}
