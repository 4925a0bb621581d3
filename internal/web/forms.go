package web

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quanzi/quanzi/internal/errs"
)

// Form is a submitted form shown again: what the user typed and the
// server's explanations, next to the field at fault or above the form.
type Form struct {
	Values url.Values
	// Errors are explanations by field name.
	Errors map[string]string
	// Error is an explanation that is about no one field.
	Error string
}

// newForm keeps a request's submitted values.
func newForm(r *http.Request) *Form {
	return &Form{Values: r.PostForm, Errors: map[string]string{}}
}

// Get is a submitted value ("" for none, and for a new form).
func (f *Form) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(name)
}

// Err is the explanation for a field, "" when it is fine.
func (f *Form) Err(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// formError puts a capability's error on the form: next to its field when
// the form has one by that name, else above the form, and returns nil. A
// fault of ours (5xx) is returned as is, for the error page.
func (p *Page) formError(f *Form, err error, fields ...string) error {
	e := errs.As(err)
	if p.app.Status(e.Code) >= 500 {
		return err
	}
	msg := p.Explain(e)
	for _, name := range fields {
		if e.Field == name {
			f.Errors[name] = msg
			return nil
		}
	}
	f.Error = msg
	return nil
}

// amountField reads an amount in yuan ("12.5", "12.50", "¥12") as minor
// units, with the reason when it is not one.
func amountField(p *Page, f *Form, name string) (int64, bool) {
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(f.Get(name)), "¥"))
	if v == "" {
		f.Errors[name] = p.T("Enter an amount.")
		return 0, false
	}
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 2 {
		f.Errors[name] = p.T("Amounts have at most two decimals (fen).")
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	y, err1 := strconv.ParseInt(whole, 10, 64)
	c, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || y < 0 || c < 0 || y > 1e12 {
		f.Errors[name] = p.T("Enter the amount in yuan, such as 12.50.")
		return 0, false
	}
	if y == 0 && c == 0 {
		f.Errors[name] = p.T("The amount must be more than zero.")
		return 0, false
	}
	return y*100 + c, true
}

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }
