#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/, or $EMOSCOPE_FUZZ_BUILD_DIR) and runs each
# on its corpus in fuzz/corpus/NAME for $EMOSCOPE_FUZZ_SECONDS (default 30) seconds, or
# $EMOSCOPE_FUZZ_RUNS executions if that comes first, from seed $EMOSCOPE_FUZZ_SEED (default: a new
# one each run). CI fixes both seed and runs, so every CI run explores the same inputs and passes or
# fails the same way; exploring further is a longer run with other seeds.
# New interesting inputs go to a scratch folder (the kept corpus changes only by hand: copy them
# in when they add coverage). A crash, a leak, a timeout or a sanitizer report fails the script
# and leaves the input under the scratch folder's artifacts/; make it a regression test (the
# input goes to fuzz/regressions/NAME/, which tests/fuzz_regressions_test.cc replays).
# $EMOSCOPE_FUZZ_PROCESSES (default 1) runs that many processes per target side by side, seeds
# SEED, SEED+1, ..., each with its share of the runs (a machine's cores at work on one target).
# $EMOSCOPE_FUZZ_FLAGS adds libFuzzer flags (a later -max_len overrides the default 65536).
# Prints the executions per target. Usage: scripts/fuzz.sh [TARGET...]
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${EMOSCOPE_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${EMOSCOPE_FUZZ_SECONDS:-30}
runs=${EMOSCOPE_FUZZ_RUNS:--1}  # -1: no limit
seed=${EMOSCOPE_FUZZ_SEED:-0}   # 0: libFuzzer picks one
processes=${EMOSCOPE_FUZZ_PROCESSES:-1}
read -r -a extra_flags <<<"${EMOSCOPE_FUZZ_FLAGS:-}"  # more libFuzzer flags, e.g. -entropic=0
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(protocol_message_fuzz campaign_fuzz model_config_fuzz safetensors_fuzz tokenizer_fuzz coordinator_session_fuzz)

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DEMOSCOPE_FUZZ=ON \
  -DEMOSCOPE_WITH_TORCH=OFF -DEMOSCOPE_BUILD_TESTS=OFF -DEMOSCOPE_BUILD_BENCH=OFF >/dev/null || exit 1
ninja -C "$build" -j "${EMOSCOPE_JOBS:-$(nproc)}" "${targets[@]}" || exit 1

scratch=$(mktemp -d /tmp/emoscope-fuzz-XXXXXX)
status=0
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target/new" "$scratch/$target/artifacts"
  share=$runs
  [ "$runs" -gt 0 ] && share=$(((runs + processes - 1) / processes))
  pids=()
  for ((index = 0; index < processes; index++)); do
    process_seed=$seed
    [ "$seed" -gt 0 ] && process_seed=$((seed + index))
    TMPDIR=$scratch/$target "$build/fuzz/$target" "$scratch/$target/new" "$root/fuzz/corpus/$target" \
      -max_total_time="$seconds" -runs="$share" -seed="$process_seed" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$scratch/$target/artifacts/" "${extra_flags[@]}" \
      >"$scratch/$target/log.$index" 2>&1 &
    pids+=($!)
  done
  rc=0
  for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
  execs=$(cat "$scratch/$target"/log.* | grep -o 'stat::number_of_executed_units: *[0-9]*' | grep -o '[0-9]*$' |
    awk '{ total += $1 } END { print total }')
  cov=$(grep -ho 'cov: [0-9]*' "$scratch/$target"/log.* | sort -t' ' -k2 -n | tail -1)
  if [ $rc -ne 0 ]; then
    status=1
    echo "fuzz $target: FAILED (exit $rc) after ${execs:-?} executions; artifacts in $scratch/$target/artifacts"
    cat "$scratch/$target"/log.* | grep -E 'ERROR|SUMMARY|terminate|what\(\)|invariant' | head -5
  else
    echo "fuzz $target: ${execs:-?} executions in $processes process(es), at most ${seconds} s, $cov, $(ls "$scratch/$target/new" | wc -l) new inputs"
  fi
done
[ $status -eq 0 ] && rm -rf "$scratch"
exit $status
