# Shared by the bench scripts: sourced, not run. Needs root (apt-get,
# runuser). Every server listens on 127.0.0.1 only.
PGBIN=/usr/lib/postgresql/15/bin

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
free_port() { local p=$1; while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done; echo "$p"; }
apt_install() {
	[ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
wait_up() { for _ in $(seq 100); do curl -sf "$1/healthz" >/dev/null && return; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
rps() { awk '/^Requests\/sec/ {printf "%.0f", $2}'; }

# start_durable_postgres DIR: a throw-away PostgreSQL 15 cluster in DIR with
# default durability (fsync on); sets PGDATA_DIR and DSN.
start_durable_postgres() {
	[ -x "$PGBIN/postgres" ] || apt_install postgresql-15
	PGDATA_DIR="$1/pg/data"
	mkdir -p "$1/pg" && chown postgres: "$1/pg" && chmod o+x "$1"
	local port
	port=$(free_port 55532)
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres >/dev/null
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$1/pg/log" -w start \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $1/pg -c fsync=on -c synchronous_commit=on -c max_connections=200" >/dev/null
	DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

stop_postgres() {
	if [ -n "${PGDATA_DIR:-}" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null || true
	fi
}

# bench_workdir NAME: a fresh work folder in WORK, and a trap that runs the
# commands listed in CLEANUPS (first), stops the processes listed in PIDS and
# any PostgreSQL cluster, and removes it.
bench_workdir() {
	WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
	PIDS=() PGDATA_DIR="" CLEANUPS=()
	trap 'for c in "${CLEANUPS[@]}"; do $c || true; done; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; stop_postgres; rm -rf "$WORK"' EXIT
}

# opsps FILE NAME: the median ops/s of one sub-benchmark of BenchmarkTransfers.
opsps() { awk -v n="$2" '$1 ~ n {for (i = 2; i <= NF; i++) if ($(i+1) == "ops/s") print $i}' "$1" | median; }
# transfers_summary FILE ENGINE: one line of medians from BenchmarkTransfers
# output, with batched-64 ÷ single-row.
transfers_summary() {
	local single b1 b16 b64 n64 g64 t64 per
	single=$(opsps "$1" 'commit=single-row')
	b1=$(opsps "$1" 'batched/callers=1-')
	b16=$(opsps "$1" 'batched/callers=16-')
	b64=$(opsps "$1" 'batched/callers=64-')
	n64=$(opsps "$1" 'batched-without-keys/callers=64-')
	g64=$(opsps "$1" 'grouped/callers=64-')
	t64=$(opsps "$1" 'tx-each/callers=64-')
	per=$(awk '$1 ~ "batched/callers=64-" {for (i = 2; i <= NF; i++) if ($(i+1) == "transfers/batch") print $i}' "$1" | median)
	printf '%-10s single-row commits %6.0f/s | batched, with keys: 1 caller %6.0f/s, 16 %6.0f/s, 64 %6.0f/s (%.2f× single-row; %.0f per batch) | 64 callers without keys: batched %6.0f/s, a transaction each group committed %6.0f/s, committed alone %6.0f/s\n' \
		"$2" "$single" "$b1" "$b16" "$b64" "$(awk -v a="$b64" -v b="$single" 'BEGIN {print a/b}')" "$per" "$n64" "$g64" "$t64"
}
