package screen

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// Limits.
const (
	MaxPhrase = 100 // characters in a listed phrase
	MaxNote   = 500 // characters in a note, a label or a reason
)

// CodeListed refuses a phrase or a picture that is already on the list.
const CodeListed errs.Code = "already_listed"

// Word is a listed phrase.
type Word struct {
	ID        string          `json:"id"`
	CircleID  string          `json:"circle_id,omitempty"` // empty: the platform's list
	Phrase    string          `json:"phrase"`              // as matched: normalized
	Action    string          `json:"action"`              // block, hold or flag
	Note      string          `json:"note,omitempty"`
	CreatedBy *account.Person `json:"created_by,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// NewWord is a phrase to list.
type NewWord struct {
	Phrase string `json:"phrase"` // up to 100 characters; listed normalized (case, width and spacing folded)
	Action string `json:"action"` // block (refused), hold (held for review) or flag (published, and a case opened for moderators)
	Note   string `json:"note"`   // why it is listed (optional)
}

// list is whose list a request is about: the platform's (circleID "") or
// a circle's.
type list struct {
	circleID string
	name     string // "the platform's list" or "Circle's list", for sentences
}

// listFor checks the actor may read (or, with write, change) a list:
// the platform's, for its reviewers (reading) and admins; a circle's,
// for its moderators and the platform's reviewers (reading) and admins.
func (s *Service) listFor(ctx context.Context, q store.Querier, a circle.Actor, circleRef string, write bool) (list, error) {
	if a.Anonymous {
		return list{}, errs.E(errs.Unauthenticated, "Sign in to see screening lists.")
	}
	admin := a.User.Role == account.RoleAdmin
	if circleRef == "" {
		if write && !admin {
			return list{}, errs.E(errs.Forbidden, "Only the platform's admins may change its screening lists.")
		}
		if !a.User.CanReview() {
			return list{}, errs.E(errs.Forbidden, "Only the platform's reviewers and admins may see its screening lists.")
		}
		return list{name: "the platform's list"}, nil
	}
	cp, err := s.circles.Enter(ctx, q, a, circleRef)
	if err != nil {
		return list{}, err
	}
	l := list{circleID: cp.ID, name: cp.Name + "'s list"}
	if admin || (!write && a.User.CanReview()) {
		return l, nil
	}
	what := "see its screening list"
	if write {
		what = "change its screening list"
	}
	return l, cp.NeedModerator(what)
}

func checkNote(field, note string) (string, error) {
	note = strings.TrimSpace(note)
	if !utf8.ValidString(note) {
		return "", errs.Field(field, "The %s is not valid UTF-8.", field)
	}
	if n := utf8.RuneCountInString(note); n > MaxNote {
		return "", errs.Field(field, "The %s is %d characters long; at most %d are allowed.", field, n, MaxNote)
	}
	return note, nil
}

// checkWord tidies a phrase to list and checks it.
func checkWord(w NewWord) (NewWord, error) {
	if !utf8.ValidString(w.Phrase) {
		return w, errs.Field("phrase", "The phrase is not valid UTF-8.")
	}
	p := ReadPhrase(w.Phrase)
	switch n := utf8.RuneCountInString(p.Text); {
	case n == 0:
		return w, errs.Field("phrase", "Give a phrase to screen for.")
	case n > MaxPhrase:
		return w, errs.Field("phrase", "The phrase is %d characters long; at most %d are allowed.", n, MaxPhrase)
	case p.Empty():
		return w, errs.Field("phrase", "The phrase %q has no letters or digits, so it would match nothing.", errs.Clip(p.Text, 40))
	}
	w.Phrase = p.Text
	w.Action = strings.TrimSpace(w.Action)
	switch w.Action {
	case post.ScreenBlock, post.ScreenHold, post.ScreenFlag:
	default:
		return w, errs.Field("action", "A phrase blocks, holds or flags what contains it: give action block, hold or flag, not %q.", errs.Clip(w.Action, 20))
	}
	var err error
	w.Note, err = checkNote("note", w.Note)
	return w, err
}

const wordColumns = `w.id, COALESCE(w.circle_id, ''), w.phrase, w.action, w.note, u.handle, u.display_name, w.created_at`

const wordFrom = ` FROM screen_words w LEFT JOIN users u ON u.id = w.created_by `

func scanWord(r store.Scanner) (Word, error) {
	var w Word
	var handle, name *string
	err := r.Scan(&w.ID, &w.CircleID, &w.Phrase, &w.Action, &w.Note, &handle, &name, &w.CreatedAt)
	if handle != nil {
		w.CreatedBy = &account.Person{Handle: *handle, DisplayName: *name}
	}
	return w, err
}

// Words lists the platform's phrases (circleRef "") or a circle's, in
// phrase order.
func (s *Service) Words(ctx context.Context, a circle.Actor, circleRef string, p store.Page) ([]Word, string, error) {
	var out []Word
	var next string
	err := s.db.ReadTx(ctx, func(q store.Querier) error {
		l, err := s.listFor(ctx, q, a, circleRef, false)
		if err != nil {
			return err
		}
		where, args := `w.circle_id IS NULL`, []any{}
		if l.circleID != "" {
			where, args = `w.circle_id = $1`, append(args, l.circleID)
		}
		if len(p.After) == 1 {
			args = append(args, p.After[0])
			where += fmt.Sprintf(` AND w.phrase > $%d`, len(args))
		} else if len(p.After) != 0 {
			return store.BadCursor()
		}
		out, err = store.Collect(ctx, q, scanWord, `SELECT `+wordColumns+wordFrom+`WHERE `+where+` ORDER BY w.phrase LIMIT `+fmt.Sprint(p.Limit+1), args...)
		if err != nil {
			return err
		}
		out, next = store.NextCursor(p, out, func(w Word) []string { return []string{w.Phrase} })
		return nil
	})
	if out == nil {
		out = []Word{}
	}
	return out, next, err
}

// AddWord lists a phrase on the platform's list (circleRef "") or a
// circle's; audited.
func (s *Service) AddWord(ctx context.Context, a circle.Actor, circleRef string, nw NewWord) (Word, error) {
	nw, err := checkWord(nw)
	if err != nil {
		return Word{}, err
	}
	var out Word
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		l, err := s.listFor(ctx, tx, a, circleRef, true)
		if err != nil {
			return err
		}
		var action string
		err = tx.QueryRow(ctx, `SELECT action FROM screen_words WHERE COALESCE(circle_id, '') = $1 AND phrase = $2`, l.circleID, nw.Phrase).Scan(&action)
		if err == nil {
			return &errs.Error{Code: CodeListed, Field: "phrase", Message: fmt.Sprintf("%q is already on %s (it %ss); remove it first to change it.", nw.Phrase, l.name, action)}
		}
		if err != store.ErrNoRows {
			return err
		}
		var cid any
		if l.circleID != "" {
			cid = l.circleID
		}
		out = Word{ID: store.NewID(tx.Now), CircleID: l.circleID, Phrase: nw.Phrase, Action: nw.Action, Note: nw.Note,
			CreatedBy: &account.Person{Handle: a.User.Handle, DisplayName: a.User.DisplayName}, CreatedAt: tx.Now}
		_, err = tx.Exec(ctx, `INSERT INTO screen_words (id, circle_id, phrase, action, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			out.ID, cid, out.Phrase, out.Action, out.Note, a.User.ID, tx.Now)
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Code: CodeListed, Field: "phrase", Message: fmt.Sprintf("%q is already on %s.", nw.Phrase, l.name)}
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a.User.ID, "screening.word.add", "screen_word", out.ID, wordDetail(l, out, "note", out.Note))
	})
	return out, err
}

