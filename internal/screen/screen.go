// Package screen screens every post, comment and edit as it is written:
// against word lists (the platform's, and the circle's own), a block list
// of perceptual hashes of pictures that may not be posted, and the scores
// an outside classifier gave the pictures at upload. Each listed phrase
// blocks, holds or flags what contains it; the strongest finding decides.
//
// The lists live in the database and are read on each screening, so
// every node sharing it screens alike the moment a list changes.
package screen

import (
	"context"
	"fmt"
	"sort"

	"github.com/quanzi/quanzi/internal/circle"
	"github.com/quanzi/quanzi/internal/media"
	"github.com/quanzi/quanzi/internal/post"
	"github.com/quanzi/quanzi/internal/store"
)

// HashDistance is the most bits a picture's perceptual hash may differ
// from a listed one and still count as the same picture: the threshold
// measured for the media pipeline's hash (docs/BENCHMARKS.md).
const HashDistance = media.MatchDistance

// Service screens content and keeps the lists.
type Service struct {
	db      *store.DB
	circles *circle.Service
	// Classifier, if set, scored pictures at upload: a picture scored at
	// or above its Hold, or not scored, holds its post for review.
	Classifier *Classifier
}

// New returns the screening service.
func New(db *store.DB, circles *circle.Service) *Service {
	return &Service{db: db, circles: circles}
}

var _ post.Screener = (*Service)(nil)

// Screen screens a post or comment about to be written: the platform's
// word list and, in a circle, the circle's; the author's pictures against
// the hash block list and the classifier's scores.
func (s *Service) Screen(ctx context.Context, q store.Querier, sc post.Screening) (post.Verdict, error) {
	var v post.Verdict
	found, err := s.words(ctx, q, sc.CircleID, sc.Text)
	if err != nil {
		return v, err
	}
	v.Findings = found
	if len(sc.MediaIDs) > 0 {
		found, err := s.pictures(ctx, q, sc.AuthorID, sc.MediaIDs)
		if err != nil {
			return v, err
		}
		v.Findings = append(v.Findings, found...)
	}
	return v, nil
}

// words finds the listed phrases in text.
func (s *Service) words(ctx context.Context, q store.Querier, circleID, text string) ([]post.Finding, error) {
	if text == "" {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT phrase, action, circle_id IS NULL FROM screen_words WHERE circle_id IS NULL OR circle_id = $1`, circleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := ReadText(text)
	var out []post.Finding
	for rows.Next() {
		var f post.Finding
		if err := rows.Scan(&f.Phrase, &f.Action, &f.Global); err != nil {
			return nil, err
		}
		if ReadPhrase(f.Phrase).In(t) {
			f.Cause = post.CauseScreenWords
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Global != out[j].Global {
			return !out[i].Global // the circle's own list first: its sentence names the circle
		}
		return out[i].Phrase < out[j].Phrase
	})
	return out, rows.Err()
}

// picture is an uploaded picture as screening reads it.
type picture struct {
	phash uint64
	score *float64
}

// pictures screens the author's pictures (others' are left to the post's
// own check, which refuses them).
func (s *Service) pictures(ctx context.Context, q store.Querier, authorID string, ids []string) ([]post.Finding, error) {
	args := []any{authorID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := q.Query(ctx, `SELECT id, phash, score FROM media WHERE owner_id = $1 AND id IN (`+store.List(len(ids), 2)+`)`, args...)
	if err != nil {
		return nil, err
	}
	pics := map[string]picture{}
	hashed := false
	for rows.Next() {
		var id string
		var h int64
		var p picture
		if err := rows.Scan(&id, &h, &p.score); err != nil {
			rows.Close()
			return nil, err
		}
		p.phash = uint64(h)
		pics[id] = p
		hashed = hashed || h != 0
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var listed []uint64
	if hashed {
		if listed, err = hashes(ctx, q); err != nil {
			return nil, err
		}
	}
	var out []post.Finding
	for i, id := range ids {
		p, ok := pics[id]
		if !ok {
			continue
		}
		// A hash of 0 is a picture not hashed (yet): it matches nothing.
		if d, ok := nearest(p.phash, listed); p.phash != 0 && ok && d <= HashDistance {
			out = append(out, post.Finding{Action: post.ScreenBlock, Cause: post.CauseScreenHash, Picture: i + 1,
				Detail: fmt.Sprintf("%d bits from a listed picture", d)})
			continue
		}
		if c := s.Classifier; c != nil && c.URL != "" {
			switch {
			case p.score == nil:
				out = append(out, post.Finding{Action: post.ScreenHold, Cause: post.CauseClassifierUnavailable, Picture: i + 1,
					Detail: "the classifier did not score it"})
			case *p.score >= c.Hold:
				out = append(out, post.Finding{Action: post.ScreenHold, Cause: post.CauseClassifier, Picture: i + 1,
					Detail: fmt.Sprintf("the classifier scored it %.2f (it holds at %.2f)", *p.score, c.Hold)})
			}
		}
	}
	return out, nil
}

// hashes reads the block list.
func hashes(ctx context.Context, q store.Querier) ([]uint64, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (uint64, error) {
		var h int64
		err := r.Scan(&h)
		return uint64(h), err
	}, `SELECT hash FROM screen_hashes`)
}

// nearest is the least distance from h to a listed hash.
func nearest(h uint64, listed []uint64) (int, bool) {
	best, ok := 65, false
	for _, l := range listed {
		if d := media.Distance(h, l); d < best {
			best, ok = d, true
		}
	}
	return best, ok
}
