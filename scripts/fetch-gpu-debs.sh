#!/usr/bin/env bash
# Downloads, on a machine with the Debian archive, the .deb files scripts/gpu-check.sh unpacks on a
# GPU machine that has PyTorch but no network: the header-only libraries the runtime-only build
# needs (nlohmann-json, spdlog, fmt, Catch2) and CMake and Ninja with the small libraries CMake
# links, for machines without them. Nothing is installed here.
#
#   bash scripts/fetch-gpu-debs.sh [DIR]      # default build/gpu-debs (carried to the GPU machine)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build/gpu-debs}
mkdir -p "$dir"
cd "$dir"
packages=(
  nlohmann-json3-dev libspdlog-dev libfmt-dev catch2   # headers (fmt and spdlog used header-only)
  cmake cmake-data ninja-build                         # used only when the machine has neither
  libjsoncpp25 librhash0 libuv1                        # cmake's libraries a GPU image may lack
)
apt-get download "${packages[@]}"
ls -l "$dir"
du -sh "$dir"
