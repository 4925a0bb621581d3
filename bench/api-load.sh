#!/usr/bin/env bash
# quanzi's API under load, against the raw HTTP limit measured in the same
# rounds:
#   (a) wrk -t2 -c64 -d10s on bench/hello (the ceiling), on GET /api/v1/me
#       with a bearer token on SQLite, and on PostgreSQL (fsync on); each round
#       runs all three back to back, and the ratio is taken per round;
#   (b) sign-in (argon2id) cost per attempt: BenchmarkPasswordVerify;
#   (c) peak memory (VmHWM) of the server under 50 concurrent sign-ins, with
#       hashing bounded (the default, one per CPU) and, for contrast, with 50
#       hashes allowed at once.
# Only 127.0.0.1; every run is time-bounded. Needs root (apt-get, runuser).
# Usage: sudo bench/api-load.sh    Env: RUNS (default 3), SKIP_PG=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
RUNS=${RUNS:-3}
. "$ROOT/bench/lib.sh"
bench_workdir api-load

token() { # base handle password
	curl -sf "$1/api/v1/sessions" -H 'Content-Type: application/json' -d "{\"handle\":\"$2\",\"password\":\"$3\"}" |
		sed 's/.*"token":"\([^"]*\)".*/\1/'
}

command -v wrk >/dev/null || apt_install wrk
echo "== building quanzi and bench/hello"
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
go build -C "$ROOT/bench/hello" -o "$WORK/hello" .

HELLO_PORT=$(free_port 18180)
"$WORK/hello" -port "$HELLO_PORT" 2>/dev/null &
PIDS+=($!)
HELLO="http://127.0.0.1:$HELLO_PORT"

start_quanzi() { # name port extra-args...
	local name=$1 port=$2
	shift 2
	"$WORK/quanzi" serve --addr "127.0.0.1:$port" "$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	LAST_PID=$!
	wait_up "http://127.0.0.1:$port"
}

echo "== quanzi on SQLite"
"$WORK/quanzi" admin create-user --data "$WORK/sqlite" --handle bench --password benchpass1 >/dev/null
SQ_PORT=$(free_port 18280)
start_quanzi sqlite "$SQ_PORT" --data "$WORK/sqlite"
SQ="http://127.0.0.1:$SQ_PORT"
SQ_TOKEN=$(token "$SQ" bench benchpass1)

PG="" PG_TOKEN=""
if [ -z "${SKIP_PG:-}" ]; then
	echo "== quanzi on PostgreSQL 15 (fsync=on, synchronous_commit=on)"
	start_durable_postgres "$WORK"
	"$WORK/quanzi" admin create-user --database "$DSN" --handle bench --password benchpass1 >/dev/null
	PG_PORT=$(free_port 18380)
	start_quanzi pg "$PG_PORT" --database "$DSN"
	PG="http://127.0.0.1:$PG_PORT"
	PG_TOKEN=$(token "$PG" bench benchpass1)
fi

echo "== (a) wrk -t2 -c64 -d10s: hello, GET /api/v1/me on SQLite${PG:+ and on PostgreSQL}, $RUNS rounds"
H_ALL="" S_ALL="" P_ALL="" SR_ALL="" PR_ALL=""
for i in $(seq "$RUNS"); do
	h=$(wrk -t2 -c64 -d10s "$HELLO/" | rps)
	s=$(wrk -t2 -c64 -d10s -H "Authorization: Bearer $SQ_TOKEN" "$SQ/api/v1/me" | rps)
	sr=$(awk -v a="$s" -v b="$h" 'BEGIN {printf "%.2f", a/b}')
	line="round $i: hello $h req/s, /me SQLite $s req/s (ratio $sr)"
	H_ALL="$H_ALL $h" S_ALL="$S_ALL $s" SR_ALL="$SR_ALL $sr"
	if [ -n "$PG" ]; then
		p=$(wrk -t2 -c64 -d10s -H "Authorization: Bearer $PG_TOKEN" "$PG/api/v1/me" | rps)
		pr=$(awk -v a="$p" -v b="$h" 'BEGIN {printf "%.2f", a/b}')
		line="$line, /me PostgreSQL $p req/s (ratio $pr)"
		P_ALL="$P_ALL $p" PR_ALL="$PR_ALL $pr"
	fi
	echo "$line"
