#!/usr/bin/env bash
# Feeds and tips over HTTP, against hello-world measured in the same round:
#   (a) quanzi load seed fills a database ($USERS users, $POSTS posts in
#       2,000 circles) on SQLite and (unless SKIP_PG) on PostgreSQL 15 with
#       fsync on; a server on each; then $RUNS rounds of: wrk -t2 -c64 on
#       bench/hello, then on each engine wrk -t2 -c64 with bench/feeds.lua
#       ($DURATION each for circle feeds and home feeds: random pages as
#       random seeded users), the same client as the hello-world figure.
#       One warm-up pass of each (quanzi load feeds, which also counts
#       errors by code) comes first.
#   (b) on a fresh SQLite server, $RUNS rounds of quanzi load tips and
#       quanzi load transfers (200 users, 64 clients, $DURATION each).
# Only 127.0.0.1; every run time-bounded. Needs root (apt-get, runuser).
# Usage: sudo bench/feeds.sh   Env: USERS (100000), POSTS (1000000), RUNS (3), DURATION (20s), SKIP_PG.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
USERS=${USERS:-100000}
POSTS=${POSTS:-1000000}
RUNS=${RUNS:-3}
DURATION=${DURATION:-20s}
. "$ROOT/bench/lib.sh"
bench_workdir feeds
command -v wrk >/dev/null || apt_install wrk

echo "== building quanzi and bench/hello"
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
go build -C "$ROOT/bench/hello" -o "$WORK/hello" .
HP=$(free_port 18880)
"$WORK/hello" -port "$HP" 2>/dev/null &
PIDS+=($!)

serve() { # NAME PORT DB-FLAGS...: start a server, remember its pid
	local name=$1 port=$2
	shift 2
	"$WORK/quanzi" serve --addr "127.0.0.1:$port" --log-level warn "$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	wait_up "http://127.0.0.1:$port"
}

ENGINES=(sqlite)
echo "== (a) seeding SQLite: $USERS users, $POSTS posts"
time "$WORK/quanzi" load seed --data "$WORK/sqlite" --users "$USERS" --posts "$POSTS" --out "$WORK/sqlite.json" 2>/dev/null
SP=$(free_port 18881)
serve sqlite "$SP" --data "$WORK/sqlite"
if [ -z "${SKIP_PG:-}" ]; then
	start_durable_postgres "$WORK"
	echo "== (a) seeding PostgreSQL: $USERS users, $POSTS posts"
	time "$WORK/quanzi" load seed --database "$DSN" --users "$USERS" --posts "$POSTS" --out "$WORK/postgres.json" 2>/dev/null
	PP=$(free_port 18882)
	serve postgres "$PP" --database "$DSN"
	ENGINES+=(postgres)
fi
port_of() { if [ "$1" = sqlite ]; then echo "$SP"; else echo "$PP"; fi; }
for e in "${ENGINES[@]}"; do
	echo "-- warm-up on $e"
	"$WORK/quanzi" load feeds --url "http://127.0.0.1:$(port_of "$e")" --seed "$WORK/$e.json" --concurrency 64 --duration 10s 2>/dev/null
done
for i in $(seq "$RUNS"); do
	h=$(wrk -t2 -c64 -d10s "http://127.0.0.1:$HP/" | rps)
	echo "== round $i: hello-world $h req/s"
	for e in "${ENGINES[@]}"; do
		for feed in circle home; do
			out=$(SEED="$WORK/$e.json" FEED=$feed wrk -t2 -c64 -d"$DURATION" --latency -s "$ROOT/bench/feeds.lua" "http://127.0.0.1:$(port_of "$e")/")
			r=$(echo "$out" | rps)
			echo "-- $e $feed feed: $r req/s ($(awk -v r="$r" -v h="$h" 'BEGIN { printf "%.3f", r / h }') of hello)," \
				"p50 $(echo "$out" | awk '$1 == "50%" { print $2 }'), p99 $(echo "$out" | awk '$1 == "99%" { print $2 }')," \
				"non-2xx $(echo "$out" | awk '/Non-2xx/ { print $NF }' | grep . || echo 0)"
		done
	done
done

echo "== (b) tips and transfers over HTTP on SQLite, 200 users, 64 clients"
TP=$(free_port 18883)
serve tips "$TP" --data "$WORK/tips"
for i in $(seq "$RUNS"); do
	echo "== round $i"
	"$WORK/quanzi" load tips --url "http://127.0.0.1:$TP" --users 200 --concurrency 64 --duration "$DURATION" 2>/dev/null
	"$WORK/quanzi" load transfers --url "http://127.0.0.1:$TP" --users 200 --concurrency 64 --duration "$DURATION" 2>/dev/null
done
