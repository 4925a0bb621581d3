package moderation

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/notify"
	"github.com/quanzi/quanzi/internal/store"
)

// What can be appealed.
const (
	AppealReview = "review" // a rejected post
	AppealReport = "report" // an upheld report
	AppealStrike = "strike"
)

// Appeal limits.
const (
	AppealWindow  = 30 * 24 * time.Hour // from the decision
	MaxAppealText = 1000
)

// Error codes.
const (
	CodeAlreadyAppealed errs.Code = "already_appealed"
	CodeAppealClosed    errs.Code = "appeal_window_closed"
	CodeSameDecider     errs.Code = "same_decider"
)

// KindAppealDecided is the notification an appellant gets.
const KindAppealDecided = "appeal_decided"

// AppealRequest is an appeal against a decision.
type AppealRequest struct {
	Kind string `json:"kind"` // review (a rejected post), report (an upheld report), strike (a warning, mute, ban, suspension or closed circle)
	ID   string `json:"id"`   // the review item, report case or strike
	Text string `json:"text"` // why the decision was wrong, up to 1,000 characters
	// AppealToken, from a suspended account's refused sign-in, stands in
	// for a session: it appeals that suspension (kind and id may be left
	// out).
	AppealToken string `json:"appeal_token,omitempty"`
}

// Appeal is an appeal and its outcome.
type Appeal struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind"`
	DecisionID string      `json:"decision_id"`
	User       Person      `json:"user"`
	Circle     *circle.Ref `json:"circle,omitempty"`
	Text       string      `json:"text"`
	Status     string      `json:"status"` // pending, granted, denied
	Note       string      `json:"note,omitempty"`
	DecidedBy  *Person     `json:"decided_by,omitempty"`
	DecidedAt  *time.Time  `json:"decided_at,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`

	userID, firstBy, circleID string
}

// decision is the decision an appeal is against.
type decision struct {
	kind, id                  string // as appealed: a strike taken with a report case is the case's
	userID, circleID, firstBy string
	at                        *time.Time
	final                     bool // decided the way one may appeal (rejected, upheld, a strike)
}

// decisionOf finds the decision of kind with id. A strike taken with an
// upheld report is part of that decision: it is the report case's.
func (s *Service) decisionOf(ctx context.Context, q store.Querier, kind, id string) (decision, error) {
	d := decision{kind: kind, id: id}
	var circleID, firstBy *string
	var status string
	var err error
	switch kind {
	case AppealReview:
		err = q.QueryRow(ctx, `SELECT author_id, circle_id, decided_by, decided_at, status FROM review_items WHERE id = $1`, id).
			Scan(&d.userID, &circleID, &firstBy, &d.at, &status)
		d.final = status == Rejected
	case AppealReport:
		var subject *string
		// A circle's case has no subject; its closing is against the owner.
		err = q.QueryRow(ctx, `SELECT COALESCE(k.subject_id, (SELECT s.user_id FROM strikes s WHERE s.case_id = k.id ORDER BY s.created_at LIMIT 1)),
			k.circle_id, k.decided_by, k.decided_at, k.status FROM report_cases k WHERE k.id = $1`, id).
			Scan(&subject, &circleID, &firstBy, &d.at, &status)
		d.userID, d.final = deref(subject), status == Upheld
	case AppealStrike:
		var by string
		var at time.Time
		var revoked *time.Time
		var caseID *string
		err = q.QueryRow(ctx, `SELECT user_id, circle_id, issued_by, created_at, revoked_at, case_id FROM strikes WHERE id = $1`, id).
			Scan(&d.userID, &circleID, &by, &at, &revoked, &caseID)
		if err == nil && caseID != nil {
			return s.decisionOf(ctx, q, AppealReport, *caseID)
		}
		firstBy, d.at, d.final = &by, &at, revoked == nil
	default:
		return d, errs.Field("kind", "One appeals a rejected post (review), an upheld report (report) or a strike (a warning, mute, ban, suspension or closed circle), not %q.", errs.Clip(kind, 20))
	}
	if err == store.ErrNoRows {
		return d, errs.E(errs.NotFound, "There is no %s decision %q.", kind, errs.Clip(id, 40))
	}
	d.circleID, d.firstBy = deref(circleID), deref(firstBy)
	return d, err
}

