package store

import (
	"math/bits"
	"testing"
)

func TestChunksCoverEveryRowInPowersOfTwo(t *testing.T) {
	for n := range 600 {
		next, shapes := 0, 0
		Chunks(n, func(lo, hi int) error {
			if lo != next || hi <= lo || bits.OnesCount(uint(hi-lo)) != 1 {
				t.Fatalf("n=%d: chunk [%d,%d) after %d", n, lo, hi, next)
			}
			next = hi
			shapes++
			return nil
		})
		if next != n || shapes != bits.OnesCount(uint(n)) {
			t.Fatalf("n=%d: covered %d in %d chunks", n, next, shapes)
		}
	}
}

func TestValuesAndList(t *testing.T) {
	if got := Values(2, 3, 1); got != "($1, $2, $3), ($4, $5, $6)" {
		t.Fatal(got)
	}
	if got := Values(1, 2, 4, "", "BIGINT"); got != "($4, CAST($5 AS BIGINT))" {
		t.Fatal(got)
	}
	if got := List(3, 2); got != "$2, $3, $4" {
		t.Fatal(got)
	}
}

func TestRebindDropsNumbersOnlyWhenInOrder(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT $1, $2, '$3' -- $4` + "\n" + `, $3`: `SELECT ?, ?, '$3' -- $4` + "\n" + `, ?`,
		`SELECT $2, $1`:     `SELECT ?2, ?1`,
		`SELECT $1, $1`:     `SELECT ?1, ?1`,
		`SELECT $1, $10`:    `SELECT ?1, ?10`,
		`UPDATE t SET a=$1`: `UPDATE t SET a=?`,
	} {
		if got := rebindNumbered(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
