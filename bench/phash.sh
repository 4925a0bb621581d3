#!/usr/bin/env bash
# Near-duplicate detection by media's perceptual hash (bench/phashcheck):
# ORIGINALS photo-like pictures and 7 transformed copies of each against
# UNRELATED generated pictures plus every PNG and JPEG of Debian's icon
# themes and desktop-base wallpapers (installed when missing). Deterministic:
# one run gives the numbers. Needs root only to install desktop-base.
# Usage: bench/phash.sh   Env: ORIGINALS (200), UNRELATED (10000).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
ORIGINALS=${ORIGINALS:-200}
UNRELATED=${UNRELATED:-10000}
. "$ROOT/bench/lib.sh"
bench_workdir phash
[ -d /usr/share/desktop-base ] || apt_install desktop-base

go build -C "$ROOT" -o "$WORK/phashcheck" ./bench/phashcheck
"$WORK/phashcheck" -originals "$ORIGINALS" -unrelated "$UNRELATED" -real /usr/share/icons,/usr/share/desktop-base
