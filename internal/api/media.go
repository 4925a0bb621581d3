package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/media"
)

// uploadTimeout is how long an upload's body may take to arrive.
const uploadTimeout = 10 * time.Minute

func (s *Server) mediaRoutes() {
	if s.Media == nil {
		return
	}
	s.add(route{Method: "POST", Path: "/api/v1/media", Tag: "media", Access: signedIn, Status: http.StatusCreated, Response: media.Upload{},
		Summary: "Upload a picture as multipart/form-data, in a part named file (at most 20 MiB; JPEG, PNG, WebP or GIF — its first frame; " +
			"at most 50 megapixels). It is re-encoded without any metadata (no EXIF, GPS, XMP, IPTC or comments) into a display size " +
			"(2048 px on the long side at most) and a thumbnail. Put its id in a post's media_ids within 24 hours, or it expires.",
		handle: s.released("circles", s.uploadMedia)})
	for _, v := range []struct {
		path    string
		variant media.Variant
		what    string
	}{
		{"/api/v1/media/{id}", media.Display, "A picture"},
		{"/api/v1/media/{id}/thumb", media.Thumb, "A picture's thumbnail (480 px on the long side at most)"},
		{"/api/v1/media/{id}/blurred", media.Blurred, "A picture blurred and greyed beyond recognition, for review queues"},
	} {
		s.add(route{Method: "GET", Path: v.path, Tag: "media", Access: public, Raw: true,
			Query: []param{{"reveal", "1: a moderator asks for a held post's picture itself rather than its blurred copy (audited)."}},
			Summary: v.what + " (image/jpeg or image/png), only to those who may read its post — or, before it is in a post, its uploader. " +
				"Anyone else, and a picture that does not exist, get the same 404. A held post's moderators get the blurred copy unless they reveal it.",
			handle: s.released("circles", s.serveMedia(v.variant))})
	}
	s.add(route{Method: "DELETE", Path: "/api/v1/media/{id}", Tag: "media", Access: signedIn, Status: http.StatusNoContent,
		Summary: "Delete one of your uploads that is not in a post.", handle: s.released("circles", s.deleteMedia)})
}

// uploadMedia reads the one file part of a multipart upload, streaming,
// and stops reading at the size limit.
func (s *Server) uploadMedia(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return errs.E(errs.UnsupportedType, "Send the picture as multipart/form-data, in a part named file.")
	}
	// A phone on a slow link may take minutes over 20 MiB: more than the
	// server's read timeout for other requests.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
	// Room for the part headers and boundaries around a file at the limit.
	r.Body = http.MaxBytesReader(w, r.Body, media.MaxBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.E(errs.BadRequest, "The multipart body cannot be read: send it as multipart/form-data with a boundary.")
	}
	tooBig := &errs.Error{Code: errs.TooLarge, Field: "file", Message: "The picture is larger than 20 MiB; send a smaller one."}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return errs.Field("file", "There is no picture: attach it in a part named file.")
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooBig
		}
		if err != nil {
			return errs.E(errs.BadRequest, "The multipart body is malformed: %s.", strings.TrimPrefix(err.Error(), "multipart: "))
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, media.MaxBytes+1))
		if errors.As(err, &mbe) || len(data) > media.MaxBytes {
			return tooBig
		}
		if err != nil {
			return errs.E(errs.BadRequest, "The upload was cut short; send it again.")
		}
		up, err := s.Media.Upload(r.Context(), a, data, part.FileName())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, up)
		return nil
	}
}

func (s *Server) serveMedia(v media.Variant) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		pic, err := s.Media.Open(r.Context(), a, r.PathValue("id"), v, r.URL.Query().Get("reveal") == "1")
		if err != nil {
			return err
		}
		defer pic.Close()
		h := w.Header()
		h.Set("Content-Type", pic.Mime)
		// private: no shared cache keeps it; no-cache: the browser asks
		// again each time, so a lost right takes effect at once.
		h.Set("Cache-Control", "private, no-cache")
		h.Set("ETag", pic.ETag)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Content-Disposition", disposition(pic.Name))
		if pic.Blurred {
			h.Set("X-Quanzi-Blurred", "1")
		}
		// Answers If-None-Match with 304 (after the check above) and Range.
		http.ServeContent(w, r, "", time.Time{}, pic)
		return nil
	}
}

// disposition names a file for Content-Disposition: an ASCII fallback and
// the UTF-8 name (RFC 6266, RFC 5987), both from a name already cleaned.
func disposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	var ext strings.Builder
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			ext.WriteByte(b)
		} else {
			fmt.Fprintf(&ext, "%%%02X", b)
		}
	}
	return `inline; filename="` + ascii + `"; filename*=UTF-8''` + ext.String()
}

func (s *Server) deleteMedia(w http.ResponseWriter, r *http.Request) error {
	a, err := s.actor(r)
	if err != nil {
		return err
	}
	if err := s.Media.Delete(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