done
# Every answer must have been a 200: a fast stream of 401s would prove nothing.
curl -sf -o /dev/null -H "Authorization: Bearer $SQ_TOKEN" "$SQ/api/v1/me"
non2xx=$(wrk -t1 -c4 -d2s -H "Authorization: Bearer $SQ_TOKEN" "$SQ/api/v1/me" | awk '/Non-2xx/ {print $NF}')
[ -z "$non2xx" ] || { echo "GET /api/v1/me answered non-2xx under load: $non2xx" >&2; exit 1; }

echo "== (b) argon2id cost per sign-in (m=19 MiB, t=2, p=1)"
go test -C "$ROOT" -run '^$' -bench 'BenchmarkPasswordVerify$' -count 5 ./internal/account/ | tee "$WORK/argon.txt" | grep Benchmark
ARGON_MS=$(awk '/^BenchmarkPasswordVerify/ {print $3/1e6}' "$WORK/argon.txt" | median)

echo "== (c) 50 concurrent sign-ins for 10 s: peak memory of the server"
cat >"$WORK/login.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"handle":"bench","password":"benchpass1"}'
wrk.headers["Content-Type"] = "application/json"
LUA
flood() { # hash-concurrency label
	local port
	port=$(free_port 18480)
	start_quanzi "flood$1" "$port" --data "$WORK/sqlite" --hash-concurrency "$1"
	local pid=$LAST_PID base="http://127.0.0.1:$port"
	token "$base" bench benchpass1 >/dev/null # one sign-in so the baseline includes a hash
	local before after out
	before=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
	out=$(wrk -t2 -c50 -d10s --timeout 15s -s "$WORK/login.lua" "$base/api/v1/sessions")
	after=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
	printf '%-28s peak RSS %4d MiB (idle %3d MiB), %s sign-ins/s, p50 %s, non-2xx %s\n' "$2" $((after / 1024)) $((before / 1024)) \
		"$(rps <<<"$out")" "$(awk '/^ +Latency/ {print $2}' <<<"$out")" "$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)"
	kill "$pid" && wait "$pid" 2>/dev/null || true
}
FLOOD_BOUNDED=$(flood 0 "bounded (one per CPU):")
echo "$FLOOD_BOUNDED"
FLOOD_OPEN=$(flood 50 "unbounded (50 at once):")
echo "$FLOOD_OPEN"

H=$(tr ' ' '\n' <<<"$H_ALL" | grep . | median)
S=$(tr ' ' '\n' <<<"$S_ALL" | grep . | median)
SR=$(tr ' ' '\n' <<<"$SR_ALL" | grep . | median)
P=$(tr ' ' '\n' <<<"$P_ALL" | grep . | median || true)
PR=$(tr ' ' '\n' <<<"$PR_ALL" | grep . | median || true)
cat <<SUMMARY

==================== quanzi API load summary ($(date -u +%Y-%m-%dT%H:%MZ), median of $RUNS rounds) ====================
hello-world JSON (ceiling)       : $H req/s        (runs:$H_ALL)
GET /api/v1/me, SQLite           : $S req/s        ratio $SR  (runs:$S_ALL; ratios:$SR_ALL)
GET /api/v1/me, PostgreSQL       : ${P:-skipped} req/s        ratio ${PR:-–}  (runs:${P_ALL:- -}; ratios:${PR_ALL:- -})
argon2id verify per sign-in      : $ARGON_MS ms (median of 5)
50 concurrent sign-ins, 10 s     : $FLOOD_BOUNDED
                                   $FLOOD_OPEN
=================================================================================================================
SUMMARY
