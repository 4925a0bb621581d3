package moderation

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/rollout"
	"github.com/quanzi/quanzi/internal/store"
)

// What can be reported.
const (
	KindPost    = "post"
	KindComment = "comment"
	KindUser    = "user"
	KindCircle  = "circle"
)

// Case statuses.
const (
	Open      = "open"
	Upheld    = "upheld"
	Dismissed = "dismissed"
)

// ReportRequest is a user's report.
type ReportRequest struct {
	Reason string `json:"reason"` // spam, nudity, violence, harassment, hate, scam, illegal, misinformation, off_topic, other
	Note   string `json:"note"`   // optional, up to 500 characters
}

// Receipt acknowledges a report.
type Receipt struct {
	ID        string    `json:"id"`
	CaseID    string    `json:"case_id"`
	Kind      string    `json:"kind"`
	TargetID  string    `json:"target_id"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// Case is every report on one thing, as moderators see it.
type Case struct {
	ID        string         `json:"id"`
	Kind      string         `json:"kind"` // post, comment, user, circle
	TargetID  string         `json:"target_id"`
	Status    string         `json:"status"` // open, upheld, dismissed
	Circle    *circle.Ref    `json:"circle,omitempty"`
	Subject   *Person        `json:"subject,omitempty"` // whose it is: the author, or the user reported
	Text      string         `json:"text"`              // what was reported: the post's or comment's text
	Reports   int            `json:"reports"`
	Reasons   map[string]int `json:"reasons"`             // reports by reason
	Notes     []string       `json:"notes"`               // reporters' notes, newest first (at most 10)
	Screening string         `json:"screening,omitempty"` // why automatic screening flagged it, if it did
	Note      string         `json:"note,omitempty"`
	DecidedBy *Person        `json:"decided_by,omitempty"`
	DecidedAt *time.Time     `json:"decided_at,omitempty"`
	Action    *Strike        `json:"action,omitempty"` // what the decision did besides removal (in the decision's answer)
	CreatedAt time.Time      `json:"created_at"`       // the first report
	UpdatedAt time.Time      `json:"updated_at"`       // the latest

	circleID, subjectID string
}

// Cases is a page of open cases, oldest first.
type Cases struct {
	Items      []Case `json:"items"`
	Open       int64  `json:"open"` // open cases in all
	NextCursor string `json:"next_cursor,omitempty"`
}

// target is a reported thing.
type target struct {
	kind, id, circleID, subjectID string
}

// Report files the actor's report on a post, comment, user (by handle)
// or circle they can see. Reports on one thing join its open case; one
// person reports a thing once.
func (s *Service) Report(ctx context.Context, a circle.Actor, kind, ref string, r ReportRequest) (Receipt, error) {
	if a.Anonymous {
		return Receipt{}, errs.E(errs.Unauthenticated, "Sign in to report %s.", kind)
	}
	reason, note, err := checkReason(r.Reason, r.Note, true)
	if err != nil {
		return Receipt{}, err
	}
	t, err := s.target(ctx, a, kind, ref)
	if err != nil {
		return Receipt{}, err
	}
	if t.subjectID == a.User.ID {
		return Receipt{}, errs.E(CodeOwnContent, "You cannot report your own %s.", kind)
	}
	out := Receipt{Kind: kind, TargetID: t.id, Reason: reason}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var cid, sid any
		if t.circleID != "" {
			cid = t.circleID
		}
		if t.subjectID != "" {
			sid = t.subjectID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO report_cases (id, kind, target_id, circle_id, subject_id, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) ON CONFLICT (kind, target_id) WHERE status = 'open' DO NOTHING`,
			store.NewID(tx.Now), kind, t.id, cid, sid, tx.Now); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT id FROM report_cases WHERE kind = $1 AND target_id = $2 AND status = 'open'`, kind, t.id).Scan(&out.CaseID); err != nil {
			return err
		}
		out.ID, out.CreatedAt = store.NewID(tx.Now), tx.Now
		res, err := tx.Exec(ctx, `INSERT INTO reports (id, case_id, circle_id, reporter_id, reason, note, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (case_id, reporter_id) DO NOTHING`,
			out.ID, out.CaseID, cid, a.User.ID, reason, note, tx.Now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(CodeAlreadyReported, "You have already reported this %s; moderators will look at it.", kind)
		}
		_, err = tx.Exec(ctx, `UPDATE report_cases SET reports = reports + 1, updated_at = $1 WHERE id = $2`, tx.Now, out.CaseID)
		return err
	})
	return out, err
}

// target finds what is reported, as the actor may see it.
func (s *Service) target(ctx context.Context, a circle.Actor, kind, ref string) (target, error) {
	switch kind {
	case KindPost, KindComment:
		t, err := s.posts.Locate(ctx, a, kind, ref)
		if err != nil {
			return target{}, err
		}
		return target{kind: kind, id: t.ID, circleID: t.CircleID, subjectID: t.AuthorID}, nil
	case KindUser:
		h, err := account.NormalizeHandle(ref)
		notFound := errs.E(errs.NotFound, "There is no user %q.", errs.Clip(ref, 40))
		if err != nil {
			return target{}, notFound
		}
		var id string
		err = s.db.QueryRow(ctx, `SELECT id FROM users WHERE handle = $1 AND status = 'active'`, h).Scan(&id)
		if err == store.ErrNoRows {
			return target{}, notFound
		}
		return target{kind: kind, id: id, subjectID: id}, err
	case KindCircle:
		cp, err := s.circles.Enter(ctx, s.db, a, ref)
		if err != nil {
			return target{}, err
		}
		return target{kind: kind, id: cp.ID, circleID: cp.ID}, nil
	}
	return target{}, errs.Field("kind", "Posts, comments, users and circles can be reported, not %q.", errs.Clip(kind, 20))
}

const caseColumns = `k.id, k.kind, k.target_id, k.status, k.reports, k.note, k.screening, k.decided_at, k.created_at, k.updated_at,
	COALESCE(k.circle_id, ''), COALESCE(k.subject_id, ''), c.slug, c.name, u.handle, u.display_name, d.handle, d.display_name,
	COALESCE(p.body, m.body, '')`

const caseFrom = ` FROM report_cases k LEFT JOIN circles c ON c.id = k.circle_id
	LEFT JOIN users u ON u.id = k.subject_id LEFT JOIN users d ON d.id = k.decided_by
	LEFT JOIN posts p ON k.kind = 'post' AND p.id = k.target_id
	LEFT JOIN comments m ON k.kind = 'comment' AND m.id = k.target_id `

func scanCase(row store.Scanner) (Case, error) {
	var k Case
	var slug, name, sHandle, sName, dHandle, dName *string
	err := row.Scan(&k.ID, &k.Kind, &k.TargetID, &k.Status, &k.Reports, &k.Note, &k.Screening, &k.DecidedAt, &k.CreatedAt, &k.UpdatedAt,
		&k.circleID, &k.subjectID, &slug, &name, &sHandle, &sName, &dHandle, &dName, &k.Text)
	if k.circleID != "" {
		k.Circle = &circle.Ref{ID: k.circleID, Slug: deref(slug), Name: deref(name)}
	}
	if sHandle != nil {
		k.Subject = &Person{Handle: *sHandle, DisplayName: deref(sName)}
	}
	if dHandle != nil {
		k.DecidedBy = &Person{Handle: *dHandle, DisplayName: deref(dName)}
	}
	if k.Kind == KindCircle && k.Circle != nil {
		k.Text = k.Circle.Name
	}
	k.Reasons, k.Notes = map[string]int{}, []string{}
	return k, err
}

// OpenCases lists the open cases about posts and comments in a circle,
// oldest first, for its moderators and the platform's reviewers;
// circleRef "" lists every open case, users and circles included, for
// platform reviewers.
func (s *Service) OpenCases(ctx context.Context, a circle.Actor, circleRef string, p store.Page) (Cases, error) {
	var out Cases
	if a.Anonymous {
		return out, errs.E(errs.Unauthenticated, "Sign in to see reports.")
	}
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		where, args := `k.status = 'open'`, []any{}
		if circleRef != "" {
			cp, err := s.circles.Enter(ctx, q, a, circleRef)
			if err != nil {
				return err
			}
			if err := moderates(a, cp, "see reports on it"); err != nil {
				return err
			}
			where, args = where+` AND k.circle_id = $1 AND k.kind IN ('post', 'comment')`, append(args, cp.ID)
		} else if err := s.mayDecide(ctx, q, a, "", "see every report"); err != nil {
			return err
		}
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM report_cases k WHERE `+where, args...).Scan(&out.Open); err != nil {
			return err
		}
		page := where
		if at, key, ok, err := p.AfterTime(); err != nil {
			return err
		} else if ok {
			n := strconv.Itoa(len(args) + 1)
			page += ` AND (k.created_at > $` + n + ` OR (k.created_at = $` + n + ` AND k.id > $` + strconv.Itoa(len(args)+2) + `))`
			args = append(args, at, key)
		}
		items, err := store.Collect(ctx, q, scanCase, `SELECT `+caseColumns+caseFrom+`WHERE `+page+` ORDER BY k.created_at, k.id LIMIT `+strconv.Itoa(p.Limit+1), args...)
		if err != nil {
			return err
		}
		out.Items, out.NextCursor = store.NextCursor(p, items, func(k Case) []string { return []string{store.Micros(k.CreatedAt), k.ID} })
		if out.Items == nil {
			out.Items = []Case{}
		}
		return s.fillReasons(ctx, q, out.Items)
	})
	return out, err
}

