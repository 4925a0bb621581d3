package web

import (
	"net/http"
	"net/url"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
)

// circlePath is a circle's page.
func circlePath(slug string) string { return "/c/" + url.PathEscape(slug) }

// joinCircle joins a circle, or files a request where a moderator
// approves members; a closed circle takes an invite code. A refusal is
// shown on the page the form came from, next to the field at fault.
func (a *App) joinCircle(w http.ResponseWriter, r *http.Request, p *Page) error {
	f := newForm(r)
	ref := r.PathValue("slug")
	j, err := a.Circles.Join(r.Context(), p.Actor(), ref, circle.JoinRequest{InviteCode: f.Get("invite_code"), Answer: f.Get("answer")})
	if err == nil {
		if j.Status == circle.RoleMember {
			return a.redirect(w, r, circlePath(j.Circle.Slug), p.T("Welcome to %s!", j.Circle.Name))
		}
		return a.redirect(w, r, circlePath(j.Circle.Slug), p.T("Request sent. A moderator of %s will decide; you will be told.", j.Circle.Name))
	}
	if err := p.formError(f, err, "invite_code", "answer"); err != nil {
		return err
	}
	p.Form = f
	if e := errs.As(err); e.Code == errs.NotFound && e.Field == "" {
		// A closed circle unknown to the reader, or a wrong code for one:
		// the same page either way, so the answer tells nothing.
		f.Error = ""
		f.Errors["invite_code"] = p.T("That invite code does not open a circle here. Check it with the person who gave it to you.")
		return a.unknownCircle(w, r, p, ref)
	}
	return a.showCircle(w, r, p, ref, http.StatusUnprocessableEntity)
}

// leaveCircle takes the reader out of a circle.
func (a *App) leaveCircle(w http.ResponseWriter, r *http.Request, p *Page) error {
	ref := r.PathValue("slug")
	c, err := a.Circles.Get(r.Context(), p.Actor(), ref)
	if err != nil {
		return err
	}
	if err := a.Circles.Remove(r.Context(), p.Actor(), c.ID, p.User().Handle, ""); err != nil {
		return err
	}
	to := circlePath(c.Slug)
	if c.Visibility == circle.Closed {
		to = "/circles" // its page is no longer there for them
	}
	return a.redirect(w, r, to, p.T("You have left %s.", c.Name))
}

// makeInvite makes an invite code and shows it once, in the message on the
// circle's page.
func (a *App) makeInvite(w http.ResponseWriter, r *http.Request, p *Page) error {
	ref := r.PathValue("slug")
	c, err := a.Circles.Get(r.Context(), p.Actor(), ref)
	if err != nil {
		return err
	}
	inv, err := a.Circles.CreateInvite(r.Context(), p.Actor(), c.ID, circle.InviteSettings{})
	if err != nil {
		return err
	}
	return a.redirect(w, r, circlePath(c.Slug), p.T("Your invite code is %s. Share it with the circle's address, %s: whoever has both can join.", inv.Code, circlePath(c.Slug)))
}
