#!/usr/bin/env bash
# Upload-to-stored over HTTP: the 12-megapixel JPEGs that bench/media.sh
# draws, uploaded as multipart POST /api/v1/media by 8 clients (quanzi load
# uploads) to a fresh `quanzi serve` on SQLite with its default local-disk
# storage, against Debian's vipsthumbnail making the display and thumbnail
# outputs of the same files 8 at a time, in the same round. Reports
# uploads/s, the server's peak RSS (VmHWM), vipsthumbnail's images/s and
# the ratio, per round and as medians of $RUNS.
#
#   sudo RUNS=3 bench/media-http.sh     (run bench/media.sh first: it draws the pictures)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/bench/lib.sh"
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-8}
DURATION=${DURATION:-20s}
IN=${IN:-/var/tmp/quanzi-media-bench/24}
[ "$(ls "$IN"/*.jpg 2>/dev/null | wc -l)" -gt 0 ] || { echo "no pictures in $IN: run bench/media.sh first" >&2; exit 1; }
command -v vipsthumbnail >/dev/null || apt_install libvips-tools
bench_workdir quanzi-media-http
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
IMAGES=$(ls "$IN"/*.jpg | wc -l)

cat >"$WORK/vips_one" <<'SH'
#!/bin/sh
set -e
b=$(basename "$1" .jpg)
vipsthumbnail "$1" -s 2048 -o "$2/${b}_display.jpg[Q=82,strip]"
vipsthumbnail "$1" -s 480 -o "$2/${b}_thumb.jpg[Q=82,strip]"
sync "$2/${b}_display.jpg" "$2/${b}_thumb.jpg"
SH
chmod +x "$WORK/vips_one"
now() { date +%s.%N; }

for i in $(seq "$RUNS"); do
	rm -rf "$WORK/data" "$WORK/vips" && mkdir -p "$WORK/vips"
	port=$(free_port 18480)
	"$WORK/quanzi" serve --addr "127.0.0.1:$port" --data "$WORK/data" --log-level warn >"$WORK/serve.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_up "http://127.0.0.1:$port"
	"$WORK/quanzi" load uploads --url "http://127.0.0.1:$port" --dir "$IN" --concurrency "$WORKERS" --users 20 --duration "$DURATION" >"$WORK/load" 2>/dev/null
	ups=$(awk '/^uploads:/ {sub("/s,", "", $6); print $6}' "$WORK/load")
	failed=$(awk '/^uploads:/ {print $7}' "$WORK/load")
	rss=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
	kill "$pid" && wait "$pid" 2>/dev/null || true
	t0=$(now)
	ls "$IN"/*.jpg | xargs -P"$WORKERS" -I{} "$WORK/vips_one" {} "$WORK/vips"
	t1=$(now)
	vips=$(awk -v n="$IMAGES" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", n / (b - a)}')
	ratio=$(awk -v a="$ups" -v b="$vips" 'BEGIN {printf "%.3f", a / b}')
	echo "round $i: quanzi over HTTP $ups uploads/s ($failed failed), server peak RSS $rss MiB | vipsthumbnail $vips images/s | ratio $ratio"
	echo "$ups $rss $vips $ratio" >>"$WORK/rounds"
done
col() { awk -v c="$1" '{print $c}' "$WORK/rounds" | median; }
echo "medians of $RUNS: quanzi over HTTP $(col 1) uploads/s, server peak RSS $(col 2) MiB | vipsthumbnail $(col 3) images/s | quanzi ÷ vips $(col 4)"