// FileAppeal appeals a decision about the actor: once per decision,
// within AppealWindow of it. A suspended user, who cannot sign in,
// appeals their suspension with the appeal token their refused sign-in
// gave them (r.AppealToken) in place of a session.
func (s *Service) FileAppeal(ctx context.Context, a circle.Actor, r AppealRequest) (Appeal, error) {
	text := strings.TrimSpace(r.Text)
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxAppealText {
		return Appeal{}, errs.Field("text", "Say in 1 to %d characters why the decision was wrong.", MaxAppealText)
	}
	if token := strings.TrimSpace(r.AppealToken); token != "" {
		u, sp, err := account.SuspensionByAppealToken(ctx, s.db, token, s.db.Now())
		if err != nil {
			return Appeal{}, err
		}
		if (r.Kind != "" && r.Kind != AppealStrike) || (strings.TrimSpace(r.ID) != "" && strings.TrimSpace(r.ID) != sp.ID) {
			return Appeal{}, errs.Field("id", "An appeal token appeals its suspension (kind strike, id %s); leave kind and id out.", sp.ID)
		}
		a, r.Kind, r.ID = circle.Actor{User: u}, AppealStrike, sp.ID
	} else if a.Anonymous {
		return Appeal{}, errs.E(errs.Unauthenticated, "Sign in to appeal; a suspended account appeals with the appeal_token its refused sign-in gave.")
	}
	var out Appeal
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		d, err := s.decisionOf(ctx, tx, r.Kind, strings.TrimSpace(r.ID))
		if err != nil {
			return err
		}
		if d.userID != a.User.ID {
			return errs.E(errs.NotFound, "There is no %s decision %q about you.", r.Kind, errs.Clip(r.ID, 40))
		}
		if !d.final || d.at == nil {
			return errs.E(errs.Conflict, "Only a rejected post, an upheld report or a strike not lifted can be appealed.")
		}
		if tx.Now.Sub(*d.at) > AppealWindow {
			return errs.E(CodeAppealClosed, "Decisions can be appealed for 30 days; this one was made on %s.", d.at.UTC().Format("2006-01-02"))
		}
		out = Appeal{ID: store.NewID(tx.Now), Kind: d.kind, DecisionID: d.id, User: Person{Handle: a.User.Handle, DisplayName: a.User.DisplayName},
			Text: text, Status: "pending", CreatedAt: tx.Now}
		var cid, first any
		if d.circleID != "" {
			cid = d.circleID
		}
		if d.firstBy != "" {
			first = d.firstBy
		}
		res, err := tx.Exec(ctx, `INSERT INTO appeals (id, kind, decision_id, user_id, circle_id, first_by, text, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) ON CONFLICT (kind, decision_id) DO NOTHING`,
			out.ID, out.Kind, out.DecisionID, a.User.ID, cid, first, text, tx.Now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(CodeAlreadyAppealed, "This decision was already appealed; each decision can be appealed once.")
		}
		return nil
	})
	return out, err
}

const appealColumns = `a.id, a.kind, a.decision_id, a.user_id, COALESCE(a.first_by, ''), COALESCE(a.circle_id, ''), a.text, a.status, a.note,
	a.decided_at, a.created_at, u.handle, u.display_name, c.slug, c.name, d.handle, d.display_name`

const appealFrom = ` FROM appeals a JOIN users u ON u.id = a.user_id LEFT JOIN circles c ON c.id = a.circle_id
	LEFT JOIN users d ON d.id = a.decided_by `

func scanAppeal(row store.Scanner) (Appeal, error) {
	var x Appeal
	var slug, name, dHandle, dName *string
	err := row.Scan(&x.ID, &x.Kind, &x.DecisionID, &x.userID, &x.firstBy, &x.circleID, &x.Text, &x.Status, &x.Note,
		&x.DecidedAt, &x.CreatedAt, &x.User.Handle, &x.User.DisplayName, &slug, &name, &dHandle, &dName)
	if x.circleID != "" {
		x.Circle = &circle.Ref{ID: x.circleID, Slug: deref(slug), Name: deref(name)}
	}
	if dHandle != nil {
		x.DecidedBy = &Person{Handle: *dHandle, DisplayName: deref(dName)}
	}
	return x, err
}

