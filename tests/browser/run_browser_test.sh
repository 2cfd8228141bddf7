#!/usr/bin/env bash
# The dashboard in a real headless browser: builds a finished campaign store (a test campaign run
# by `emoscope run`, plus synthetic science results from dashboard_seed), serves it with
# `emoscope coordinator --http`, and drives Debian's chromium through playwright-core
# (dashboard.test.js). Screenshots go to BUILD_DIR/test-artifacts/dashboard/.
# Usage: tests/browser/run_browser_test.sh BUILD_DIR. Exit 77 (skipped) only when chromium or
# playwright-core cannot be had.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run_browser_test.sh BUILD_DIR}" && pwd)
chromium=${EMOSCOPE_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "SKIPPED: no chromium at $chromium (apt-get install chromium, or scripts/setup-debian.sh --browser)" >&2
  exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  if ! (cd "$here" && npm ci --no-audit --no-fund >/dev/null 2>&1); then
    echo "SKIPPED: playwright-core is not installed and 'npm ci' in tests/browser failed" >&2
    exit 77
  fi
fi
work=$(mktemp -d)
coordinator=
cleanup() {
  if [ -n "$coordinator" ]; then kill "$coordinator" 2>/dev/null || true; wait "$coordinator" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
db=$work/c.db
"$build/bin/dashboard_seed" --db "$db" > /dev/null
printf 'campaign: smoke\ntest_tasks:\n  - {kind: noop, count: 300}\n  - {kind: fail, count: 4}\n' > "$work/smoke.yaml"
"$build/bin/emoscope" --log-level warn run "$work/smoke.yaml" --db "$db" --workers 2 --retry-base-ms 5 --no-http > /dev/null 2>&1 || true
"$build/bin/emoscope" --log-level warn coordinator --db "$db" --bind tcp://127.0.0.1:0 --http 127.0.0.1:0 > "$work/coordinator.log" 2>&1 &
coordinator=$!
url=
for _ in $(seq 100); do
  url=$(awk '/^dashboard at/ {print $3}' "$work/coordinator.log")
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { echo "the coordinator printed no dashboard address:" >&2; cat "$work/coordinator.log" >&2; exit 1; }
artifacts=$build/test-artifacts/dashboard
mkdir -p "$artifacts"
"$build/bin/emoscope" report --db "$db" --campaign science-demo --out "$artifacts/report.html" > /dev/null
node "$here/dashboard.test.js" "$url" "$artifacts" "$chromium"
