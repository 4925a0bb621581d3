#!/usr/bin/env bash
# Lighthouse scores of the web app's pages: accessibility, best practices,
# performance and SEO, as a phone (Lighthouse's default: a mid-range phone,
# simulated slow 4G) and as a desktop, against `quanzi serve --demo` on
# SQLite in a temp folder, in Debian's Chromium. Fails when a page scores
# under $MIN (95) in accessibility or best practices, and lists what
# Lighthouse flagged. (Lighthouse refuses to audit a page answered with an
# error status, so the 404 page is left to the browser tests.)
#
# Lighthouse comes from npm (pinned, into ~/.cache/quanzi-lighthouse; it
# needs Node 18.16+, and 12.x is the last line that runs on Debian 12's
# Node 20). Chromium comes from Debian. Everything listens on 127.0.0.1.
# Needs root only to install chromium when it is missing.
#
#   bench/lighthouse.sh                      the default pages
#   bench/lighthouse.sh / @/ @rita:/admin    pages: a path is read signed out;
#                                            @PATH as the demo user $AS;
#                                            @HANDLE:PATH as that demo user
# Env: MIN (95), AS (xiaomei), FORMS ("mobile desktop"), KEEP=DIR keeps
#      the JSON and HTML reports in DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
LIGHTHOUSE_VERSION=12.8.2
MIN=${MIN:-95}
AS=${AS:-xiaomei}
FORMS=${FORMS:-mobile desktop}
PAGES=("$@")
[ ${#PAGES[@]} -gt 0 ] || PAGES=(/ /login /signup @/)
. "$ROOT/bench/lib.sh"
bench_workdir lighthouse

LH_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/quanzi-lighthouse"
LH="$LH_DIR/node_modules/.bin/lighthouse"
if [ ! -x "$LH" ] || [ "$("$LH" --version)" != "$LIGHTHOUSE_VERSION" ]; then
	echo "== installing lighthouse@$LIGHTHOUSE_VERSION into $LH_DIR"
	mkdir -p "$LH_DIR"
	npm install --prefix "$LH_DIR" --no-audit --no-fund --loglevel=error "lighthouse@$LIGHTHOUSE_VERSION" >/dev/null
fi
[ -x /usr/bin/chromium ] || apt_install chromium
export CHROME_PATH=/usr/bin/chromium
echo "== lighthouse $("$LH" --version), $(/usr/bin/chromium --version 2>/dev/null | tail -1), node $(node --version)"

echo "== quanzi serve --demo on SQLite"
go build -C "$ROOT" -o "$WORK/quanzi" ./cmd/quanzi
PORT=$(free_port 18980)
BASE="http://127.0.0.1:$PORT"
"$WORK/quanzi" serve --demo --data "$WORK/data" --addr "127.0.0.1:$PORT" --log-level warn >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_up "$BASE"

# token HANDLE: a session of a demo user, from the API; the web app takes
# it as its session cookie (qz on loopback).
declare -A TOKENS
token() {
	if [ -z "${TOKENS[$1]:-}" ]; then
		TOKENS[$1]=$(curl -sf "$BASE/api/v1/sessions" -H 'Content-Type: application/json' \
			-d "{\"handle\":\"$1\",\"password\":\"quanzi-demo\"}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')
	fi
	echo "${TOKENS[$1]}"
}

FLAGS="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
REPORTS="${KEEP:-$WORK/reports}"
mkdir -p "$REPORTS"
FAILED=0
printf '\n%-8s %-24s %6s %6s %6s %6s\n' form page a11y best perf seo
for form in $FORMS; do
	for spec in "${PAGES[@]}"; do
		path=$spec who="" extra=()
		if [[ $spec == @* ]]; then
			path=${spec#@} who=$AS
			if [[ $path == *:* ]]; then who=${path%%:*} path=${path#*:}; fi
			extra=(--extra-headers "{\"Cookie\":\"qz=$(token "$who")\"}")
		fi
		name="$form$(printf '%s' "${who:+-$who}$path" | tr -c 'a-zA-Z0-9-' '_')"
		preset=()
		[ "$form" = desktop ] && preset=(--preset=desktop)
		"$LH" "$BASE$path" --quiet --chrome-flags="$FLAGS" "${preset[@]}" "${extra[@]}" \
			--only-categories=accessibility,best-practices,performance,seo \
			--output=json --output=html --output-path="$REPORTS/$name" >"$WORK/lh.log" 2>&1 ||
			{ echo "lighthouse failed on $path:" >&2; tail -20 "$WORK/lh.log" >&2; exit 1; }
		# One line of scores, then each audit that did not pass in the
		# two categories that gate.
		node - "$REPORTS/$name.report.json" "$form" "${who:+@$who }$path" "$MIN" <<-'JS' || FAILED=1
			const [file, form, page, min] = process.argv.slice(2);
			const r = JSON.parse(require('fs').readFileSync(file, 'utf8'));
			const score = c => Math.round((r.categories[c].score ?? 0) * 100);
			const s = ['accessibility', 'best-practices', 'performance', 'seo'].map(score);
			console.log(`${form.padEnd(8)} ${page.padEnd(24)} ${s.map(v => String(v).padStart(6)).join(' ')}`);
			for (const c of ['accessibility', 'best-practices']) {
				for (const ref of r.categories[c].auditRefs) {
					const a = r.audits[ref.id];
					if (ref.weight > 0 && a.score !== null && a.score < 1) {
						const items = (a.details && a.details.items || []).slice(0, 3)
							.map(i => (i.node && i.node.snippet) || i.url || i.source?.url || JSON.stringify(i).slice(0, 120));
						console.log(`           ${c}: ${a.id}: ${a.title}${items.length ? '\n             ' + items.join('\n             ') : ''}`);
					}
				}
			}
			const m = id => r.audits[id] && r.audits[id].displayValue;
			console.log(`           (FCP ${m('first-contentful-paint')}, LCP ${m('largest-contentful-paint')}, TBT ${m('total-blocking-time')}, CLS ${m('cumulative-layout-shift')})`);
			process.exit(s[0] < +min || s[1] < +min ? 1 : 0);
		JS
	done
done
echo
[ -n "${KEEP:-}" ] && echo "reports in $KEEP"
if [ "$FAILED" -ne 0 ]; then
	echo "FAIL: a page scored under $MIN in accessibility or best practices" >&2
	exit 1
fi
echo "every page scored at least $MIN in accessibility and best practices"
