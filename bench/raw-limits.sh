#!/usr/bin/env bash
# Raw limits of the machine, for comparison with quanzi's own numbers:
#   (a) 4 KiB write + fdatasync loop on the benchmark disk,
#   (b) PostgreSQL 15 pgbench TPC-B-like TPS on a throw-away cluster with
#       default durability (fsync=on, synchronous_commit=on),
#   (c) wrk against a hello-world JSON net/http server.
# Everything listens on 127.0.0.1 only and every run is time-bounded.
# Needs root (apt-get, runuser). Usage: sudo bench/raw-limits.sh
# Env: BENCH_DIR (default /tmp; must be a real disk), RUNS (default 3),
#      SKIP_PG=1 / SKIP_HTTP=1 to skip a part.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export PATH="$PATH:/usr/local/go/bin"
BENCH_DIR=${BENCH_DIR:-/tmp}
RUNS=${RUNS:-3}
PGBIN=/usr/lib/postgresql/15/bin

WORK="$(mktemp -d "$BENCH_DIR/raw-limits.XXXXXX")"
PGDATA_DIR="" HELLO_PID=""
cleanup() {
	if [ -n "$HELLO_PID" ]; then kill "$HELLO_PID" 2>/dev/null || true; fi
	if [ -n "$PGDATA_DIR" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# free_port N: first TCP port >= N with no listener on 127.0.0.1.
free_port() {
	local p=$1
	while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

apt_install() {
	[ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

fstype=$(df -T "$BENCH_DIR" | awk 'NR==2 {print $2}')
[ "$fstype" != tmpfs ] || { echo "$BENCH_DIR is tmpfs; set BENCH_DIR to a real disk" >&2; exit 1; }

echo "== machine: $(nproc) cpus, kernel $(uname -r), $(go version | cut -d' ' -f3), disk $(df "$BENCH_DIR" | awk 'NR==2 {print $1}') ($fstype)"

# (a) fdatasync loop
echo "== (a) 4 KiB write + fdatasync loop in $WORK"
go build -C "$HERE/sqlitedrivers" -o "$WORK/fsyncloop" ./cmd/fsyncloop
"$WORK/fsyncloop" -dir "$WORK" -runs "$RUNS" -d 5s | tee "$WORK/fsync.txt"
FSYNC=$(awk '/^median/ {print $2}' "$WORK/fsync.txt")

# (b) PostgreSQL pgbench
PG_TPS="skipped" PG_ALL=""
if [ -z "${SKIP_PG:-}" ]; then
	echo "== (b) PostgreSQL 15 pgbench (fsync=on, synchronous_commit=on)"
	[ -x "$PGBIN/pgbench" ] || apt_install postgresql-15 # contrib is part of it on Debian 12
	PGDATA_DIR="$WORK/pg/data"
	mkdir -p "$WORK/pg" && chown postgres: "$WORK/pg"
	chmod o+x "$WORK" # let postgres reach its directory
	PGPORT=$(free_port 55432)
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres >/dev/null
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORK/pg/log" -w start \
		-o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pg -c fsync=on -c synchronous_commit=on" >/dev/null
	PGB=(runuser -u postgres -- "$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres)
	echo "fsync=$(runuser -u postgres -- "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -Atc 'show fsync') on port $PGPORT"
	"${PGB[@]}" -i -s 10 -q postgres 2>&1 | tail -1
	for i in $(seq "$RUNS"); do
		tps=$("${PGB[@]}" -c 8 -j 2 -T 20 postgres 2>/dev/null | awk '/^tps/ {printf "%.0f", $3; exit}')
		echo "run $i: $tps tps"
		PG_ALL="$PG_ALL $tps"
	done
	PG_TPS=$(tr ' ' '\n' <<<"$PG_ALL" | grep . | median)
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null
	rm -rf "$WORK/pg"
	PGDATA_DIR=""
fi

# (c) hello-world HTTP with wrk
HTTP_RPS="skipped" HTTP_ALL=""
if [ -z "${SKIP_HTTP:-}" ]; then
	echo "== (c) wrk -t2 -c64 -d10s against bench/hello"
	command -v wrk >/dev/null || apt_install wrk
	go build -C "$HERE/hello" -o "$WORK/hello" .
	PORT=$(free_port 18080)
	"$WORK/hello" -port "$PORT" 2>/dev/null &
	HELLO_PID=$!
	for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
	curl -si "http://127.0.0.1:$PORT/" | grep -i '^content-type'
	for i in $(seq "$RUNS"); do
		rps=$(wrk -t2 -c64 -d10s "http://127.0.0.1:$PORT/" | awk '/^Requests\/sec/ {print $2}')
		echo "run $i: $rps req/s"
		HTTP_ALL="$HTTP_ALL $rps"
	done
	HTTP_RPS=$(tr ' ' '\n' <<<"$HTTP_ALL" | grep . | median)
	kill "$HELLO_PID" && wait "$HELLO_PID" 2>/dev/null || true
	HELLO_PID=""
fi

cat <<SUMMARY

==================== raw limits summary ($(date -u +%Y-%m-%dT%H:%MZ)) ====================
fdatasync (4 KiB write + fdatasync), median of $RUNS x 5s : $FSYNC syncs/s
pgbench -s 10 -c 8 -j 2 -T 20, median of $RUNS            : $PG_TPS tps  (runs:${PG_ALL:- -})
wrk -t2 -c64 -d10s hello JSON, median of $RUNS            : $HTTP_RPS req/s  (runs:${HTTP_ALL:- -})
==========================================================================================
SUMMARY
