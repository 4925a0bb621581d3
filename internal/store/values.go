package store

import (
	"context"
	"math/bits"
	"strconv"
	"strings"
)

// Multi-row statements. Writing a batch of rows with one statement costs
// far less than a statement per row, but every row count is a new query
// text, and each text is compiled and cached by the connection. Chunks
// keeps the shapes few: it splits n rows into runs whose lengths are powers
// of two, so a batch of up to 256 rows comes in at most 9 shapes.

// Chunks calls fn for consecutive runs [lo, hi) that cover 0..n, each a
// power of two long, longest first, stopping at the first error.
func Chunks(n int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; {
		size := 1 << (bits.Len(uint(n-lo)) - 1)
		if err := fn(lo, lo+size); err != nil {
			return err
		}
		lo += size
	}
	return nil
}

// Values writes rows groups of width numbered placeholders, starting at
// $first: Values(2, 3, 1) is "($1, $2, $3), ($4, $5, $6)". A column's
// entry in casts, if not empty, is the SQL type its placeholder is cast to
// (PostgreSQL cannot otherwise tell the type of a value in a VALUES list
// that is not inserted into a table).
func Values(rows, width, first int, casts ...string) string {
	var b strings.Builder
	n := first
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range width {
			if c > 0 {
				b.WriteString(", ")
			}
			ph := "$" + strconv.Itoa(n)
			if c < len(casts) && casts[c] != "" {
				ph = "CAST(" + ph + " AS " + casts[c] + ")"
			}
			b.WriteString(ph)
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// List writes n numbered placeholders from $first, for IN lists:
// List(3, 2) is "$2, $3, $4".
func List(n, first int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}

// Scanner is a row to scan: a *Row or the current row of *Rows.
type Scanner interface{ Scan(dest ...any) error }

// Collect runs a query and reads every row with scan, in order.
func Collect[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Strings runs a query that returns one text column and collects it.
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	out, err := Collect(ctx, q, func(r Scanner) (string, error) {
		var s string
		return s, r.Scan(&s)
	}, query, args...)
	if out == nil && err == nil {
		out = []string{}
	}
	return out, err
}
