#!/usr/bin/env bash
# Upload-to-stored throughput of the image pipeline for 12-megapixel JPEGs,
# against libvips. IMAGES photo-like 4000×3000 JPEGs (quality 90, with EXIF
# and GPS written by exiftool) are made once by `mediabench gen` and kept
# in CACHE. Each round: `mediabench run` (a fresh process) reads them, runs
# media.Processor.Process with 8 workers and writes every variant to a
# folder, fsync'd: images/s and the process's peak RSS (VmHWM). Then
# Debian's vipsthumbnail makes the same two outputs (display 2048, thumb
# 480, Q=82, metadata stripped) from the same files, 8 files at a time
# (xargs -P8), each output fsync'd: images/s and the largest RSS of one
# vipsthumbnail process (GNU time). Prints each round and the medians;
# ratios are of the same round. Each round also runs mediabench with a
# budget that lets all 8 decode at once, to show what the default budget
# saves in memory. Needs root (apt-get).
# Usage: bench/media.sh   Env: RUNS (3), IMAGES (24), WORKERS (8),
# CACHE (/var/tmp/quanzi-media-bench).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
RUNS=${RUNS:-3}
IMAGES=${IMAGES:-24}
WORKERS=${WORKERS:-8}
CACHE=${CACHE:-/var/tmp/quanzi-media-bench}
. "$ROOT/bench/lib.sh"
bench_workdir media
command -v vipsthumbnail >/dev/null || apt_install libvips-tools
command -v exiftool >/dev/null || apt_install libimage-exiftool-perl
[ -x /usr/bin/time ] || apt_install time

go build -C "$ROOT" -o "$WORK/mediabench" ./bench/mediabench
IN="$CACHE/$IMAGES"
if [ "$(ls "$IN"/*.jpg 2>/dev/null | wc -l)" -ne "$IMAGES" ]; then
	echo "== making $IMAGES pictures of 4000×3000 in $IN (once; a few minutes)"
	rm -rf "$IN"
	"$WORK/mediabench" gen -dir "$IN" -n "$IMAGES"
	exiftool -q -overwrite_original -Make=Quanzi -Model=Bench -DateTimeOriginal='2026:11:22 12:00:00' \
		-GPSLatitude=31.2304 -GPSLatitudeRef=N -GPSLongitude=121.4737 -GPSLongitudeRef=E "$IN"
fi
echo "$IMAGES files, $(du -sm "$IN" | cut -f1) MB; $(vips --version)"

# vips_one FILE OUT: the two outputs of one upload, made and fsync'd.
cat >"$WORK/vips_one" <<'SH'
#!/bin/sh
set -e
b=$(basename "$1" .jpg)
/usr/bin/time -a -o "$2/rss" -f %M vipsthumbnail "$1" -s 2048 -o "$2/${b}_display.jpg[Q=82,strip]"
/usr/bin/time -a -o "$2/rss" -f %M vipsthumbnail "$1" -s 480 -o "$2/${b}_thumb.jpg[Q=82,strip]"
sync "$2/${b}_display.jpg" "$2/${b}_thumb.jpg"
SH
chmod +x "$WORK/vips_one"

now() { date +%s.%N; }
for i in $(seq "$RUNS"); do
	rm -rf "$WORK/go" "$WORK/vips" && mkdir -p "$WORK/go" "$WORK/vips"
	read -r _ _ _ _ _ goips _ gorss _ _ < <("$WORK/mediabench" run -dir "$IN" -out "$WORK/go" -workers "$WORKERS")
	rm -rf "$WORK/go"
	read -r _ _ _ _ _ allips _ allrss _ _ < <("$WORK/mediabench" run -dir "$IN" -out "$WORK/go" -workers "$WORKERS" -budget $((WORKERS * 12000000)))
	t0=$(now)
	ls "$IN"/*.jpg | xargs -P"$WORKERS" -I{} "$WORK/vips_one" {} "$WORK/vips"
	t1=$(now)
	vips=$(awk -v n="$IMAGES" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", n / (b - a)}')
	vrss=$(sort -n "$WORK/vips/rss" | tail -1 | awk '{printf "%.1f", $1 / 1024}')
	ratio=$(awk -v a="$goips" -v b="$vips" 'BEGIN {printf "%.3f", a / b}')
	echo "round $i: quanzi $goips images/s, peak RSS $gorss MiB (all $WORKERS at once: $allips images/s, $allrss MiB) | vipsthumbnail $vips images/s, largest process $vrss MiB | ratio $ratio"
	echo "$goips $gorss $vips $vrss $ratio $allips $allrss" >>"$WORK/rounds"
done
col() { awk -v c="$1" '{print $c}' "$WORK/rounds" | median; }
echo "medians of $RUNS: quanzi $(col 1) images/s, peak RSS $(col 2) MiB (all at once: $(col 6) images/s, $(col 7) MiB) | vipsthumbnail $(col 3) images/s, largest process $(col 4) MiB | quanzi ÷ vips $(col 5)"
