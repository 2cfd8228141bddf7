#!/usr/bin/env bash
# Installs every Debian package emoscope's build, tests and demo need. Idempotent: when all are
# present it changes nothing and needs no network. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-pthread   # libtorch; OpenBLAS (pthreads) instead of the ~30x slower reference BLAS
  libzmq3-dev cppzmq-dev
  libsqlite3-dev sqlite3
  libboost-dev
  libspdlog-dev libfmt-dev
  catch2
  nlohmann-json3-dev
  libonig-dev                         # Oniguruma: the tokenizer.json pre-tokenizer and Replace regexes
  libyaml-cpp-dev
  zlib1g-dev
  python3-scipy python3-numpy   # the rank tests' scipy reference check (tests/analysis/scipy_reference.py)
)

# --browser: also chromium, for the dashboard's browser test (tests/browser/).
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "emoscope setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# libtorch must use OpenBLAS, not the reference BLAS it may fall back to.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *) echo "emoscope setup: warning: libblas.so.3 resolves to '$blas', not OpenBLAS; matrix products will be slow" >&2 ;;
esac
