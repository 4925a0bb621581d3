package ledger

import (
	"context"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

// MovedPerDay sums the money the journal moved on each UTC day from from
// (inclusive) to to (exclusive): for every entry, the total of its
// positive postings, so a transfer of ¥10 counts ¥10 however many
// accounts it touches. Days without entries are absent. The keys are the
// days' UTC midnights.
func MovedPerDay(ctx context.Context, q store.Querier, from, to time.Time) (map[time.Time]int64, error) {
	return store.PerDay(ctx, q, `SELECT `+store.Day("e.created_at")+`, SUM(p.amount)
		FROM journal_entries e JOIN postings p ON p.entry_id = e.id
		WHERE p.amount > 0 AND e.created_at >= $1 AND e.created_at < $2
		GROUP BY `+store.Day("e.created_at"), from, to)
}
