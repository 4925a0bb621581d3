package notify

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// columns and from select notifications as their recipient sees them;
// visible keeps out those about a closed circle the recipient may no
// longer see, and those about any circle the platform shut. $1 is the
// recipient, $2 the time (for bans that ended).
const (
	columns = `n.id, n.seq, n.kind, COALESCE(a.handle, ''), COALESCE(a.display_name, ''), COALESCE(c.id, ''), COALESCE(c.slug, ''),
	COALESCE(c.name, ''), COALESCE(n.post_id, ''), COALESCE(n.comment_id, ''), n.amount, n.text, n.read_at, n.created_at`
	from = ` FROM notifications n LEFT JOIN users a ON a.id = n.actor_id LEFT JOIN circles c ON c.id = n.circle_id `
	// A ban ends membership, but a ban is checked anyway: privacy must not
	// rest on two tables agreeing.
	visible = `(n.members_only = FALSE OR c.shut_at IS NULL AND (c.visibility = 'open'
	OR (EXISTS (SELECT 1 FROM circle_members m WHERE m.circle_id = n.circle_id AND m.user_id = n.user_id)
	    AND NOT EXISTS (SELECT 1 FROM circle_bans b WHERE b.circle_id = n.circle_id AND b.user_id = n.user_id AND (b.until IS NULL OR b.until > $2)))))`
)

func scan(row interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var actor Person
	var c CircleRef
	var read *int64
	err := row.Scan(&n.ID, &n.Seq, &n.Kind, &actor.Handle, &actor.DisplayName, &c.ID, &c.Slug, &c.Name, &n.PostID, &n.CommentID,
		&n.Amount, &n.Text, &read, &n.CreatedAt)
	if actor.Handle != "" {
		n.Actor = &actor
	}
	if c.ID != "" {
		n.Circle = &c
	}
	n.Read = read != nil
	return n, err
}

// Page is one page of a user's notifications, newest first.
type Page struct {
	Items      []Notification `json:"items"`
	NextCursor string         `json:"next_cursor"` // empty on the last page
	Unread     int64          `json:"unread"`
}

