// The worker: a ZeroMQ DEALER that says hello to the coordinator with its capabilities, runs the
// tasks it is leased on `slots` executor threads, reports results and failures, and keeps each
// report until the coordinator acknowledges it (resending after a reconnect), so nothing is lost
// when either side dies.
//
// It reconnects with exponential backoff when the coordinator is silent for a lease period, and
// drains on SIGTERM, SIGINT or SIGUSR1: it asks for no more work, returns the leases it has not
// started, finishes the running ones, waits for their acknowledgements (at most drain_ms), says
// bye and returns 0.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/curve.h"
#include "worker/task_registry.h"

namespace emoscope {

struct WorkerOptions {
  std::string endpoint = "tcp://127.0.0.1:5555";  // the coordinator
  std::string identity;        // routing id; default host:pid:random (stable for the process)
  int slots = 1;               // tasks run at once (executor threads)
  int prefetch = 4;            // leases held beyond the running ones, to hide round trips
  std::string device = "cpu";  // announced to the coordinator
  int64_t memory_bytes = 0;    // announced; 0: the machine's physical memory
  int model_cache_size = 2;    // models kept loaded
  int heartbeat_ms = 1000;     // until the coordinator's welcome says otherwise
  int lease_ms = 10000;        // coordinator silence that triggers a reconnect (idem)
  int reconnect_min_ms = 100;  // backoff between reconnects: doubles up to the max, with jitter
  int reconnect_max_ms = 5000;
  int drain_ms = 30000;        // how long a drain waits for acknowledgements
  int64_t max_tasks = 0;       // stop (draining) after this many tasks; 0: never (tests, benchmarks)
  CurveClientOptions curve;    // the coordinator's public key and this worker's secret (docs/security.md)
};

// Runs until drained by a signal or max_tasks; returns the process exit code (0 after a clean
// drain). Throws Error only for bad options.
int RunWorker(const WorkerOptions& options, const TaskRegistry& registry);

}  // namespace emoscope
