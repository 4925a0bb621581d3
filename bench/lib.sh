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

# bench_workdir NAME: a fresh work folder in WORK, and a trap that stops the
# processes listed in PIDS and any PostgreSQL cluster, and removes it.
bench_workdir() {
	WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
	PIDS=() PGDATA_DIR=""
	trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; stop_postgres; rm -rf "$WORK"' EXIT
}
