package post

import (
	"context"
	"time"

	"github.com/quanzi/quanzi/internal/store"
)

// TipsPerDay counts the tips sent on each UTC day from from (inclusive) to
// to (exclusive), and sums their amounts (minor units). Days without tips
// are absent; the keys are the days' UTC midnights.
func TipsPerDay(ctx context.Context, q store.Querier, from, to time.Time) (count, amount map[time.Time]int64, err error) {
	count, amount = map[time.Time]int64{}, map[time.Time]int64{}
	rows, err := q.Query(ctx, `SELECT `+store.Day("created_at")+`, COUNT(*), SUM(amount) FROM tips
		WHERE created_at >= $1 AND created_at < $2 GROUP BY `+store.Day("created_at"), from, to)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var day, n, sum int64
		if err := rows.Scan(&day, &n, &sum); err != nil {
			return nil, nil, err
		}
		count[store.DayStart(day)], amount[store.DayStart(day)] = n, sum
	}
	return count, amount, rows.Err()
}

// PostsPerDay counts the posts written on each UTC day from from
// (inclusive) to to (exclusive), moments included and whatever became of
// them since (held, rejected or deleted posts were still written).
func PostsPerDay(ctx context.Context, q store.Querier, from, to time.Time) (map[time.Time]int64, error) {
	return store.PerDay(ctx, q, `SELECT `+store.Day("created_at")+`, COUNT(*) FROM posts
		WHERE created_at >= $1 AND created_at < $2 GROUP BY `+store.Day("created_at"), from, to)
}
