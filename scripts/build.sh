#!/usr/bin/env bash
# Configures and builds emoscope into build/ (or $EMOSCOPE_BUILD_DIR). Extra arguments go to cmake;
# $EMOSCOPE_TARGETS limits the build to those targets (default: everything).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${EMOSCOPE_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -G Ninja "$@" >/dev/null
# shellcheck disable=SC2086
ninja -C "$build" -j "${EMOSCOPE_JOBS:-$(nproc)}" ${EMOSCOPE_TARGETS:-}
