// Real processes on loopback for the orchestrator's integration tests: a child process handle and
// small helpers to read the store and wait for conditions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "coordinator/coordinator.h"

namespace emoscope::testing {

// A child running bin/emoscope with `args`, its stdout and stderr appended to `log_path`.
// The destructor kills (SIGKILL) and reaps it when it still runs.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number) const;
  bool Running();
  // The exit code (128 + signal when killed), or -1 when it is still running after timeout_ms
  // (stretched by TimeScale(), like WaitFor's).
  int Wait(int timeout_ms);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// A coordinator served on a thread of the test for the length of a scope.
class ServedCoordinator {
 public:
  explicit ServedCoordinator(const CoordinatorOptions& options) : coordinator_(options) {
    thread_ = std::thread([this] { coordinator_.Run(); });
  }
  ~ServedCoordinator() { Stop(); }
  ServedCoordinator(const ServedCoordinator&) = delete;
  ServedCoordinator& operator=(const ServedCoordinator&) = delete;
  Coordinator& coordinator() { return coordinator_; }
  // Stops the coordinator and joins its thread (idempotent). Coordinator::stats() is for after
  // this: the coordinator thread writes them while it runs.
  void Stop() {
    coordinator_.Stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  Coordinator coordinator_;
  std::thread thread_;
};

// The arguments of `emoscope coordinator` with fast protocol timings, so that faults are noticed
// in a fraction of a second: 50 ms heartbeats, `lease_ms` leases and 20 ms retry backoff, the
// timings stretched by TimeScale() (under sanitizers a busy worker can miss a 500 ms lease without
// being frozen).
std::vector<std::string> FastCoordinatorArgs(const std::string& db, const std::string& bind,
                                             const std::string& log_level = "warn", int lease_ms = 500);

// Polls `condition` every 20 ms until it holds or timeout_ms passes; returns whether it held.
// timeout_ms is what an optimized build needs with a wide margin; it is stretched by TimeScale()
// (tests/support/test_support.h), so sanitizer builds wait as long as they need to.
bool WaitFor(const std::function<bool()>& condition, int timeout_ms);

// A single integer from a query on a read-only connection (-1 when the store cannot be read yet).
int64_t QueryInt(const std::string& db_path, const std::string& sql);

// A single text value from a query on a read-only connection ("" when the store cannot be read).
std::string QueryText(const std::string& db_path, const std::string& sql);

// A digest of what a campaign produced, independent of timing and of which worker ran what: per
// task (by task key) its state and its number of test_results rows.
std::string ResultsFingerprint(const std::string& db_path);

// The coordinator endpoint a running coordinator recorded for db_path (waits up to 10 s, scaled).
std::string WaitForEndpoint(const std::string& db_path);

}  // namespace emoscope::testing
