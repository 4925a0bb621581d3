#!/usr/bin/env bash
# Credit recompute as an operator runs it: quanzi serve on SQLite with
# $USERS users (quanzi load seed), GET /api/v1/me from 8 connections (wrk)
# for $DURATION before, then `quanzi admin credit recompute --all` as a
# separate process and the same load while it runs. Each run starts from a
# copy of the same seeded data folder, so every run recomputes (and
# stores) every score for the first time. Prints the p99 before and during,
# and users/s; then the medians. Only 127.0.0.1. Needs root (apt-get).
# Usage: bench/credit.sh   Env: RUNS (3), USERS (100000), DURATION (3s),
# NICE (10: the --nice the recompute runs at; 0 for the usual priority).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
RUNS=${RUNS:-3}
USERS=${USERS:-100000}
DURATION=${DURATION:-3s}
NICE=${NICE:-10}
. "$ROOT/bench/lib.sh"
bench_workdir credit
command -v wrk >/dev/null || apt_install wrk

echo "== building quanzi"
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
Q="$WORK/quanzi"

echo "== seeding $USERS users (quanzi load seed)"
"$Q" migrate --data "$WORK/seed" --log-level warn >/dev/null
"$Q" load seed --data "$WORK/seed" --log-level warn --users "$USERS" --circles 1 --posts 0 --sessions 1 --out "$WORK/seed.json" >/dev/null 2>"$WORK/seed.err" ||
	{ tr '\r' '\n' <"$WORK/seed.err" | tail -3; exit 1; }
TOKEN=$(sed -E 's/.*"tokens":\["([^"]+)".*/\1/' "$WORK/seed.json")

# p99 LABEL URL: runs wrk for DURATION, prints and returns the p99 in ms.
p99() {
	wrk -t2 -c8 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$2/api/v1/me" >"$WORK/wrk.$1"
	awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else { sub(/s$/, "", v); v *= 1000 } print v }' "$WORK/wrk.$1"
}

# cpu_ticks: the CPU time stolen by the hypervisor, and all of it, in ticks
# since boot: on a shared host a run with much stolen time is noise.
cpu_ticks() { awk '$1 == "cpu" { print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

for i in $(seq "$RUNS"); do
	rm -rf "$WORK/data" && cp -a "$WORK/seed" "$WORK/data"
	PORT=$(free_port 18680)
	"$Q" serve --data "$WORK/data" --addr "127.0.0.1:$PORT" --log-level warn >"$WORK/serve.log" 2>&1 &
	SERVER=$!
	PIDS+=($SERVER)
	URL="http://127.0.0.1:$PORT"
	wait_up "$URL"
	p99 warm "$URL" >/dev/null # sessions cached, connections open
	read -r s0 a0 < <(cpu_ticks)
	before=$(p99 before "$URL")
	t0=$(date +%s.%N)
	"$Q" admin credit recompute --all --nice "$NICE" --data "$WORK/data" --log-level warn >"$WORK/recompute.out" 2>/dev/null &
	CLI=$!
	PIDS+=($CLI)
	during=$(p99 during "$URL")
	still=$(kill -0 "$CLI" 2>/dev/null && echo yes || echo no)
	wait "$CLI"
	t1=$(date +%s.%N)
	read -r s1 a1 < <(cpu_ticks)
	steal=$(awk -v s="$((s1 - s0))" -v a="$((a1 - a0))" 'BEGIN { printf "%.0f", 100 * s / a }')
	ups=$(awk -v n="$USERS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
	[ "$still" = yes ] || echo "  (the recompute ended before the measurement did: lower DURATION)"
	printf '  run %d: GET /me p99 %6.2f ms before, %6.2f ms during | %s users/s | %s%% CPU stolen | %s\n' "$i" "$before" "$during" "$ups" "$steal" "$(cat "$WORK/recompute.out")"
	echo "$before" >>"$WORK/before" && echo "$during" >>"$WORK/during" && echo "$ups" >>"$WORK/ups"
	kill "$SERVER" && wait "$SERVER" 2>/dev/null || true
done
printf '== median of %d (--nice %d): GET /me p99 %.2f ms before, %.2f ms during the recompute; %.0f users/s\n' \
	"$RUNS" "$NICE" "$(median <"$WORK/before")" "$(median <"$WORK/during")" "$(median <"$WORK/ups")"
