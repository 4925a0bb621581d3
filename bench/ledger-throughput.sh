#!/usr/bin/env bash
# Money throughput, each against a limit measured in the same run:
#   (a) in-process transfers/s with 1, 16 and 64 callers (BenchmarkTransfers:
#       transfers settled in batches, as the API does), against the single-row commit rate of the same engine:
#       SQLite on disk, and PostgreSQL 15 with fsync on;
#   (b) transfers/s over HTTP with `quanzi load transfers` (64 clients),
#       against hello-world under wrk, round by round, with p99 latency;
#   (c) the server's resident memory after (b).
# Only 127.0.0.1; every run time-bounded. Needs root (apt-get, runuser).
# Usage: sudo bench/ledger-throughput.sh   Env: RUNS (3), DURATION (20s), SKIP_PG=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
RUNS=${RUNS:-3}
DURATION=${DURATION:-20s}
. "$ROOT/bench/lib.sh"
bench_workdir ledger-throughput
command -v wrk >/dev/null || apt_install wrk

echo "== (a) in-process transfers, SQLite (a folder on disk)"
go test -C "$ROOT" -run '^$' -bench BenchmarkTransfers -benchtime 20000x -count "$RUNS" ./internal/wallet | tee "$WORK/sqlite.txt" | grep -E "Benchmark|_test.go"
IN_SQLITE=$(transfers_summary "$WORK/sqlite.txt" SQLite)
IN_PG="PostgreSQL skipped"
if [ -z "${SKIP_PG:-}" ]; then
	echo "== (a) in-process transfers, PostgreSQL 15 (fsync on)"
	start_durable_postgres "$WORK"
	QUANZI_TEST_POSTGRES="$DSN" go test -C "$ROOT" -run '^$' -bench BenchmarkTransfers -benchtime 20000x -count "$RUNS" ./internal/wallet | tee "$WORK/pg.txt" | grep -E "Benchmark|_test.go"
	IN_PG=$(transfers_summary "$WORK/pg.txt" PostgreSQL)
	stop_postgres
	PGDATA_DIR=""
fi

echo "== (b) over HTTP: wrk on hello-world, then quanzi load transfers ($DURATION, 64 clients), $RUNS rounds"
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
go build -C "$ROOT/bench/hello" -o "$WORK/hello" .
HP=$(free_port 18580)
"$WORK/hello" -port "$HP" 2>/dev/null &
PIDS+=($!)
QP=$(free_port 18680)
"$WORK/quanzi" serve --data "$WORK/sqlite-http" --addr "127.0.0.1:$QP" >"$WORK/quanzi.log" 2>&1 &
QPID=$!
PIDS+=($QPID)
wait_up "http://127.0.0.1:$QP"
H_ALL="" T_ALL="" R_ALL="" P_ALL="" TOTAL=0
for i in $(seq "$RUNS"); do
	h=$(wrk -t2 -c64 -d10s "http://127.0.0.1:$HP/" | rps)
	out=$("$WORK/quanzi" load transfers --url "http://127.0.0.1:$QP" --users 200 --concurrency 64 --duration "$DURATION" 2>/dev/null)
	tps=$(awk '/^transfers:/ {sub("/s,", "", $6); print $6}' <<<"$out")
	n=$(awk '/^transfers:/ {print $2}' <<<"$out")
	p99=$(awk '/^latency:/ {print $7}' <<<"$out")
	grep -q "conservation OK" <<<"$out" || { echo "conservation failed:"; echo "$out"; exit 1; }
	r=$(awk -v a="$tps" -v b="$h" 'BEGIN {printf "%.3f", a/b}')
	echo "round $i: hello $h req/s; transfers $tps/s (ratio $r), p99 $p99, $n transfers"
	H_ALL="$H_ALL $h" T_ALL="$T_ALL $tps" R_ALL="$R_ALL $r" P_ALL="$P_ALL $p99" TOTAL=$((TOTAL + n))
done
RSS=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$QPID/status")
HWM=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$QPID/status")
"$WORK/quanzi" ledger verify --data "$WORK/sqlite-http" --quiet | tail -1

cat <<SUMMARY

==================== money throughput summary ($(date -u +%Y-%m-%dT%H:%MZ), medians of $RUNS) ====================
in process   $IN_SQLITE
in process   $IN_PG
over HTTP    hello $(tr ' ' '\n' <<<"$H_ALL" | grep . | median) req/s; transfers $(tr ' ' '\n' <<<"$T_ALL" | grep . | median)/s; ratio $(tr ' ' '\n' <<<"$R_ALL" | grep . | median) (rounds:$R_ALL); p99 per round:$P_ALL
memory       server RSS ${RSS} MiB (peak ${HWM} MiB) after $TOTAL transfers over HTTP
===========================================================================================================
SUMMARY
