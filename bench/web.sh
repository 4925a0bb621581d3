#!/usr/bin/env bash
# The web app's pages under load, against hello-world in the same round:
# `quanzi serve --demo` on SQLite in a temp folder; $RUNS rounds of, for
# each number of connections in $CONNS, wrk -t2 -cN -d$DURATION --latency on
# bench/hello (the ceiling), then on each page, as a browser asks for it
# (Accept-Encoding: gzip; a signed-in page with the session cookie). 64
# connections measure throughput (wrk keeps every connection busy, so its
# latency is mostly the queue: about 64 ÷ req/s); 4 connections measure
# how long a page takes when the server is not saturated. Prints req/s,
# p50 and p99 per round, the medians, and each page's ratio to hello-world
# at the same concurrency; then each page's weight:
# the gzipped HTML and the stylesheets, scripts and pictures it loads from
# /static (their own gzip), without pictures of posts.
# Only 127.0.0.1; every run time-bounded. Needs root only to apt-get wrk.
#
#   bench/web.sh                    the welcome page and the signed-in home
#   bench/web.sh @/c/campus-diary   pages: PATH is read signed out, @PATH as
#                                   the demo user $AS, @HANDLE:PATH as that one
# Env: RUNS (3), DURATION (10s), CONNS ("64 4"), AS (xiaomei).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64 4}
AS=${AS:-xiaomei}
PAGES=("$@")
[ ${#PAGES[@]} -gt 0 ] || PAGES=(/ @/)
. "$ROOT/bench/lib.sh"
bench_workdir web
command -v wrk >/dev/null || apt_install wrk

echo "== building quanzi and bench/hello"
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
go build -C "$ROOT/bench/hello" -o "$WORK/hello" .
HP=$(free_port 18780)
"$WORK/hello" -port "$HP" 2>/dev/null &
PIDS+=($!)
QP=$(free_port $((HP + 1)))
BASE="http://127.0.0.1:$QP"
"$WORK/quanzi" serve --demo --data "$WORK/data" --addr "127.0.0.1:$QP" --log-level warn >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_up "$BASE"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$HP/" >/dev/null && break; sleep 0.1; done

# cookie HANDLE: a session of a demo user from the API, which the web app
# takes as its session cookie (qz on loopback).
declare -A TOKENS
cookie() {
	if [ -z "${TOKENS[$1]:-}" ]; then
		TOKENS[$1]=$(curl -sf "$BASE/api/v1/sessions" -H 'Content-Type: application/json' \
			-d "{\"handle\":\"$1\",\"password\":\"quanzi-demo\"}" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
		[ -n "${TOKENS[$1]}" ] || { echo "could not sign in as $1" >&2; exit 1; }
	fi
	echo "qz=${TOKENS[$1]}"
}

# Each page: its path, label and request headers.
declare -a PATHS LABELS HDRS
for spec in "${PAGES[@]}"; do
	path=$spec who=""
	if [[ $spec == @* ]]; then
		path=${spec#@} who=$AS
		if [[ $path == *:* ]]; then who=${path%%:*} path=${path#*:}; fi
	fi
	PATHS+=("$path")
	LABELS+=("${who:+@$who }$path")
	HDRS+=("${who:+$(cookie "$who")}")
done

# check PATH COOKIE: the page answers 200 with HTML, signed in when asked.
check() {
	local out
	out=$(curl -s -o "$WORK/page.html" -w '%{http_code} %{content_type}' ${2:+-H "Cookie: $2"} "$BASE$1")
	[[ $out == "200 text/html"* ]] || { echo "$BASE$1 answered $out" >&2; exit 1; }
	if [ -n "$2" ] && ! grep -q 'data-signed-in' "$WORK/page.html"; then
		echo "$BASE$1 is not signed in with the cookie" >&2
		exit 1
	fi
}
for i in "${!PATHS[@]}"; do check "${PATHS[$i]}" "${HDRS[$i]}"; done

# ms VALUE: wrk's latency (850.00us, 1.20ms, 2.01s) in milliseconds.
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
# load CONNS URL [COOKIE]: one wrk run; prints "req/s p50 p99" and checks
# errors.
load() {
	local out
	out=$(wrk -t2 -c"$1" -d"$DURATION" --latency -H 'Accept-Encoding: gzip' ${3:+-H "Cookie: $3"} "$2")
	if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
		echo "$out" >&2
		echo "errors under load on $2" >&2
		exit 1
	fi
	printf '%s %s %s\n' "$(rps <<<"$out")" "$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")" \
		"$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
}

echo "== $RUNS rounds of wrk -t2 -c{$CONNS} -d$DURATION --latency (Accept-Encoding: gzip)"
: >"$WORK/results"
for r in $(seq "$RUNS"); do
	for c in $CONNS; do
		read -r h hp50 hp99 < <(load "$c" "http://127.0.0.1:$HP/")
		printf 'round %d -c%-3s %-28s %7s req/s  p50 %6s ms  p99 %7s ms\n' "$r" "$c" "hello-world" "$h" "$hp50" "$hp99"
		echo "$c hello $h $hp50 $hp99 1" >>"$WORK/results"
		for i in "${!PATHS[@]}"; do
			read -r q p50 p99 < <(load "$c" "$BASE${PATHS[$i]}" "${HDRS[$i]}")
			ratio=$(awk -v a="$q" -v b="$h" 'BEGIN {printf "%.3f", a / b}')
			printf 'round %d -c%-3s %-28s %7s req/s  p50 %6s ms  p99 %7s ms  (%s of hello)\n' "$r" "$c" "${LABELS[$i]}" "$q" "$p50" "$p99" "$ratio"
			echo "$c $i $q $p50 $p99 $ratio" >>"$WORK/results"
		done
	done
done

col() { awk -v n="$1" -v k="$2" -v c="$3" '$1 == n && $2 == k {print $c}' "$WORK/results" | median; }
echo
echo "==================== web pages ($(date -u +%Y-%m-%dT%H:%MZ), medians of $RUNS rounds) ===================="
printf '%-5s %-28s %9s %9s %9s %10s\n' conns page req/s "p50 ms" "p99 ms" "÷ hello"
for c in $CONNS; do
	printf '%-5s %-28s %9s %9s %9s %10s\n' "$c" hello-world "$(col "$c" hello 3)" "$(col "$c" hello 4)" "$(col "$c" hello 5)" 1
	for i in "${!PATHS[@]}"; do
		printf '%-5s %-28s %9s %9s %9s %10s\n' "$c" "${LABELS[$i]}" "$(col "$c" "$i" 3)" "$(col "$c" "$i" 4)" "$(col "$c" "$i" 5)" "$(col "$c" "$i" 6)"
	done
done
echo
echo "page weight, as transferred with gzip (the HTML, then what it loads from /static):"
for i in "${!PATHS[@]}"; do
	c=${HDRS[$i]}
	html=$(curl -s --compressed -o "$WORK/page.html" -w '%{size_download}' ${c:+-H "Cookie: $c"} "$BASE${PATHS[$i]}")
	raw=$(wc -c <"$WORK/page.html")
	total=$html parts="HTML $html B ($raw B unzipped)"
	for a in $(grep -o '\(href\|src\)="/static/[^"]*"' "$WORK/page.html" | sed 's/^[a-z]*="//; s/"$//' | sort -u); do
		n=$(curl -s --compressed -o /dev/null -w '%{size_download}' "$BASE$a")
		total=$((total + n))
		parts="$parts + ${a##*/} $n B"
	done
	printf '%-28s %6.1f KiB = %s\n' "${LABELS[$i]}" "$(awk -v t="$total" 'BEGIN {print t / 1024}')" "$parts"
done
