package account

import (
	"context"
	"slices"

	"github.com/quanzi/quanzi/internal/credit"
	"github.com/quanzi/quanzi/internal/errs"
	"github.com/quanzi/quanzi/internal/store"
)

// ImportCredit sets a user's credit score from an outside source. Only
// admins may (the command line and the demo act as one); it is audited,
// and the user's cached principal is refreshed.
func (s *Service) ImportCredit(ctx context.Context, actor User, handle string, score int, source, reason string) (credit.Score, error) {
	if actor.Role != RoleAdmin {
		return credit.Score{}, errs.E(errs.Forbidden, "Only admins can import credit scores.")
	}
	var out credit.Score
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.UserByHandle(ctx, tx, handle)
		if err != nil {
			return err
		}
		if out, err = credit.Import(ctx, tx, actor.ID, u.ID, score, source, reason); err != nil {
			return err
		}
		return s.invalidate(ctx, tx, userKey(u.ID))
	})
	return out, err
}

// RecomputeCredit computes the scores of the users with ids (everyone when
// ids is nil) from their factors and stores those that changed, a chunk
// of users per transaction, refreshing their cached principals; progress,
// if not nil, hears how many are done. Imported scores stay as they are.
// It returns how many scores changed.
func (s *Service) RecomputeCredit(ctx context.Context, ids []string, progress func(done, total int)) (int, error) {
	var total int
	if ids == nil {
		if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&total); err != nil {
			return 0, err
		}
	} else {
		total = len(ids)
	}
	const chunk = 500
	changed, done, after := 0, 0, ""
	for {
		var people []credit.Person
		var err error
		if ids == nil {
			people, err = s.people(ctx, `id > $1 ORDER BY id LIMIT 500`, after)
		} else if done < len(ids) {
			part := ids[done:min(done+chunk, len(ids))]
			args := make([]any, len(part))
			for i, id := range part {
				args[i] = id
			}
			people, err = s.people(ctx, `id IN (`+store.List(len(part), 1)+`)`, args...)
			done += len(part) - len(people) // unknown ids count as done
		}
		if err != nil || len(people) == 0 {
			return changed, err
		}
		n, _, err := s.recompute(ctx, people)
		if err != nil {
			return changed, err
		}
		changed += n
		done += len(people)
		after = people[len(people)-1].ID
		if progress != nil {
			progress(min(done, total), total)
		}
	}
}

func (s *Service) people(ctx context.Context, where string, args ...any) ([]credit.Person, error) {
	rows, err := s.db.Query(ctx, `SELECT id, created_at FROM users WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []credit.Person
	for rows.Next() {
		var p credit.Person
		if err := rows.Scan(&p.ID, &p.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// recompute scores people and stores the changes in one transaction; it
// returns how many changed, and the inputs it scored.
func (s *Service) recompute(ctx context.Context, people []credit.Person) (int, map[string]credit.Inputs, error) {
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	levels, err := s.IdentityLevels(ctx, s.db, ids)
	if err != nil {
		return 0, nil, err
	}
	inputs, err := credit.Gather(ctx, s.db, people, levels, s.db.Now())
	if err != nil {
		return 0, nil, err
	}
	scores := make(map[string]int, len(inputs))
	for id, in := range inputs {
		scores[id], _ = credit.Compute(in)
	}
	var changed []string
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if changed, err = credit.Save(ctx, tx, scores); err != nil || len(changed) == 0 {
			return err
		}
		// One row names every changed user: a full recompute writes a few
		// hundred rows, not one per user for every node's poll to re-read.
		slices.Sort(changed)
		return s.invalidate(ctx, tx, usersKey(changed))
	})
	return len(changed), inputs, err
}

// CreditReport recomputes a user's score now and returns it with its
// factors: the score rules see (an imported one, if any, wins), and the
// computed one with what would raise it.
func (s *Service) CreditReport(ctx context.Context, u User) (credit.Report, error) {
	_, inputs, err := s.recompute(ctx, []credit.Person{{ID: u.ID, CreatedAt: u.CreatedAt}})
	if err != nil {
		return credit.Report{}, err
	}
	r := credit.Report{}
	r.Computed, r.Factors = credit.Compute(inputs[u.ID])
	stored, err := credit.Of(ctx, s.db, u.ID)
	if err != nil {
		return credit.Report{}, err
	}
	r.Score, r.Source = r.Computed, "computed"
	if stored != nil {
		r.Score, r.Source, r.UpdatedAt = stored.Score, stored.Source, stored.UpdatedAt
	}
	r.History, err = credit.History(ctx, s.db, u.ID, 10)
	return r, err
}
