#!/usr/bin/env bash
# Money throughput on a disk whose flush is slow: BenchmarkTransfers
# (internal/wallet) with SQLite's database and WAL on a slowdisk mount
# (bench/slowdisk: a FUSE passthrough that sleeps DELAY before every real
# fsync/fdatasync), beside the raw write+fdatasync rate of the same mount and
# of the folder under it, measured in the same run. Prints the same summary
# line as bench/ledger-throughput.sh, batched-64 ÷ single-row included.
# Only local; needs root (mount(2) for FUSE).
# With PG=1, also PostgreSQL 15 (fsync on) with its data directory on the
# mount (mounted allow_other for the postgres user); SKIP_SQLITE=1 skips SQLite.
# Usage: sudo bench/slow-flush.sh   Env: RUNS (3), DELAY (1ms), BENCHTIME (5000x), PG, SKIP_SQLITE.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
RUNS=${RUNS:-3}
DELAY=${DELAY:-1ms}
BENCHTIME=${BENCHTIME:-5000x}
. "$ROOT/bench/lib.sh"
bench_workdir slow-flush

BACKING="$WORK/backing" MNT="$WORK/mnt" SDPID=""
mkdir -p "$BACKING" "$MNT"
go build -C "$ROOT/bench/slowdisk" -o "$WORK/slowdisk" .

# stop_slowdisk: SIGTERM makes slowdisk unmount; wait for it, then make
# sure nothing is left mounted before WORK is removed.
stop_slowdisk() {
	stop_postgres
	PGDATA_DIR=""
	if [ -n "$SDPID" ]; then
		kill "$SDPID" 2>/dev/null || true
		wait "$SDPID" 2>/dev/null || true
		SDPID=""
	fi
	if grep -q " $MNT " /proc/mounts; then umount -l "$MNT" || true; fi
}
CLEANUPS+=(stop_slowdisk)

OTHER=()
[ -z "${PG:-}" ] || OTHER=(-allow-other)
"$WORK/slowdisk" -backing "$BACKING" -mount "$MNT" -delay "$DELAY" "${OTHER[@]}" 2>"$WORK/slowdisk.log" &
SDPID=$!
for _ in $(seq 50); do grep -q " $MNT fuse" /proc/mounts && break; sleep 0.1; done
grep -q " $MNT fuse" /proc/mounts || { echo "slowdisk did not mount:"; cat "$WORK/slowdisk.log"; exit 1; }

echo "== raw write+fdatasync (4 KiB), the folder under the mount, then the mount (delay $DELAY)"
RAW_DISK=$("$WORK/slowdisk" -probe "$BACKING" -n 2000 | awk '{print $1}')
RAW_MNT=$("$WORK/slowdisk" -probe "$MNT" -n 500 | awk '{print $1}')
echo "disk $RAW_DISK/s, slowdisk $RAW_MNT/s"

IN_SQLITE="SQLite skipped" IN_PG="PostgreSQL not run (PG=1 runs it)"
if [ -z "${SKIP_SQLITE:-}" ]; then
	echo "== in-process transfers, SQLite on slowdisk ($BENCHTIME per sub-benchmark, count $RUNS)"
	# TMPDIR puts t.TempDir(), so the database and its WAL, on the mount. So
	# must GOTMPDIR: when it is set, t.TempDir() goes under it instead (seen
	# with Go 1.26), so it is set to the mount too.
	TMPDIR="$MNT" GOTMPDIR="$MNT" go test -C "$ROOT" -run '^$' -bench BenchmarkTransfers -benchtime "$BENCHTIME" -count "$RUNS" ./internal/wallet |
		tee "$WORK/sqlite.txt" | grep -E "Benchmark|_test.go"
	IN_SQLITE=$(transfers_summary "$WORK/sqlite.txt" SQLite)
fi
if [ -n "${PG:-}" ]; then
	echo "== in-process transfers, PostgreSQL 15 (fsync on), data directory on slowdisk"
	chmod o+x "$WORK"
	start_durable_postgres "$MNT"
	QUANZI_TEST_POSTGRES="$DSN" go test -C "$ROOT" -run '^$' -bench BenchmarkTransfers -benchtime "$BENCHTIME" -count "$RUNS" ./internal/wallet |
		tee "$WORK/pg.txt" | grep -E "Benchmark|_test.go"
	IN_PG=$(transfers_summary "$WORK/pg.txt" PostgreSQL)
	stop_postgres
	PGDATA_DIR=""
fi
RAW_AFTER=$("$WORK/slowdisk" -probe "$MNT" -n 500 | awk '{print $1}')
stop_slowdisk
# slowdisk counts the fsyncs it delayed: proof that the database was on it.
SYNCS=$(awk '/unmounted/ {print $(NF-2)}' "$WORK/slowdisk.log")

cat <<SUMMARY

==================== slow-flush money throughput ($(date -u +%Y-%m-%dT%H:%MZ), delay $DELAY, $BENCHTIME, medians of $RUNS) ====================
raw fdatasync  disk $RAW_DISK/s; slowdisk $RAW_MNT/s before, $RAW_AFTER/s after the benchmark; ${SYNCS:-?} fsyncs delayed in all
in process     $IN_SQLITE
in process     $IN_PG
=======================================================================================================================
SUMMARY
