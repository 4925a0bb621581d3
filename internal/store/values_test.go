package store

import (
	"math/bits"
	"testing"
	"time"
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

func TestFirstIDSortsBeforeEveryLaterID(t *testing.T) {
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	first := FirstID(at)
	for range 1000 {
		if id := NewID(at); id < first {
			t.Fatalf("%s sorts before FirstID %s", id, first)
		}
		if id := NewID(at.Add(-time.Millisecond)); id >= first {
			t.Fatalf("an id of the millisecond before, %s, sorts at or after FirstID %s", id, first)
		}
	}
}