// fillReasons counts each case's reports by reason and gathers the latest
// notes.
func (s *Service) fillReasons(ctx context.Context, q store.Querier, cases []Case) error {
	if len(cases) == 0 {
		return nil
	}
	at := make(map[string]*Case, len(cases))
	args := make([]any, len(cases))
	for i := range cases {
		at[cases[i].ID], args[i] = &cases[i], cases[i].ID
	}
	rows, err := q.Query(ctx, `SELECT case_id, reason, note FROM reports WHERE case_id IN (`+store.List(len(args), 1)+`) ORDER BY id DESC`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, reason, note string
		if err := rows.Scan(&id, &reason, &note); err != nil {
			return err
		}
		k := at[id]
		k.Reasons[reason]++
		if note != "" && len(k.Notes) < 10 {
			k.Notes = append(k.Notes, note)
		}
	}
	return rows.Err()
}

// DecideCase upholds a case — the post or comment is removed, its author
// told why, and the report counts against their standing — or dismisses
// it. Upholding may also act (Decision.Action): warn, mute or ban the
// author; warn or suspend a reported user; close a reported circle — in
// the same transaction, as a strike that names the case, so the case and
// its action are one decision, counted once and appealed once. Audited
// either way. A case already decided is refused.
func (s *Service) DecideCase(ctx context.Context, a circle.Actor, id string, uphold bool, d Decision) (Case, error) {
	reason, note, err := checkReason(d.Reason, d.Note, false)
	if err != nil {
		return Case{}, err
	}
	act, err := checkAction(d, uphold)
	if err != nil {
		return Case{}, err
	}
	verb, status := "dismiss", Dismissed
	if uphold {
		verb, status = "uphold", Upheld
	}
	var k Case
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		k, err = scanCase(tx.QueryRow(ctx, `SELECT `+caseColumns+caseFrom+`WHERE k.id = $1`, strings.TrimSpace(id)))
		notFound := errs.E(errs.NotFound, "There is no report %q.", errs.Clip(id, 40))
		if err == store.ErrNoRows {
			return notFound
		}
		if err != nil {
			return err
		}
		scope := k.circleID
		if k.Kind != KindPost && k.Kind != KindComment {
			scope = "" // users and circles: the platform's reviewers
		}
		if err := s.mayDecide(ctx, tx, a, scope, verb+" reports"); err != nil {
			if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
				return notFound
			}
			return err
		}
		if k.subjectID == a.User.ID {
			return errs.E(CodeOwnContent, "You cannot decide on reports about yourself or your own content; another moderator will.")
		}
		if err := s.fillReasons(ctx, tx, []Case{k}); err != nil {
			return err
		}
		if reason == "" {
			reason = topReason(k.Reasons)
		}
		var x *sanction
		if uphold {
			if x, err = s.caseSanction(ctx, tx, a, k, act, d, reason, note); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `UPDATE report_cases SET status = $1, note = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = 'open'`,
			status, note, a.User.ID, tx.Now, k.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(CodeAlreadyDecided, "This report was already %s.", k.Status)
		}
		k.Status, k.Note, k.DecidedAt = status, note, &tx.Now
		k.DecidedBy = &Person{Handle: a.User.Handle, DisplayName: a.User.DisplayName}
		if err := audit.Record(ctx, tx, a.User.ID, "report."+verb, k.Kind, k.TargetID,
			map[string]any{"case": k.ID, "reports": k.Reports, "reason": reason, "note": note, "action": act}); err != nil {
			return err
		}
		if !uphold {
			return nil
		}
		if k.Kind == KindCircle {
			return s.closeForCase(ctx, tx, a, &k, x)
		}
		if k.subjectID == "" {
			return nil
		}
		if k.Kind == KindPost || k.Kind == KindComment {
			if err := s.posts.Remove(ctx, tx, a.User.ID, k.Kind, k.TargetID, reason); err != nil {
				return err
			}
		}
		if x != nil {
			st, err := s.impose(ctx, tx, a, *x)
			if err != nil {
				return err
			}
			k.Action = &st
		}
		if s.Changed != nil {
			if err := s.Changed(ctx, tx, k.subjectID); err != nil {
				return err
			}
		}
		if s.Notifier == nil {
			return nil
		}
		text := "Reports about you were upheld (" + spoken(reason) + ")."
		n := notify.Note{UserID: k.subjectID, Kind: KindRemoved, ActorID: a.User.ID, Text: text}
		if k.Kind == KindPost || k.Kind == KindComment {
			n.Text = "Your " + k.Kind + " was removed after reports (" + spoken(reason) + ")."
			n.CircleID = k.circleID
			if k.Kind == KindPost {
				n.PostID = k.TargetID
			} else {
				n.CommentID = k.TargetID
			}
		}
		if k.Action != nil {
			n.Text += " " + told(*k.Action)
			if k.Action.Kind == StrikeSuspension {
				n.Kind = KindSuspended
			}
			if k.Action.Kind == StrikeBan || k.Action.Kind == StrikeSuspension {
				// Out of the circle (or the platform) now, they would not
				// see a note about its content: this one names it.
				n.CircleID = ""
			}
		}
		n.Text += " " + appealHint(AppealReport, k.ID)
		if note != "" {
			n.Text += " " + note
		}
		return s.Notifier.Add(ctx, tx, n)
	})
	return k, err
}