// List returns a page of the user's notifications, newest first; with
// unreadOnly, only those not yet read.
func (s *Service) List(ctx context.Context, userID string, unreadOnly bool, p store.Page) (Page, error) {
	args := []any{userID, s.db.Now(), p.Limit + 1}
	where := ""
	switch len(p.After) {
	case 0:
	case 1:
		seq, err := strconv.ParseInt(p.After[0], 10, 64)
		if err != nil || seq < 1 {
			return Page{}, store.BadCursor()
		}
		where = ` AND n.seq < $4`
		args = append(args, seq)
	default:
		return Page{}, store.BadCursor()
	}
	if unreadOnly {
		where += ` AND n.read_at IS NULL`
	}
	rows, err := s.db.Query(ctx, `SELECT `+columns+from+`WHERE n.user_id = $1`+where+` AND `+visible+`
		ORDER BY n.seq DESC LIMIT $3`, args...)
	if err != nil {
		return Page{}, err
	}
	items := []Notification{}
	for rows.Next() {
		n, err := scan(rows)
		if err != nil {
			rows.Close()
			return Page{}, err
		}
		items = append(items, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	out := Page{}
	out.Items, out.NextCursor = store.NextCursor(p, items, func(n Notification) []string { return []string{strconv.FormatInt(n.Seq, 10)} })
	out.Unread, err = s.Unread(ctx, userID)
	return out, err
}

// since returns up to limit of the user's visible notifications numbered
// after after, oldest first: what a stream has not sent yet.
func (s *Service) since(ctx context.Context, userID string, after int64, limit int) ([]Notification, error) {
	rows, err := s.db.Query(ctx, `SELECT `+columns+from+`WHERE n.user_id = $1 AND n.seq > $3 AND `+visible+`
		ORDER BY n.seq LIMIT $4`, userID, s.db.Now(), after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Unread returns how many of the user's notifications they have not read
// (leaving out those they may no longer see).
func (s *Service) Unread(ctx context.Context, userID string) (int64, error) {
	return unread(ctx, s.db, userID, s.db.Now())
}

func unread(ctx context.Context, q store.Querier, userID string, now time.Time) (int64, error) {
	var n, hidden int64
	err := q.QueryRow(ctx, `SELECT unread FROM notify_state WHERE user_id = $1`, userID).Scan(&n)
	if err == store.ErrNoRows {
		return 0, nil
	}
	if err != nil || n == 0 {
		return n, err
	}
	err = q.QueryRow(ctx, `SELECT COUNT(*)`+from+`WHERE n.user_id = $1 AND n.read_at IS NULL AND n.members_only = TRUE AND NOT `+visible,
		userID, now).Scan(&hidden)
	return max(n-hidden, 0), err
}

// MaxMarkRead bounds the ids of one MarkRead.
const MaxMarkRead = 500

// MarkRead marks the user's notifications with ids read, or with all, every
// one of them; it returns the unread count after. An id that is not one of
// the user's notifications refuses the whole request, and nothing changes.
func (s *Service) MarkRead(ctx context.Context, userID string, ids []string, all bool) (int64, error) {
	switch {
	case all && len(ids) > 0:
		return 0, errs.Field("ids", "Send either ids or all, not both.")
	case !all && (len(ids) == 0 || len(ids) > MaxMarkRead):
		return 0, errs.Field("ids", "Name 1 to %d notifications in ids, or send {\"all\": true}.", MaxMarkRead)
	}
	seen := map[string]bool{}
	uniq := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	var left int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		// Lock the state row first, as Add does, so a notification added
		// meanwhile is either marked here or counted after.
		res, err := tx.Exec(ctx, `UPDATE notify_state SET updated_at = $2 WHERE user_id = $1`, userID, tx.Now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 && all {
			return nil // no notifications yet
		}
		var marked int64
		if all {
			res, err = tx.Exec(ctx, `UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL`, userID, tx.Now)
			if err != nil {
				return err
			}
			marked, _ = res.RowsAffected()
		} else {
			if marked, err = markSome(ctx, tx, userID, uniq); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE notify_state SET unread = unread - $2 WHERE user_id = $1`, userID, marked); err != nil {
			return err
		}
		left, err = unread(ctx, tx, userID, tx.Now)
		return err
	})
	return left, err
}

// markSome marks the named notifications read, after checking that each
// is one of the user's that they may see.
func markSome(ctx context.Context, tx *store.Tx, userID string, ids []string) (int64, error) {
	q := `SELECT n.id, n.read_at IS NULL` + from + `WHERE n.user_id = $1 AND ` + visible + ` AND n.id IN (`
	args := []any{userID, tx.Now}
	for i, id := range ids {
		if i > 0 {
			q += ", "
		}
		q += "$" + strconv.Itoa(i+3)
		args = append(args, id)
	}
	rows, err := tx.Query(ctx, q+`)`, args...)
	if err != nil {
		return 0, err
	}
	found := map[string]bool{}
	var unreadIDs []any
	for rows.Next() {
		var id string
		var isUnread bool
		if err := rows.Scan(&id, &isUnread); err != nil {
			rows.Close()
			return 0, err
		}
		found[id] = true
		if isUnread {
			unreadIDs = append(unreadIDs, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if !found[id] {
			return 0, &errs.Error{Code: CodeUnknownNotification, Field: "ids",
				Message: "There is no notification " + strconv.Quote(errs.Clip(id, 40)) + " of yours; nothing was marked read."}
		}
	}
	if len(unreadIDs) == 0 {
		return 0, nil
	}
	ph := make([]string, len(unreadIDs))
	for i := range unreadIDs {
		ph[i] = "$" + strconv.Itoa(i+3)
	}
	res, err := tx.Exec(ctx, `UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL AND id IN (`+strings.Join(ph, ", ")+`)`,
		append([]any{userID, tx.Now}, unreadIDs...)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Mute silences (or with muted false, lets speak again) a circle for the
// user: no notifications about it are added while it is muted. The caller
// checks that the user may see the circle.
func (s *Service) Mute(ctx context.Context, userID, circleID string, muted bool) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if muted {
			_, err = tx.Exec(ctx, `INSERT INTO notify_mutes (user_id, circle_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				userID, circleID, tx.Now)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM notify_mutes WHERE user_id = $1 AND circle_id = $2`, userID, circleID)
		}
		return err
	})
}

// Muted says whether the user muted the circle.
func (s *Service) Muted(ctx context.Context, userID, circleID string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_mutes WHERE user_id = $1 AND circle_id = $2`, userID, circleID).Scan(&n)
	return n > 0, err
}
