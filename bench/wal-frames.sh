#!/bin/bash
# Which b-trees a commit writes: run `quanzi load tips` or `transfers`
# against a fresh SQLite server, copy its WAL near the end, and count the
# WAL's frames (pages written) per commit by the table or index each page
# belongs to (SQLite's dbstat). Only the frames since the WAL last started
# over are counted, so the WAL is copied ten times, half a second apart,
# and the copy holding the most commits is counted. Needs root (apt-get
# for sqlite3).
#
#   sudo bench/wal-frames.sh            # tips, then transfers
#   sudo KINDS=tips bench/wal-frames.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/bench/lib.sh"
KINDS="${KINDS:-tips transfers}"
DURATION="${DURATION:-15}"

command -v sqlite3 >/dev/null || apt_install sqlite3
bench_workdir wal-frames
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi

for kind in $KINDS; do
	port=$(free_port 18891)
	mkdir -p "$WORK/$kind"
	"$WORK/quanzi" serve --data "$WORK/$kind" --addr "127.0.0.1:$port" --log-level warn >"$WORK/$kind.log" 2>&1 &
	spid=$!
	PIDS+=("$spid")
	wait_up "http://127.0.0.1:$port"
	"$WORK/quanzi" load "$kind" --url "http://127.0.0.1:$port" --duration "${DURATION}s" >"$WORK/$kind.out" 2>"$WORK/$kind.err" &
	lpid=$!
	# Past registering, funding and posting: the tips or transfers themselves.
	until grep -qE 'tipping|sending' "$WORK/$kind.err"; do sleep 0.2; done
	sleep 3
	m0=$(curl -s "http://127.0.0.1:$port/metrics")
	for i in $(seq 10); do
		cp "$WORK/$kind/quanzi.db-wal" "$WORK/$kind.wal.$i"
		sleep 0.5
	done
	m1=$(curl -s "http://127.0.0.1:$port/metrics")
	wait "$lpid"
	kill "$spid"
	wait "$spid" 2>/dev/null || true
	echo "== $kind: $(grep -E '/s' "$WORK/$kind.out")"
	one=${kind%s}
	printf '%s\n%s\n' "$m0" "$m1" | awk -v b="quanzi_${one}_batches_total" -v c="quanzi_${kind}_settled_total" -v k="$kind" \
		'$1 == b {nb[++i] = $2} $1 == c {nc[++j] = $2} END {printf "%.1f %s a batch while the WAL was copied\n", (nc[2] - nc[1]) / (nb[2] - nb[1]), k}'
	sqlite3 "$WORK/$kind/quanzi.db" 'SELECT pageno, name FROM dbstat' >"$WORK/$kind.pages"
	python3 - "$WORK/$kind.pages" "$WORK/$kind".wal.* <<'PY'
import collections, struct, sys
owner = dict((int(p), n) for p, n in (l.split('|') for l in open(sys.argv[1]).read().splitlines()))

def count(path):
    wal = open(path, 'rb').read()
    _, _, size, _, salt1, salt2, _, _ = struct.unpack('>8I', wal[:32])
    frames, commits, off = collections.Counter(), 0, 32
    while off + 24 + size <= len(wal):
        page, commit, s1, s2 = struct.unpack('>4I', wal[off:off + 16])
        if (s1, s2) != (salt1, salt2):
            break  # frames left from before the WAL started over
        frames[owner.get(page, '(freed since)')] += 1
        commits += commit != 0
        off += 24 + size
    return commits, frames

commits, frames = max((count(p) for p in sys.argv[2:]), key=lambda c: c[0])
total = sum(frames.values())
print(f"{total} frames in {commits} commits: {total / max(commits, 1):.1f} a commit")
for name, n in frames.most_common(15):
    print(f"  {name:40} {n / max(commits, 1):6.1f}")
PY
done
