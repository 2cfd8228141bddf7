#!/usr/bin/env bash
# Integration test: a real single-node Slurm (munged, slurmctld, slurmd from Debian's slurm-wlm,
# started here with a private configuration) runs the worker job array that `emoscope slurm`
# writes, over CURVE, against a coordinator on this machine. It checks that the campaign
# completes, that SIGUSR1 before the time limit drains a worker (its leases come back) and
# requeues its array element, and that scancel ends the rest.
# Usage: slurm_test.sh BIN_DIR. Exit 77 (ctest: skipped) when Slurm cannot run here.
set -uo pipefail
bin=${1:?usage: slurm_test.sh BIN_DIR}
emoscope="$bin/emoscope"
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*"; [ -n "${work:-}" ] && tail -n 20 "$work"/*.log "$work"/emoscope-worker-*.out 2>/dev/null; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root to start slurmctld and slurmd"
for program in munged slurmctld slurmd sbatch scontrol squeue sinfo; do
  command -v "$program" >/dev/null || skip "$program is not installed (apt-get install slurm-wlm munge)"
done
[ -r /etc/munge/munge.key ] || skip "no /etc/munge/munge.key"

work=$(mktemp -d /tmp/emoscope-slurm-XXXXXX)
host=$(hostname -s)
started_pids=()
cleanup() {
  [ -n "${job:-}" ] && SLURM_CONF=$work/slurm.conf scancel "$job" 2>/dev/null
  sleep 1
  for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${started_pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "${started_munged:-}" ] && kill "$started_munged" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Private ports and state: nothing outside $work is configured.
ctld_port=$((20000 + RANDOM % 20000))
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=emoscopetest
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobRequeue=1
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
cat > "$work/cgroup.conf" <<CONF
CgroupPlugin=cgroup/v1
CgroupAutomount=no
CONF
export SLURM_CONF=$work/slurm.conf

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null
  su -s /bin/sh munge -c "munged" 2>/dev/null || munged --force || skip "munged does not start"
  sleep 1
  munge -n | unmunge >/dev/null 2>&1 || skip "munge does not work"
  started_munged=$(cat /run/munge/munged.pid 2>/dev/null)
fi
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
started_pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$work/slurmd.out" 2>&1 &
started_pids+=($!)
for _ in $(seq 60); do
  sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && break
  sleep 1
done
sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' || { tail -n 5 "$work"/*.log; skip "slurmctld/slurmd did not come up"; }
echo "slurm is up on $host (port $ctld_port)"

# A CURVE coordinator and a campaign long enough to interrupt.
"$emoscope" keys generate --out "$work/keys" >/dev/null || fail "keys generate"
"$emoscope" keys generate --out "$work/keys" --name workers >/dev/null || fail "keys generate workers"
mkdir "$work/allow" && cp "$work/keys/workers.pub" "$work/allow/"
printf 'campaign: slurm\ntest_tasks:\n  - {kind: sleep, ms: 100, count: 120}\n' > "$work/c.yaml"
db=$work/c.db
"$emoscope" submit "$work/c.yaml" --db "$db" >/dev/null || fail "submit"
port=$((ctld_port + 2))
"$emoscope" --log-level warn coordinator --db "$db" --bind "tcp://127.0.0.1:$port" --heartbeat-ms 200 --lease-ms 3000 \
  --curve-secret "$work/keys/coordinator.key" --curve-allow "$work/allow" >"$work/coordinator.log" 2>&1 &
started_pids+=($!)

"$emoscope" slurm --workers 2 --connect "tcp://127.0.0.1:$port" --time 10 --signal-seconds 30 --requeue \
  --prefetch 4 --log-dir "$work" --curve-server-key "$work/keys/coordinator.pub" \
  --curve-secret "$work/keys/workers.key" --out "$work/workers.sbatch" || fail "emoscope slurm"
job=$(sbatch --parsable "$work/workers.sbatch") || fail "sbatch"
job=${job%%;*}
echo "submitted job array $job"

done_count() { sqlite3 "file:$db?mode=ro" "SELECT count(*) FROM tasks WHERE state = 'done'" 2>/dev/null || echo 0; }
query() { sqlite3 "file:$db?mode=ro" "$1" 2>/dev/null || echo 0; }
for _ in $(seq 120); do [ "$(done_count)" -ge 20 ] && break; sleep 0.5; done
[ "$(done_count)" -ge 20 ] || fail "the Slurm workers did not start working"

# The pre-timeout signal, as Slurm sends it (--signal=B:USR1): to element 0's batch shell.
scancel --batch --signal=USR1 "${job}_0" || fail "scancel --signal=USR1"
for _ in $(seq 60); do grep -q "time limit near: 1" "$work/emoscope-worker-${job}_0.out" 2>/dev/null && break; sleep 0.5; done
grep -q "time limit near: 1" "$work/emoscope-worker-${job}_0.out" || fail "element 0 did not drain on SIGUSR1"
grep -q "exited with status 0" "$work/emoscope-worker-${job}_0.out" || fail "the drained worker did not exit 0"
returned=$(query "SELECT count(*) FROM events WHERE kind = 'returned'")
[ "$returned" -ge 1 ] || fail "the drained worker returned no lease"
for _ in $(seq 60); do scontrol show job "${job}_0" 2>/dev/null | grep -q "Restarts=1" && break; sleep 0.5; done
scontrol show job "${job}_0" | grep -q "Restarts=1" || fail "element 0 was not requeued"

for _ in $(seq 240); do [ "$(done_count)" -ge 120 ] && break; sleep 0.5; done
[ "$(done_count)" = 120 ] || fail "the campaign did not complete: $(done_count) of 120 done"
[ "$(query 'SELECT count(*) FROM test_results')" = 120 ] || fail "results lost or duplicated"
[ "$(query 'SELECT count(*) FROM tasks WHERE attempts > 1')" = 0 ] || fail "a returned lease was charged an attempt"
echo "campaign complete: 120 tasks by Slurm workers, $returned leases returned by the drain, element 0 requeued"
scancel "$job"
for _ in $(seq 30); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 1; done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "scancel did not end the job array"
job=
echo "PASSED"
