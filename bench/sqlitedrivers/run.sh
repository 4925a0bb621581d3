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
		-test.benchtime "$BENCHTIME" "${DIRFLAG[@]}" | tee -a "$RES"
done

echo "== benchstat (per driver)"
benchstat -col /driver -filter '-.name:(Fsync OR CommitInterleaved)' "$RES" | tee "$OUT/benchstat.txt"
echo "== benchstat (raw fdatasync, and interleaved commit rates and commit/fdatasync ratios)"
benchstat -filter '.name:(Fsync OR CommitInterleaved)' "$RES" | tee -a "$OUT/benchstat.txt"

echo "== trivial binary size (bytes: default, -ldflags=\"-s -w\")"
for t in modernc mattn ncruces; do
	go build -tags "$t" -o "$BIN/t" ./cmd/trivial
	go build -tags "$t" -ldflags="-s -w" -o "$BIN/ts" ./cmd/trivial
	echo "$t $(stat -c %s "$BIN/t") $(stat -c %s "$BIN/ts")  $("$BIN/t")"
done | tee "$OUT/sizes.txt"
