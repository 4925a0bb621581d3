package store

import (
	"context"
	"time"
)

// Day is the SQL expression of a stored time column's UTC day number
// (days since 1970; times are stored in microseconds): integer division,
// the same in both engines.
func Day(col string) string { return col + ` / 86400000000` }

// DayStart is the UTC midnight of a day number.
func DayStart(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }

// PerDay runs query, whose rows are a day number (see Day) and a number,
// and returns the numbers by the days' UTC midnights. Days without a row
// are absent.
func PerDay(ctx context.Context, q Querier, query string, args ...any) (map[time.Time]int64, error) {
	rows, err := q.Query(ctx, query, args...)
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
		out[DayStart(day)] = n
	}
	return out, rows.Err()
}
