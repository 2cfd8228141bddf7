#!/usr/bin/env bash
# The test suite: installs what it needs, builds, runs every test with ctest.
# Reference fixtures are read from $EMOSCOPE_FIXTURES, else ../shared/fixtures when present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# chromium and playwright-core for the dashboard's browser test; without them it is skipped.
"$root/scripts/setup-debian.sh" --browser || "$root/scripts/setup-debian.sh"
if command -v npm > /dev/null && [ ! -d "$root/tests/browser/node_modules/playwright-core" ]; then
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund) || echo "test.sh: npm ci failed; the browser test will be skipped" >&2
fi
if [ -z "${EMOSCOPE_FIXTURES:-}" ] && [ -d "$root/../shared/fixtures" ]; then
  export EMOSCOPE_FIXTURES=$(cd "$root/../shared/fixtures" && pwd)
fi
"$root/scripts/build.sh" -DEMOSCOPE_BUILD_TESTS=ON -DEMOSCOPE_FIXTURES="${EMOSCOPE_FIXTURES:-}"
cd "${EMOSCOPE_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${EMOSCOPE_JOBS:-$(nproc)}" "$@"
