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
	rows, err := q.Query(ctx, `SELECT created_at / 86400000000, COUNT(*), SUM(amount) FROM tips
		WHERE created_at >= $1 AND created_at < $2 GROUP BY created_at / 86400000000`, from, to)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var day, n, sum int64
		if err := rows.Scan(&day, &n, &sum); err != nil {
			return nil, nil, err
		}
		count[dayStart(day)], amount[dayStart(day)] = n, sum
	}
	return count, amount, rows.Err()
}

// PostsPerDay counts the posts written on each UTC day from from
// (inclusive) to to (exclusive), moments included and whatever became of
// them since (held, rejected or deleted posts were still written).
func PostsPerDay(ctx context.Context, q store.Querier, from, to time.Time) (map[time.Time]int64, error) {
	rows, err := q.Query(ctx, `SELECT created_at / 86400000000, COUNT(*) FROM posts
		WHERE created_at >= $1 AND created_at < $2 GROUP BY created_at / 86400000000`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[time.Time]int64{}
	for rows.Next() {
		var day, n int64
		if err := rows.Scan(&day, &n); err != nil {
			return nil, err
		}
		out[dayStart(day)] = n
	}
	return out, rows.Err()
}

// dayStart is the UTC midnight of a day number (days since 1970).
func dayStart(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }
