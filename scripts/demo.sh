#!/usr/bin/env bash
# The demo: installs what it needs, builds, and runs what emoscope can do so far on a tiny
# built-in model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-debian.sh"
"$root/scripts/build.sh"
bin=${EMOSCOPE_BUILD_DIR:-$root/build}/bin
"$bin/emoscope" help
