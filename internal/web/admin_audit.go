package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

type auditRow struct {
	audit.Entry
	Pretty string // the detail, indented
}

type auditPage struct {
	Nav     adminNav
	Filter  *Form // the filters as typed, with explanations
	Entries []auditRow
	Next    string
}

// auditPage searches the audit log, newest first, as GET
// /api/v1/admin/audit does: by actor (a handle, or system), action (or a
// family ending in "."), target and dates (UTC days, both included).
func (a *App) auditPage(w http.ResponseWriter, r *http.Request, p *Page) error {
	q := r.URL.Query()
	f := &Form{Values: url.Values{}, Errors: map[string]string{}}
	for _, k := range []string{"actor", "action", "target_type", "target_id", "from", "to"} {
		f.Values.Set(k, strings.TrimSpace(q.Get(k)))
	}
	d := auditPage{Filter: f}
	var err error
	if d.Nav, err = a.nav(r, p, "audit"); err != nil {
		return err
	}
	p.Nav, p.Title = "admin", p.T("Audit log")
	filter := audit.Filter{Action: f.Get("action"), TargetType: f.Get("target_type"), TargetID: f.Get("target_id")}
	for _, t := range []struct {
		name string
		to   *time.Time
		days int
	}{{"from", &filter.From, 0}, {"to", &filter.To, 1}} {
		if v := f.Get(t.name); v != "" {
			day, err := time.ParseInLocation("2006-01-02", v, time.UTC)
			if err != nil {
				f.Errors[t.name] = p.T("Enter a date, such as 2026-05-31.")
				continue
			}
			*t.to = day.AddDate(0, 0, t.days) // "to" takes its whole day
		}
	}
	nobody := false
	switch actor := f.Get("actor"); actor {
	case "", "system":
		filter.ActorID = actor
	default:
		u, err := a.Accounts.UserByHandle(r.Context(), a.DB, actor)
		switch {
		case errs.Is(err, errs.NotFound):
			if _, bad := account.NormalizeHandle(actor); bad != nil {
				f.Errors["actor"] = p.T("Enter a handle, or system for what the system did by itself.")
			}
			nobody = true // nobody by that name acted
		case err != nil:
			return err
		default:
			filter.ActorID = u.ID
		}
	}
	if len(f.Errors) > 0 {
		return a.render(w, r, p, http.StatusUnprocessableEntity, "admin_audit", d)
	}
	pg, err := store.ParsePage(q.Get("cursor"), "")
	if err != nil {
		return err
	}
	if !nobody {
		entries, next, err := audit.Search(r.Context(), a.DB, filter, pg)
		if err != nil {
			return err
		}
		for _, e := range entries {
			row := auditRow{Entry: e}
			var buf bytes.Buffer
			if json.Indent(&buf, e.Detail, "", "  ") == nil {
				row.Pretty = buf.String()
			}
			d.Entries = append(d.Entries, row)
		}
		if next != "" {
			d.Next = pageQuery(r, next)
		}
	}
	return a.render(w, r, p, http.StatusOK, "admin_audit", d)
}
