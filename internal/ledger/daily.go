package ledger

import (
	"context"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

// microsPerDay turns a stored time (microseconds since 1970) into a UTC
// day number by integer division, the same in both engines.
const microsPerDay = 86_400_000_000

// MovedPerDay sums the money the journal moved on each UTC day from from
// (inclusive) to to (exclusive): for every entry, the total of its
// positive postings, so a transfer of ¥10 counts ¥10 however many
// accounts it touches. Days without entries are absent. The keys are the
// days' UTC midnights.
func MovedPerDay(ctx context.Context, q store.Querier, from, to time.Time) (map[time.Time]int64, error) {
	rows, err := q.Query(ctx, `SELECT e.created_at / 86400000000, SUM(p.amount)
		FROM journal_entries e JOIN postings p ON p.entry_id = e.id
		WHERE p.amount > 0 AND e.created_at >= $1 AND e.created_at < $2
		GROUP BY e.created_at / 86400000000`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[time.Time]int64{}
	for rows.Next() {
		var day, sum int64
		if err := rows.Scan(&day, &sum); err != nil {
			return nil, err
		}
		out[time.Unix(day*microsPerDay/1_000_000, 0).UTC()] = sum
	}
	return out, rows.Err()
}