// closeForCase shuts the circle a case upheld is about, and tells its
// owner and moderators.
func (s *Service) closeForCase(ctx context.Context, tx *store.Tx, a circle.Actor, k *Case, x *sanction) error {
	st, err := s.impose(ctx, tx, a, *x)
	if err != nil {
		return err
	}
	k.Action = &st
	return s.tellStaff(ctx, tx, a, x.circle.ID, x.userID, KindCircleShut,
		"The platform closed "+x.circle.Name+" after reports ("+words(x.reason, x.note)+"): only the platform's staff can see it until it is reopened.",
		" "+appealHint(AppealReport, k.ID))
}

// topReason is the reason most reports gave (ties: the first in Reasons).
func topReason(by map[string]int) string {
	best, n := "other", 0
	keys := make([]string, 0, len(by))
	for r := range by {
		keys = append(keys, r)
	}
	sort.Strings(keys)
	for _, r := range keys {
		if by[r] > n {
			best, n = r, by[r]
		}
	}
	return best
}

// Gauge counts, for a rollout guard, the posts made in the circles (every
// circle when none) since a time, and the metric's events there.
func (s *Service) Gauge(ctx context.Context, metric string, circles []string, since time.Time) (events, posts int64, err error) {
	in, args := `circle_id IS NOT NULL`, []any{since}
	if len(circles) > 0 {
		in = `circle_id IN (` + store.List(len(circles), 2) + `)`
		for _, c := range circles {
			args = append(args, c)
		}
	}
	var q string
	switch metric {
	case rollout.MetricReports:
		q = `SELECT COUNT(*) FROM reports WHERE created_at >= $1 AND ` + in
	case rollout.MetricRejections:
		q = `SELECT COUNT(*) FROM review_items WHERE status = 'rejected' AND decided_at >= $1 AND ` + in
	default:
		return 0, 0, errs.E(errs.Invalid, "There is no measure %q.", metric)
	}
	if err := s.db.QueryRow(ctx, q, args...).Scan(&events); err != nil {
		return 0, 0, err
	}
	err = s.db.QueryRow(ctx, `SELECT COUNT(*) FROM posts WHERE created_at >= $1 AND `+in, args...).Scan(&posts)
	return events, posts, err
}

var _ post.Reviewer = (*Service)(nil)
