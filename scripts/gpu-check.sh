#!/usr/bin/env bash
# The CUDA path, checked on a GPU machine that has PyTorch (its wheel carries libtorch: libraries,
# headers) but no network (docs/models.md, "On a GPU"). In about 10 minutes:
#   1. unpacks the .deb files scripts/fetch-gpu-debs.sh downloaded (build/gpu-debs, or
#      $EMOSCOPE_GPU_DEBS) into build-gpu/deps with dpkg-deb -x (never into /);
#   2. builds the runtime alone (-DEMOSCOPE_RUNTIME_ONLY=ON) against the wheel's libtorch;
#   3. runs the runtime-only tests (on the CPU, with that libtorch);
#   4. runs bench/runtime_check on cuda:0: float32 and bfloat16 forward passes of every
#      architecture against the CPU, steered generation, bf16 throughput with all-layer readout;
#   5. with transformers: writes tests/fixtures/hf/ (scripts/gpu/make_hf_fixtures.py) and runs the
#      CPU tests comparing emoscope against them.
# Everything it reports goes to $OUT (default build-gpu/out): gpu-check.log, runtime_check.json,
# the test output and a copy of the new fixtures.
#
#   bash scripts/gpu-check.sh            # EMOSCOPE_FIXTURES=DIR adds the reference fixtures
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-gpu
deps=$build/deps
out=${OUT:-$build/out}
mkdir -p "$out" "$deps"
exec > >(tee "$out/gpu-check.log") 2>&1
start=$(date +%s)
step() { echo; echo "== $(($(date +%s) - start)) s: $*"; }
fail() { echo "gpu-check: $*"; exit 1; }
status=0

step "machine"
nvidia-smi -L || echo "(no nvidia-smi)"
python3 - <<'PY' || fail "python3 cannot import torch"
import os, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      "cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI)
print("torch folder", os.path.dirname(torch.__file__))
PY
torch_dir=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
[ -f "$torch_dir/include/ATen/ATen.h" ] || fail "$torch_dir has no include/ATen/ATen.h (a wheel without the C++ headers)"

step "unpacking .deb files"
debs=${EMOSCOPE_GPU_DEBS:-$root/build/gpu-debs}
ls "$debs"/*.deb >/dev/null 2>&1 || fail "no .deb files in $debs (run scripts/fetch-gpu-debs.sh where the Debian archive is reachable)"
for deb in "$debs"/*.deb; do
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$deb" "$deps" || fail "cannot unpack $deb"
  else
    (cd "$deps" && ar p "$deb" "$(ar t "$deb" | grep '^data\.tar')" | tar -x --auto-compress -f - 2>/dev/null ||
      ar p "$deb" data.tar.xz | tar -xJ) || fail "cannot unpack $deb (no dpkg-deb, and ar/tar failed)"
  fi
done
export LD_LIBRARY_PATH=$deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

step "tools"
cmake=$(command -v cmake || true)
[ -n "$cmake" ] || cmake=$(python3 -c 'import cmake, os; print(os.path.join(cmake.CMAKE_BIN_DIR, "cmake"))' 2>/dev/null || true)
[ -n "$cmake" ] || cmake=$deps/usr/bin/cmake
"$cmake" --version | head -1 || fail "no usable cmake (system, pip or the unpacked .deb)"
generator=()
ninja=$(command -v ninja || true)
[ -n "$ninja" ] || { [ -x "$deps/usr/bin/ninja" ] && ninja=$deps/usr/bin/ninja; }
if [ -n "$ninja" ]; then generator=(-G Ninja -DCMAKE_MAKE_PROGRAM="$ninja"); fi
c++ --version | head -1 || fail "no C++ compiler (c++)"

step "configure (runtime only, libtorch from $torch_dir, C++11 ABI $abi)"
fixtures=${EMOSCOPE_FIXTURES:-}
[ -n "$fixtures" ] || { [ -d "$root/../shared/fixtures" ] && fixtures=$(cd "$root/../shared/fixtures" && pwd); }
"$cmake" -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DEMOSCOPE_RUNTIME_ONLY=ON -DEMOSCOPE_TORCH_PREFIX="$torch_dir" -DEMOSCOPE_TORCH_NO_CONFIG=ON \
  -DEMOSCOPE_TORCH_CXX11_ABI="$abi" -DCMAKE_PREFIX_PATH="$deps/usr" -DEMOSCOPE_BUILD_TESTS=ON \
  -DEMOSCOPE_FIXTURES="$fixtures" || fail "configure failed"

step "build"
"$cmake" --build "$build" -j "$(nproc)" || fail "build failed"

step "runtime tests (CPU, this libtorch)"
(cd "$build" && timeout 300 ctest -j "$(nproc)" --output-on-failure) > "$out/ctest.log" 2>&1 || status=1
tail -5 "$out/ctest.log"

step "runtime_check on cuda:0"
check_args=(--device cuda:0 --json "$out/runtime_check.json")
[ -n "$fixtures" ] && check_args+=(--fixtures "$fixtures")
timeout 360 "$build/bench/runtime_check/runtime_check" "${check_args[@]}" || status=1

step "Hugging Face fixtures (transformers, CPU)"
if python3 -c 'import transformers, tokenizers' 2>/dev/null; then
  timeout 120 python3 "$root/scripts/gpu/make_hf_fixtures.py" --out "$root/tests/fixtures/hf" || status=1
  cp -r "$root/tests/fixtures/hf" "$out/hf-fixtures"
  "$build/tests/runtime_only/models_runtime_test" "[hf]" -s > "$out/hf_test.log" 2>&1 || status=1
  grep -E "maxdiff|passed|failed|SKIPPED" "$out/hf_test.log"
else
  echo "transformers or tokenizers is missing: no Hugging Face fixtures"
  status=1
fi

step "done (status $status)"
exit $status
