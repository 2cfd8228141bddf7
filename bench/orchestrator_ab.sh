#!/usr/bin/env bash
# Two emoscope binaries alternating on the same no-op campaign (bench/BENCHMARKS.md, Orchestrator):
# tasks/s with 4 workers, first lease to last commit, ROUNDS rounds of before then after, so both
# see the same load. Usage: bench/orchestrator_ab.sh BEFORE_BIN AFTER_BIN [TASKS] [ROUNDS]
set -euo pipefail
before=${1:?usage: orchestrator_ab.sh BEFORE_BIN AFTER_BIN [TASKS] [ROUNDS]}
after=${2:?usage: orchestrator_ab.sh BEFORE_BIN AFTER_BIN [TASKS] [ROUNDS]}
tasks=${3:-50000}
rounds=${4:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'campaign: noop-bench\ntest_tasks:\n  - {kind: noop, count: %d}\n' "$tasks" > "$work/noop.yaml"
echo "| round | binary | tasks/s | load average |"
echo "|---|---|---|---|"
for round in $(seq "$rounds"); do
  for label in before after; do
    bin=$before
    [ "$label" = after ] && bin=$after
    db=$work/$label-$round.db
    "$bin" --log-level warn run "$work/noop.yaml" --workers 4 --db "$db" --no-http > /dev/null 2>&1
    rate=$("$bin" status --db "$db" --json | python3 -c "import json,sys; print(round(json.load(sys.stdin)[0]['tasks_per_s']))")
    echo "| $round | $label | $rate | $(cut -d' ' -f1 /proc/loadavg) |"
  done
done
