#!/usr/bin/env bash
# The hardening steps of CI (docs/hardening.md), run after the ordinary suite (scripts/test.sh):
#   1. AddressSanitizer + UndefinedBehaviorSanitizer build (without libtorch) and the whole suite
#   2. ThreadSanitizer build (without libtorch) and the orchestrator tests (the concurrent parts)
#   3. libFuzzer: each target for $EMOSCOPE_FUZZ_SECONDS (default 30) seconds
#   4. the chaos test (10,000 tasks, 20 coordinator kills, worker kills and freezes)
#   5. the real-Slurm integration test (skipped, and said so, where Slurm cannot run)
# Every step runs even when an earlier one failed; the script fails when any did, and prints how
# long each took. Usage: scripts/ci-hardening.sh [STEP...] with steps asan tsan fuzz chaos slurm.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${EMOSCOPE_JOBS:-$(nproc)}
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(asan tsan fuzz chaos slurm)
failed=()
summary=()

run_step() {
  local name=$1
  shift
  local start=$SECONDS
  echo "=== $name"
  if "$@"; then summary+=("$name: ok in $((SECONDS - start)) s"); else failed+=("$name"); summary+=("$name: FAILED in $((SECONDS - start)) s"); fi
}

# Sanitizer builds leave libtorch out: it is not instrumented, and without it the builds fit the
# CI budget on a 2-core machine.
sanitizer_build() {
  local dir=$1 sanitize=$2
  shift 2
  cmake -S "$root" -B "$dir" -G Ninja -DEMOSCOPE_SANITIZE="$sanitize" -DEMOSCOPE_WITH_TORCH=OFF \
    -DEMOSCOPE_BUILD_BENCH=OFF -DEMOSCOPE_BUILD_TESTS=ON >/dev/null && ninja -C "$dir" -j "$jobs" "$@"
}

asan() {
  sanitizer_build "$root/build-asan" address,undefined || return 1
  # detect_leaks: children killed on purpose by the tests do not report; leaks at clean exits do.
  (cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --output-on-failure -j "$jobs" -LE 'chaos|slurm')
}

tsan() {
  sanitizer_build "$root/build-tsan" thread emoscope orchestrator_test || return 1
  # The orchestrator tests drive the coordinator thread, the worker's executor threads and real
  # processes (all TSan-built) through every concurrent path.
  # tests/tsan.supp: only libzmq's and libsodium's (uninstrumented) hand-over of message buffers.
  (cd "$root/build-tsan" &&
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" ./tests/orchestrator_test)
}

# Packages only these steps need (kept out of setup-debian.sh, which every build runs).
install_packages() {
  local missing=()
  for package in "$@"; do dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || { echo "not root: cannot install ${missing[*]}"; return 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }
}

# A fixed seed and run budget: every CI run explores the same inputs (scripts/fuzz.sh).
# The parsers get 140,000 executions each; the stateful coordinator target 1,000,000, in one
# process per core, at most 15 minutes (docs/hardening.md, "The coordinator's message handling":
# an execution costs about 1.5 ms under ASan, so the entropic scheduler's bookkeeping, a third of
# that, is turned off, and scripts longer than its 64 steps would only be cut).
fuzz() {
  install_packages clang libclang-rt-14-dev || return 1
  local status=0
  EMOSCOPE_FUZZ_SEED=${EMOSCOPE_FUZZ_SEED:-1} EMOSCOPE_FUZZ_RUNS=${EMOSCOPE_FUZZ_RUNS:-140000} \
    EMOSCOPE_FUZZ_SECONDS=${EMOSCOPE_FUZZ_SECONDS:-60} "$root/scripts/fuzz.sh" protocol_message_fuzz campaign_fuzz \
    model_config_fuzz safetensors_fuzz tokenizer_fuzz || status=1
  EMOSCOPE_FUZZ_SEED=${EMOSCOPE_FUZZ_SEED:-1} EMOSCOPE_FUZZ_RUNS=${EMOSCOPE_SESSION_FUZZ_RUNS:-1000000} \
    EMOSCOPE_FUZZ_SECONDS=${EMOSCOPE_SESSION_FUZZ_SECONDS:-900} EMOSCOPE_FUZZ_PROCESSES=$jobs \
    EMOSCOPE_FUZZ_FLAGS="-entropic=0 -max_len=512" \
    "$root/scripts/fuzz.sh" coordinator_session_fuzz || status=1
  return $status
}

# The chaos and Slurm tests run their programs directly: registering them with ctest (the
# EMOSCOPE_CHAOS_TESTS / EMOSCOPE_SLURM_TESTS options) would stick in build/'s cache and put them
# into every later scripts/test.sh run.
chaos() {
  ninja -C "$root/build" -j "$jobs" emoscope chaos_test && (cd "$root/build" && ./tests/chaos_test)
}

slurm() {
  install_packages slurm-wlm munge sqlite3 || echo "slurm-wlm could not be installed; the test will say it is skipped"
  ninja -C "$root/build" -j "$jobs" emoscope || return 1
  bash "$root/tests/slurm/slurm_test.sh" "$root/build/bin"
  local rc=$?
  [ $rc -eq 77 ] && return 0  # skipped, and the script said why
  return $rc
}

for step in "${steps[@]}"; do run_step "$step" "$step"; done
echo "=== hardening summary"
printf '  %s\n' "${summary[@]}"
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
