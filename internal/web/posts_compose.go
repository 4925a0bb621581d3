package web

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/media"
	"github.com/quanzi/quanzi/internal/post"
)

// maxComposerBody bounds the composer's form: nine pictures at the upload
// limit, their part headers, and the text.
const maxComposerBody = post.MaxMedia*(media.MaxBytes+64<<10) + 1<<20

// createPost posts in a circle from the composer: each picture is
// uploaded (checked, stripped of its metadata, re-encoded) and the post
// written with them. A picture that is refused is explained next to the
// pictures field, the text kept, and nothing is posted.
func (a *App) createPost(w http.ResponseWriter, r *http.Request, p *Page) error {
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll() // the pictures spilled to temporary files
	}
	ctx := r.Context()
	f := newForm(r)
	ref := r.PathValue("slug")
	again := func() error {
		p.Form = f
		return a.showCircle(w, r, p, ref, http.StatusUnprocessableEntity)
	}
	c, err := a.Circles.Get(ctx, p.Actor(), ref)
	if err != nil {
		return err
	}
	if c.Me != nil && !c.Me.Rights["post"].Allowed {
		f.Error = rightIn(p, c.Me.Rights["post"])
		return again()
	}
	pics, ok, err := a.uploadPictures(ctx, p, r, f)
	if err != nil {
		return err
	}
	if !ok {
		return again()
	}
	ps, err := a.Posts.Create(ctx, p.Actor(), c.ID, post.Draft{Text: f.Get("text"), MediaIDs: pics.ids})
	if err != nil {
		pics.discard()
		if err := p.formError(f, picturesField(err), "text", "pictures"); err != nil {
			return err
		}
		return again()
	}
	if ps.Status == post.Held {
		return a.redirect(w, r, postPath(ps.ID), p.T("Your post waits for review; only you and the moderators can see it until it is approved."))
	}
	return a.redirect(w, r, circlePath(c.Slug), p.T("Your post is up."))
}

// pictureBatch is the pictures a composer uploaded for one post, by id in
// the order chosen.
type pictureBatch struct {
	ids   []string
	app   *App
	ctx   context.Context
	actor circle.Actor
}

// discard deletes the batch's uploads: they will not be in a post, and
// would count against the author's pending pictures until they expire.
func (b *pictureBatch) discard() {
	ctx := context.WithoutCancel(b.ctx)
	for _, id := range b.ids {
		if err := b.app.Media.Delete(ctx, b.actor, id); err != nil {
			b.app.Logger.WarnContext(ctx, "discarding an upload", "media", id, "error", err)
		}
	}
	b.ids = nil
}

// uploadPictures uploads the pictures chosen in a composer's "pictures"
// field (checked, stripped of their metadata, re-encoded), at most
// post.MaxMedia of them. When one is refused, or too many are chosen, it
// explains why next to the field, discards what it uploaded and reports
// false; an error is a fault of ours.
func (a *App) uploadPictures(ctx context.Context, p *Page, r *http.Request, f *Form) (*pictureBatch, bool, error) {
	b := &pictureBatch{app: a, ctx: ctx, actor: p.Actor()}
	files := pictureFiles(r)
	if len(files) > post.MaxMedia {
		f.Errors["pictures"] = p.T("A post has at most %d pictures; you chose %d.", post.MaxMedia, len(files))
		return b, false, nil
	}
	for _, fh := range files {
		up, err := a.uploadPicture(ctx, p, fh)
		if err != nil {
			b.discard()
			if a.Status(errs.As(err).Code) >= 500 {
				return b, false, err
			}
			f.Errors["pictures"] = fh.Filename + colon(p) + p.Explain(err)
			return b, false, nil
		}
		b.ids = append(b.ids, up.ID)
	}
	return b, true, nil
}

// picturesField puts a post's refusal about its media_ids on the
// composer's pictures field.
func picturesField(err error) error {
	if e := errs.As(err); e.Field == "media_ids" {
		moved := *e
		moved.Field = "pictures"
		return &moved
	}
	return err
}

// pictureFiles are the files chosen in the composer; a browser sends an
// empty, nameless part when none is.
func pictureFiles(r *http.Request) []*multipart.FileHeader {
	if r.MultipartForm == nil {
		return nil
	}
	var out []*multipart.FileHeader
	for _, fh := range r.MultipartForm.File["pictures"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue
		}
		out = append(out, fh)
	}
	return out
}

// uploadPicture reads one chosen file, at most media.MaxBytes of it, and
// uploads it.
func (a *App) uploadPicture(ctx context.Context, p *Page, fh *multipart.FileHeader) (media.Upload, error) {
	tooBig := errs.E(errs.TooLarge, "The picture is larger than 20 MiB; send a smaller one.")
	if fh.Size > media.MaxBytes {
		return media.Upload{}, tooBig
	}
	file, err := fh.Open()
	if err != nil {
		return media.Upload{}, errs.E(errs.BadRequest, "The picture could not be read; choose it again.")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, media.MaxBytes+1))
	if err != nil {
		return media.Upload{}, errs.E(errs.BadRequest, "The picture could not be read; choose it again.")
	}
	if len(data) > media.MaxBytes {
		return media.Upload{}, tooBig
	}
	return a.Media.Upload(ctx, p.Actor(), data, fh.Filename)
}
