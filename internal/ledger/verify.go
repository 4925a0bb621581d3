package ledger

import (
	"context"
	"fmt"

	"github.com/quanzi/quanzi/internal/store"
)

// Report is what Verify found.
type Report struct {
	Accounts int
	Entries  int
	// Total is the sum of every balance of every account: zero in a ledger
	// that has only ever moved money.
	Total int64
	// Problems lists every mismatch, one sentence each.
	Problems []string
}

// OK reports whether the ledger checked out.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// verifyPage is how many accounts Verify recomputes per query.
const verifyPage = 1000

// maxProblems bounds the report of a badly broken ledger.
const maxProblems = 100

// Verify recomputes every balance from the postings and checks every
// entry balances, all in one consistent snapshot, so it can run while the
// server is writing. progress, if not nil, is told how many accounts are
// done out of how many.
func Verify(ctx context.Context, db *store.DB, progress func(done, total int)) (Report, error) {
	var r Report
	err := db.ReadTx(ctx, func(q store.Querier) error {
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_accounts`).Scan(&r.Accounts); err != nil {
			return err
		}
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM journal_entries`).Scan(&r.Entries); err != nil {
			return err
		}
		if err := checkEntries(ctx, q, &r); err != nil {
			return err
		}
		return checkBalances(ctx, q, &r, progress)
	})
	if r.Total != 0 {
		r.problem("the balances of all accounts sum to %d, not 0: money was made or lost", r.Total)
	}
	return r, err
}

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "… and more; fix these first")
	}
}

// checkEntries finds entries whose postings do not sum to zero, and
// entries with fewer than two postings.
func checkEntries(ctx context.Context, q store.Querier, r *Report) error {
	rows, err := q.Query(ctx, `SELECT e.id, COALESCE(SUM(p.amount), 0), COUNT(p.entry_id)
		FROM journal_entries e LEFT JOIN postings p ON p.entry_id = e.id
		GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.entry_id) < 2`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var sum int64
		var n int
		if err := rows.Scan(&id, &sum, &n); err != nil {
			return err
		}
		r.problem("entry %s has %d postings summing to %d", id, n, sum)
	}
	return rows.Err()
}

// checkBalances compares each account's stored balances with the sum of
// its postings, a page of accounts at a time.
func checkBalances(ctx context.Context, q store.Querier, r *Report, progress func(done, total int)) error {
	after, done := "", 0
	for {
		rows, err := q.Query(ctx, `SELECT a.id, a.available, a.held, a.may_go_negative,
				COALESCE(SUM(CASE WHEN p.bucket = 'available' THEN p.amount ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN p.bucket = 'held' THEN p.amount ELSE 0 END), 0)
			FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id
			WHERE a.id > $1
			GROUP BY a.id, a.available, a.held, a.may_go_negative
			ORDER BY a.id LIMIT $2`, after, verifyPage)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			var id string
			var stored, sum Balance
			var mayGoNegative bool
			if err := rows.Scan(&id, &stored.Available, &stored.Held, &mayGoNegative, &sum.Available, &sum.Held); err != nil {
				rows.Close()
				return err
			}
			if stored != sum {
				r.problem("account %s records available %d, held %d; its postings sum to %d, %d", id, stored.Available, stored.Held, sum.Available, sum.Held)
			}
			if !mayGoNegative && (stored.Available < 0 || stored.Held < 0) {
				r.problem("account %s is negative (available %d, held %d)", id, stored.Available, stored.Held)
			}
			r.Total += stored.Available + stored.Held
			after = id
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		done += n
		if progress != nil {
			progress(done, r.Accounts)
		}
		if n < verifyPage {
			return nil
		}
	}
}
