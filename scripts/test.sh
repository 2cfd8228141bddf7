#!/usr/bin/env bash
# The test suite: installs what it needs, builds, runs every test with ctest.
# Reference fixtures are read from $EMOSCOPE_FIXTURES, else ../shared/fixtures when present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-debian.sh"
if [ -z "${EMOSCOPE_FIXTURES:-}" ] && [ -d "$root/../shared/fixtures" ]; then
  export EMOSCOPE_FIXTURES=$(cd "$root/../shared/fixtures" && pwd)
fi
"$root/scripts/build.sh" -DEMOSCOPE_BUILD_TESTS=ON -DEMOSCOPE_FIXTURES="${EMOSCOPE_FIXTURES:-}"
cd "${EMOSCOPE_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${EMOSCOPE_JOBS:-$(nproc)}" "$@"
