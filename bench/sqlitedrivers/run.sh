#!/usr/bin/env bash
# Runs the SQLite driver benchmarks in interleaved rounds (all drivers and the
# raw fdatasync loop in every round, so ratios come from the same round), then
# summarises with benchstat and prints commit-rate / fdatasync-rate ratios,
# SQLite versions, FTS5 availability and trivial-binary sizes.
#
# Usage: ./run.sh [rounds] [benchtime]      (defaults: 6 1s)
# Env:   BENCH_DIR  directory for database files (default: $TMPDIR; must be a
#                   real disk, not tmpfs)
#        OUT        output directory (default: ./results)
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"

ROUNDS=${1:-6}
BENCHTIME=${2:-1s}
OUT=${OUT:-results}
mkdir -p "$OUT"
RES="$OUT/bench.txt"
: >"$RES"

# mattn and ncruces both register the database/sql name "sqlite3"; rename one.
LD='-X=github.com/ncruces/go-sqlite3/driver.driverName=sqlite3-ncruces'
BIN="$(mktemp -d)"
trap 'rm -rf "$BIN"' EXIT
go test -c -ldflags="$LD" -o "$BIN/sqlitedrivers.test" .

DIRFLAG=()
[ -n "${BENCH_DIR:-}" ] && DIRFLAG=(-dir "$BENCH_DIR")

echo "== machine"
{
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "nproc: $(nproc)  kernel: $(uname -r)  $(go version)"
	echo "disk: $(df -T "${BENCH_DIR:-${TMPDIR:-/tmp}}" | awk 'NR==2 {print $1, $2}')"
	"$BIN/sqlitedrivers.test" -test.run TestInfo -test.v "${DIRFLAG[@]}" | grep -o 'driver=.*'
} | tee "$OUT/info.txt"

for i in $(seq "$ROUNDS"); do
	echo "== round $i/$ROUNDS"
	"$BIN/sqlitedrivers.test" -test.run '^$' -test.bench . -test.count 1 \
		-test.benchtime "$BENCHTIME" "${DIRFLAG[@]}" | tee "$OUT/round-$i.txt" >>"$RES"
done

echo "== benchstat"
benchstat -col /driver "$RES" | tee "$OUT/benchstat.txt"

echo "== single-row commit rate / fdatasync rate (median over rounds)"
for f in "$OUT"/round-*.txt; do
	awk '
		function metric(unit) { for (i = 3; i < NF; i++) if ($(i+1) == unit) return $i }
		/^BenchmarkFsync/ { sync = metric("syncs/s") }
		/^BenchmarkCommit\// { split($1, a, "[=-]"); rate[a[2]] = metric("commits/s") }
		END { for (d in rate) printf "%s %.3f %d %d\n", d, rate[d] / sync, rate[d], sync }' "$f"
done | sort -k1,1 -k2,2n | awk '
	{ r[$1] = r[$1] " " $2; n[$1]++ }
	END {
		for (d in r) {
			split(substr(r[d], 2), v, " ")
			m = (n[d] % 2) ? v[(n[d]+1)/2] : (v[n[d]/2] + v[n[d]/2+1]) / 2
			printf "%-8s median ratio %.3f  (rounds:%s)\n", d, m, r[d]
		}
	}' | sort | tee "$OUT/ratios.txt"

echo "== trivial binary size (bytes: default, -ldflags=\"-s -w\")"
for t in modernc mattn ncruces; do
	go build -tags "$t" -o "$BIN/t" ./cmd/trivial
	go build -tags "$t" -ldflags="-s -w" -o "$BIN/ts" ./cmd/trivial
	echo "$t $(stat -c %s "$BIN/t") $(stat -c %s "$BIN/ts")  $("$BIN/t")"
done | tee "$OUT/sizes.txt"
