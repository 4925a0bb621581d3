#!/usr/bin/env bash
# Notification delivery over HTTP (server-sent events), with quanzi load
# notify: the latency from a notification's creation (its created_at, the
# deciding transaction's time) to its arrival on each open stream, and the
# server's resident memory with many streams open. Each round measures:
#   sqlite  one node on SQLite, in-process bus: caused and streamed on it;
#   nats-1  two nodes on one PostgreSQL (fsync on) with --nats: caused and
#           streamed on node A (the event goes through JetStream and back);
#   nats-2  the same two nodes: caused on A, streamed on B;
#   memory  a fresh SQLite node holding $BIG streams.
# Only 127.0.0.1; every run is time-bounded. Needs root (apt-get, runuser).
# Usage: bench/notify.sh   Env: RUNS (3), STREAMS (1000), RATE (50), DURATION (20s), BIG (10000).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
RUNS=${RUNS:-3}
STREAMS=${STREAMS:-1000}
RATE=${RATE:-50}
DURATION=${DURATION:-20s}
BIG=${BIG:-10000}
. "$ROOT/bench/lib.sh"
bench_workdir notify
ulimit -n 65536 2>/dev/null || true
[ "$(ulimit -n)" -gt $((BIG + 1000)) ] || { echo "the open-file limit ($(ulimit -n)) is too low for $BIG streams" >&2; exit 1; }

echo "== building quanzi"
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
NATS_BIN=$(command -v nats-server || echo /usr/sbin/nats-server)

start_quanzi() { # name port args...: sets LAST_PID
	local name=$1 port=$2
	shift 2
	"$WORK/quanzi" serve --addr "127.0.0.1:$port" --log-level warn "$@" >"$WORK/$name.log" 2>&1 &
	LAST_PID=$!
	PIDS+=($LAST_PID)
	wait_up "http://127.0.0.1:$port"
}

echo "== nats-server -js, PostgreSQL 15 (fsync on), two nodes with --nats, one node on SQLite"
NP=$(free_port 14222)
NM=$(free_port 18222)
"$NATS_BIN" -js -a 127.0.0.1 -p "$NP" -m "$NM" -sd "$WORK/nats" >"$WORK/nats.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$NM/healthz" >/dev/null && break; sleep 0.1; done
start_durable_postgres "$WORK"
AP=$(free_port 18580)
start_quanzi a "$AP" --database "$DSN" --nats "nats://127.0.0.1:$NP"
BP=$(free_port $((AP + 1)))
start_quanzi b "$BP" --database "$DSN" --nats "nats://127.0.0.1:$NP"
SP=$(free_port $((BP + 1)))
start_quanzi sqlite "$SP" --data "$WORK/sqlite"
A="http://127.0.0.1:$AP" B="http://127.0.0.1:$BP" S="http://127.0.0.1:$SP"

# to_ms VALUE: a Go duration (850µs, 1.2ms, 1.5s) in milliseconds.
to_ms() { awk -v d="$1" 'BEGIN { if (d ~ /µs$/) { sub(/µs$/, "", d); print d / 1000 } else if (d ~ /ms$/) { sub(/ms$/, "", d); print d + 0 } else { sub(/s$/, "", d); print d * 1000 } }'; }

load() { # label args...: one run; prints its result lines, records p50 and p99
	local label=$1
	shift
	if ! "$WORK/quanzi" load notify "$@" >"$WORK/out" 2>"$WORK/err"; then
		cat "$WORK/out"
		tr '\r' '\n' <"$WORK/err" | tail -3
		exit 1
	fi
	sed "s/^/  $label: /" "$WORK/out"
	local line
	line=$(grep '^creation to delivery' "$WORK/out")
	to_ms "$(echo "$line" | awk '{print $5}')" >>"$WORK/$label.p50"
	to_ms "$(echo "$line" | awk '{print $9}')" >>"$WORK/$label.p99"
	if [ "$label" = memory ]; then
		grep -o '[0-9.]* MiB before, [0-9.]* MiB with' "$WORK/out" | awk '{print $1; print $4 > "/dev/stderr"}' >>"$WORK/before.rss" 2>>"$WORK/with.rss"
	fi
}

for i in $(seq "$RUNS"); do
	echo "== round $i: $STREAMS streams, $RATE notifications/s for $DURATION"
	load sqlite --url "$S" --streams "$STREAMS" --rate "$RATE" --duration "$DURATION"
	load nats-1 --url "$A" --streams "$STREAMS" --rate "$RATE" --duration "$DURATION"
	load nats-2 --url "$A" --stream-url "$B" --streams "$STREAMS" --rate "$RATE" --duration "$DURATION"
	echo "== round $i: $BIG streams on a fresh SQLite node"
	MP=$(free_port $((SP + 10)))
	start_quanzi "memory$i" "$MP" --data "$WORK/memory$i"
	load memory --url "http://127.0.0.1:$MP" --streams "$BIG" --per-user 20 --rate 10 --duration 10s
	kill "$LAST_PID"
	wait "$LAST_PID" 2>/dev/null || true
done

echo "== medians of $RUNS rounds"
for l in sqlite nats-1 nats-2 memory; do
	printf '%-7s p50 %s ms  p99 %s ms\n' "$l" "$(median <"$WORK/$l.p50")" "$(median <"$WORK/$l.p99")"
done
echo "memory: RSS $(median <"$WORK/before.rss") MiB before the streams, $(median <"$WORK/with.rss") MiB with $BIG open"
