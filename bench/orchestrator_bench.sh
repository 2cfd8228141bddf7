#!/usr/bin/env bash
# Orchestrator benchmarks (bench/BENCHMARKS.md):
#   1. no-op task throughput through the whole path (lease, dispatch, result, batched durable
#      commit) with 1, 2 and 4 local workers, via `emoscope run`;
#   2. time and coordinator peak memory to submit a campaign of 1,000,000 tasks to a running
#      coordinator (`emoscope submit --coordinator`).
# Usage: bench/orchestrator_bench.sh [BUILD_DIR] [NOOP_TASKS] [SUBMIT_TASKS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
noop_tasks=${2:-50000}
submit_tasks=${3:-1000000}
emoscope=$build/bin/emoscope
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[0]['$1'])"; }

printf 'campaign: noop-bench\ntest_tasks:\n  - {kind: noop, count: %d}\n' "$noop_tasks" > "$work/noop.yaml"
echo "## no-op throughput ($noop_tasks tasks, $(nproc) cores)"
echo "| workers | sync | tasks/s (first lease to last commit) | wall of 'emoscope run' (s) |"
echo "|---|---|---|---|"
for sync in normal full; do
  for workers in 1 2 4; do
    db=$work/noop-$sync-$workers.db
    start=$(date +%s.%N)
    "$emoscope" --log-level warn run "$work/noop.yaml" --workers "$workers" --db "$db" --sync "$sync" > /dev/null 2>&1
    end=$(date +%s.%N)
    rate=$("$emoscope" status --db "$db" --json | json_field tasks_per_s)
    printf '| %d | %s | %.0f | %.2f |\n' "$workers" "$sync" "$rate" "$(echo "$end - $start" | bc)"
  done
done

printf 'campaign: submit-bench\ntest_tasks:\n  - {kind: noop, count: %d}\n' "$submit_tasks" > "$work/big.yaml"
db=$work/big.db
"$emoscope" --log-level warn coordinator --db "$db" --bind tcp://127.0.0.1:0 > "$work/coordinator.log" 2>&1 &
coordinator=$!
for _ in $(seq 100); do [ -s "$db.lock" ] && break; sleep 0.05; done
endpoint=$(cat "$db.lock")
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$coordinator/status)
start=$(date +%s.%N)
"$emoscope" submit "$work/big.yaml" --coordinator "$endpoint" > /dev/null
end=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$coordinator/status)
kill $coordinator
wait $coordinator || true
echo
echo "## submitting $submit_tasks tasks to a running coordinator"
printf '| tasks | submit wall (s) | coordinator RSS before (MB) | coordinator peak RSS (MB) |\n|---|---|---|---|\n'
printf '| %d | %.2f | %.1f | %.1f |\n' "$submit_tasks" "$(echo "$end - $start" | bc)" "$(echo "$rss_before / 1024" | bc -l)" "$(echo "$hwm / 1024" | bc -l)"