// PendingAppeals lists the appeals waiting, oldest first, for the
// platform's reviewers.
func (s *Service) PendingAppeals(ctx context.Context, a circle.Actor, p store.Page) ([]Appeal, string, error) {
	if err := s.mayDecide(ctx, s.db, a, "", "see appeals"); err != nil {
		return nil, "", err
	}
	where, args := `a.status = 'pending'`, []any{}
	if at, key, ok, err := p.AfterTime(); err != nil {
		return nil, "", err
	} else if ok {
		where, args = where+` AND (a.created_at > $1 OR (a.created_at = $1 AND a.id > $2))`, append(args, at, key)
	}
	items, err := store.Collect(ctx, s.db, scanAppeal, `SELECT `+appealColumns+appealFrom+`WHERE `+where+
		` ORDER BY a.created_at, a.id LIMIT `+strconv.Itoa(p.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	items, next := store.NextCursor(p, items, func(x Appeal) []string { return []string{store.Micros(x.CreatedAt), x.ID} })
	if items == nil {
		items = []Appeal{}
	}
	return items, next, nil
}

// DecideAppeal grants or denies an appeal: a platform reviewer who did
// not make the decision appealed. Granted, the decision is undone: the
// rejected post is published, the removed post or comment comes back (the
// report no longer counts against its author), the strike is revoked and
// its mute lifted. The appellant is told; audited.
func (s *Service) DecideAppeal(ctx context.Context, a circle.Actor, id string, grant bool, note string) (Appeal, error) {
	note = strings.TrimSpace(note)
	if err := checkNote(note); err != nil {
		return Appeal{}, err
	}
	var x Appeal
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := s.mayDecide(ctx, tx, a, "", "decide appeals"); err != nil {
			return err
		}
		var err error
		x, err = scanAppeal(tx.QueryRow(ctx, `SELECT `+appealColumns+appealFrom+`WHERE a.id = $1`, strings.TrimSpace(id)))
		if err == store.ErrNoRows {
			return errs.E(errs.NotFound, "There is no appeal %q.", errs.Clip(id, 40))
		}
		if err != nil {
			return err
		}
		if x.firstBy == a.User.ID || x.userID == a.User.ID {
			return errs.E(CodeSameDecider, "An appeal is decided by someone else than the appellant and whoever made the decision.")
		}
		if err := s.mayDecideAppeal(ctx, tx, a, x); err != nil {
			return err
		}
		status, verb := "denied", "deny"
		if grant {
			status, verb = "granted", "grant"
		}
		res, err := tx.Exec(ctx, `UPDATE appeals SET status = $1, note = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = 'pending'`,
			status, note, a.User.ID, tx.Now, x.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(CodeAlreadyDecided, "This appeal was already %s.", x.Status)
		}
		x.Status, x.Note, x.DecidedAt = status, note, &tx.Now
		x.DecidedBy = &Person{Handle: a.User.Handle, DisplayName: a.User.DisplayName}
		if grant {
			if err := s.undo(ctx, tx, x); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, a.User.ID, "appeal."+verb, x.Kind, x.DecisionID, map[string]string{"appeal": x.ID, "note": note}); err != nil {
			return err
		}
		if s.Notifier == nil {
			return nil
		}
		text := "Your appeal was denied; the decision stands."
		if grant {
			text = "Your appeal was granted; the decision is undone."
		}
		if note != "" {
			text += " " + note
		}
		return s.Notifier.Add(ctx, tx, notify.Note{UserID: x.userID, Kind: KindAppealDecided, ActorID: a.User.ID, Text: text})
	})
	return x, err
}

// mayDecideAppeal refuses a reviewer an appeal against a suspension or a
// closed circle: whoever may not take a decision does not undo it.
func (s *Service) mayDecideAppeal(ctx context.Context, tx *store.Tx, a circle.Actor, x Appeal) error {
	if a.User.Role == account.RoleAdmin {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM strikes WHERE kind IN ('suspension', 'shut')
		AND ((id = $1 AND $2 = 'strike') OR (case_id = $1 AND $2 = 'report'))`, x.DecisionID, x.Kind).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.E(errs.Forbidden, "Only the platform's admins decide appeals against suspensions and closed circles.")
	}
	return nil
}

// undo reverses the decision a granted appeal is against: a rejected post
// is published; an upheld report is overturned — the post or comment
// restored and any action taken with it revoked; a strike is revoked,
// which lifts its mute or ban, ends its suspension, or reopens its circle.
func (s *Service) undo(ctx context.Context, tx *store.Tx, x Appeal) error {
	switch x.Kind {
	case AppealReview:
		var kind, target string
		if err := tx.QueryRow(ctx, `UPDATE review_items SET status = 'approved', note = $1 WHERE id = $2 RETURNING kind, target_id`,
			"approved on appeal", x.DecisionID).Scan(&kind, &target); err != nil {
			return err
		}
		if err := s.posts.Restore(ctx, tx, kind, target); err != nil {
			return err
		}
	case AppealReport:
		var kind, target string
		if err := tx.QueryRow(ctx, `UPDATE report_cases SET status = 'dismissed', note = $1 WHERE id = $2 RETURNING kind, target_id`,
			"overturned on appeal", x.DecisionID).Scan(&kind, &target); err != nil {
			return err
		}
		if kind == KindPost || kind == KindComment {
			if err := s.posts.Restore(ctx, tx, kind, target); err != nil {
				return err
			}
		}
		ids, err := store.Strings(ctx, tx, `SELECT id FROM strikes WHERE case_id = $1 AND revoked_at IS NULL`, x.DecisionID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.revoke(ctx, tx, id); err != nil {
				return err
			}
		}
	case AppealStrike:
		_, err := s.revoke(ctx, tx, x.DecisionID)
		return err // revoke tells Changed
	}
	if s.Changed != nil {
		return s.Changed(ctx, tx, x.userID)
	}
	return nil
}
