package screen

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quanzi/quanzi/internal/account"
	"github.com/quanzi/quanzi/internal/audit"
	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// BlockedHash is a picture on the block list, by perceptual hash.
type BlockedHash struct {
	ID        string          `json:"id"`
	Hash      string          `json:"hash"` // 16 hex digits
	Label     string          `json:"label"`
	MediaID   string          `json:"media_id,omitempty"` // the picture it was taken from
	CreatedBy *account.Person `json:"created_by,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// NewHash lists a picture: by an uploaded picture's id (its hash is
// taken, whatever post it is or was in) or by the hash itself.
type NewHash struct {
	MediaID string `json:"media_id,omitempty"`
	Hash    string `json:"hash,omitempty"` // 16 hex digits
	Label   string `json:"label"`          // what it is and why it is listed
}

// FormatHash writes a perceptual hash as 16 hex digits.
func FormatHash(h uint64) string { return fmt.Sprintf("%016x", h) }

// ParseHash reads 16 hex digits.
func ParseHash(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	h, err := strconv.ParseUint(s, 16, 64)
	if len(s) != 16 || err != nil {
		return 0, errs.Field("hash", "A hash is 16 hex digits (0-9, a-f), such as 8f3a00c2e1d4b597; %q is not.", errs.Clip(s, 40))
	}
	return h, nil
}

// mayHashes checks the actor may see (reviewers, admins) or change
// (admins) the block list.
func mayHashes(a circle.Actor, write bool) error {
	switch {
	case a.Anonymous:
		return errs.E(errs.Unauthenticated, "Sign in to see the picture block list.")
	case write && a.User.Role != account.RoleAdmin:
		return errs.E(errs.Forbidden, "Only the platform's admins may change the picture block list.")
	case !a.User.CanReview():
		return errs.E(errs.Forbidden, "Only the platform's reviewers and admins may see the picture block list.")
	}
	return nil
}

const hashColumns = `h.id, h.hash, h.label, COALESCE(h.media_id, ''), u.handle, u.display_name, h.created_at`

const hashFrom = ` FROM screen_hashes h LEFT JOIN users u ON u.id = h.created_by `

func scanHash(r store.Scanner) (BlockedHash, error) {
	var b BlockedHash
	var h int64
	var handle, name *string
	err := r.Scan(&b.ID, &h, &b.Label, &b.MediaID, &handle, &name, &b.CreatedAt)
	b.Hash = FormatHash(uint64(h))
	if handle != nil {
		b.CreatedBy = &account.Person{Handle: *handle, DisplayName: *name}
	}
	return b, err
}

// Hashes lists the block list, newest first.
func (s *Service) Hashes(ctx context.Context, a circle.Actor, p store.Page) ([]BlockedHash, string, error) {
	if err := mayHashes(a, false); err != nil {
		return nil, "", err
	}
	where, args := `TRUE`, []any{}
	if len(p.After) == 1 {
		where, args = `h.id < $1`, append(args, p.After[0])
	} else if len(p.After) != 0 {
		return nil, "", store.BadCursor()
	}
	out, err := store.Collect(ctx, s.db, scanHash, `SELECT `+hashColumns+hashFrom+`WHERE `+where+` ORDER BY h.id DESC LIMIT `+fmt.Sprint(p.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	out, next := store.NextCursor(p, out, func(b BlockedHash) []string { return []string{b.ID} })
	if out == nil {
		out = []BlockedHash{}
	}
	return out, next, nil
}

// AddHash puts a picture on the block list; audited.
func (s *Service) AddHash(ctx context.Context, a circle.Actor, nh NewHash) (BlockedHash, error) {
	if err := mayHashes(a, true); err != nil {
		return BlockedHash{}, err
	}
	label, err := checkNote("label", nh.Label)
	if err != nil {
		return BlockedHash{}, err
	}
	if label == "" {
		return BlockedHash{}, errs.Field("label", "Say what the picture is and why it is listed, in the label.")
	}
	nh.MediaID = strings.TrimSpace(nh.MediaID)
	if (nh.MediaID == "") == (strings.TrimSpace(nh.Hash) == "") {
		return BlockedHash{}, errs.Field("hash", "Give either media_id (a picture's id) or hash (16 hex digits), not both or neither.")
	}
	var h uint64
	if nh.MediaID == "" {
		if h, err = ParseHash(nh.Hash); err != nil {
			return BlockedHash{}, err
		}
	}
	out := BlockedHash{Label: label, MediaID: nh.MediaID, CreatedBy: &account.Person{Handle: a.User.Handle, DisplayName: a.User.DisplayName}}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if nh.MediaID != "" {
			var ph int64
			err := tx.QueryRow(ctx, `SELECT phash FROM media WHERE id = $1`, nh.MediaID).Scan(&ph)
			if err == store.ErrNoRows {
				return &errs.Error{Code: post.CodeMedia, Field: "media_id", Message: fmt.Sprintf("There is no picture %q.", errs.Clip(nh.MediaID, 40))}
			}
			if err != nil {
				return err
			}
			if ph == 0 {
				return errs.Field("media_id", "Picture %s has no perceptual hash yet, so it cannot be listed by id; give its hash instead.", errs.Clip(nh.MediaID, 40))
			}
			h = uint64(ph)
		}
		out.ID, out.Hash, out.CreatedAt = store.NewID(tx.Now), FormatHash(h), tx.Now
		var media any
		if nh.MediaID != "" {
			media = nh.MediaID
		}
		_, err := tx.Exec(ctx, `INSERT INTO screen_hashes (id, hash, label, media_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			out.ID, int64(h), label, media, a.User.ID, tx.Now)
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Code: CodeListed, Field: "hash", Message: fmt.Sprintf("The hash %s is already on the block list.", out.Hash)}
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a.User.ID, "screening.hash.add", "screen_hash", out.ID,
			map[string]string{"hash": out.Hash, "label": label, "media": nh.MediaID})
	})
	return out, err
}

// DeleteHash takes a picture off the block list; audited with the reason.
func (s *Service) DeleteHash(ctx context.Context, a circle.Actor, id, reason string) error {
	if err := mayHashes(a, true); err != nil {
		return err
	}
	reason, err := checkNote("reason", reason)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		b, err := scanHash(tx.QueryRow(ctx, `SELECT `+hashColumns+hashFrom+`WHERE h.id = $1`, strings.TrimSpace(id)))
		if err == store.ErrNoRows {
			return errs.E(errs.NotFound, "There is no listed picture %q.", errs.Clip(id, 40))
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM screen_hashes WHERE id = $1`, b.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a.User.ID, "screening.hash.delete", "screen_hash", b.ID,
			map[string]string{"hash": b.Hash, "label": b.Label, "reason": reason})
	})
}
