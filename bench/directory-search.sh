#!/usr/bin/env bash
# Directory search over a large directory, over HTTP, on SQLite:
#   fills a fresh server's directory with $CIRCLES open circles (and a
#   quarter as many closed ones, which no search may return) through the
#   API, merges its search index (quanzi admin tidy-search, as the janitor
#   would in time), then runs `quanzi load search` $RUNS times with 4 and
#   with 16 clients: Chinese queries for half of $DURATION, English for the
#   other half; and prints the search index's size on disk.
# Only 127.0.0.1; every run time-bounded.
# Usage: bench/directory-search.sh   Env: CIRCLES (100000), RUNS (3), DURATION (20s).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
CIRCLES=${CIRCLES:-100000}
RUNS=${RUNS:-3}
DURATION=${DURATION:-20s}
. "$ROOT/bench/lib.sh"
bench_workdir directory-search

go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
go build -C "$ROOT/bench/sqlitedrivers" -o "$WORK/dbsize" ./cmd/dbsize
QP=$(free_port 18780)
"$WORK/quanzi" serve --data "$WORK/data" --addr "127.0.0.1:$QP" --log-level warn >"$WORK/quanzi.log" 2>&1 &
QPID=$!
PIDS+=($QPID)
wait_up "http://127.0.0.1:$QP"
search() { # CONCURRENCY: one round
	if ! "$WORK/quanzi" load search --url "http://127.0.0.1:$QP" --circles "$CIRCLES" --concurrency "$1" --duration "$DURATION" 2>"$WORK/load.err"; then
		tr '\r' '\n' <"$WORK/load.err" | tail -3
		exit 1
	fi
}
echo "== filling the directory"
search 16 >/dev/null
echo "== merging the index as the janitor would (quanzi admin tidy-search)"
"$WORK/quanzi" admin tidy-search --data "$WORK/data"
for i in $(seq "$RUNS"); do
	for c in 4 16; do
		echo "== round $i, $c clients"
		search "$c"
	done
done
RSS=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$QPID/status")
kill "$QPID"
wait "$QPID" 2>/dev/null || true
echo "== the search index on disk"
"$WORK/dbsize" -db "$WORK/data/quanzi.db" -prefix circle_search
ls -l "$WORK/data/quanzi.db" | awk '{printf "whole database: %.1f MiB\n", $5/1048576}'
echo "server RSS after the runs: ${RSS} MiB"