func wordDetail(l list, w Word, k, v string) map[string]string {
	d := map[string]string{"phrase": w.Phrase, "action": w.Action, "list": "platform"}
	if l.circleID != "" {
		d["list"], d["circle"] = "circle", l.circleID
	}
	if v != "" {
		d[k] = v
	}
	return d
}

// DeleteWord takes a phrase off a list, named by its id or by the phrase
// itself; audited with the reason.
func (s *Service) DeleteWord(ctx context.Context, a circle.Actor, circleRef, ref, reason string) error {
	reason, err := checkNote("reason", reason)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		l, err := s.listFor(ctx, tx, a, circleRef, true)
		if err != nil {
			return err
		}
		ref = strings.TrimSpace(ref)
		w, err := scanWord(tx.QueryRow(ctx, `SELECT `+wordColumns+wordFrom+`WHERE COALESCE(w.circle_id, '') = $1 AND (w.id = $2 OR w.phrase = $3)`,
			l.circleID, ref, Normalize(ref)))
		if err == store.ErrNoRows {
			return errs.E(errs.NotFound, "There is no %q on %s.", errs.Clip(ref, 40), l.name)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM screen_words WHERE id = $1`, w.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a.User.ID, "screening.word.delete", "screen_word", w.ID, wordDetail(l, w, "reason", reason))
	})
}
