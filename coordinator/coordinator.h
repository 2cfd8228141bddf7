// The campaign coordinator: one ZeroMQ ROUTER socket, one thread, the only writer of the store.
//
// It leases queued tasks to workers as they have free capacity (credit-based dispatch), prefers a
// worker that has the task's model loaded, keeps leases alive while the worker is heard from
// (heartbeats both ways), expires them when it is not (a worker it cannot send to gets lease_ms
// to reconnect and re-adopt them first), retries failed tasks with exponential
// backoff and jitter up to the task's max_attempts, then marks them failed with the error kept.
// Every lease carries a fencing epoch, unique across coordinator restarts; a result is recorded
// only when its epoch is the task's current one, in the same transaction as the state change.
// Writes are batched (BEGIN IMMEDIATE, at most batch_max operations or batch_delay_ms); a worker
// is acknowledged only after the commit, and resends what was not acknowledged, so a crash of
// either side loses nothing and records nothing twice.
//
// When the store cannot be written (disk full, size cap, I/O error) the transaction rolls back, the
// coordinator stops dispatching and Run() throws an Error naming the database and the cause:
// nothing after the last commit was acknowledged, so workers resend it to the next coordinator.
//
// On start it recovers the previous run's leases: a lease is re-adopted when its worker says hello
// listing it within lease_ms, and otherwise queued again (without counting an attempt).
//
// The parts (docs/orchestrator.md, "Inside the coordinator"): this class is the transport (the
// socket, CURVE, the poll loop); coordinator_core.h handles the messages, lease_book.h holds the
// lease and session rules, task_store.h the SQL and the write batch.
//
// Threading: Run() is called on one thread; Stop() may be called from any thread or a signal
// handler (it only sets an atomic flag).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace emoscope {

struct CoordinatorOptions {
  std::string db_path;                        // the store; created when missing
  std::string bind = "tcp://127.0.0.1:5555";  // loopback unless asked otherwise
  int heartbeat_ms = 1000;                    // heartbeat period, both ways
  int lease_ms = 10000;                       // a worker silent this long loses its leases
  int retry_base_ms = 1000;                   // first retry delay; doubles per attempt
  int retry_max_ms = 60000;                   // cap of the retry delay
  int batch_max = 1024;                       // operations per write transaction, at most
  int batch_delay_ms = 5;                     // oldest pending operation waits at most this
  int prefetch = 4096;                        // queued tasks held in memory for dispatch
  bool sync_full = false;                     // PRAGMA synchronous=FULL (power-loss durability)
  int64_t max_message_bytes = 256LL << 20;    // ZMQ_MAXMSGSIZE of the ROUTER socket
  // CURVE (docs/security.md): the coordinator's secret key file and the allow-list (a folder of
  // *.pub files or a file of keys). Both or neither; with them every peer must be on the list.
  std::string curve_secret_file;
  std::string curve_allow;
  bool insecure = false;     // allow a non-loopback bind without CURVE
  int64_t max_db_bytes = 0;  // store size cap (PRAGMA max_page_count); 0: none
};

struct CoordinatorStats {
  int64_t dispatched = 0;
  int64_t results = 0;       // results committed
  int64_t refused = 0;       // results and failures refused (stale lease)
  int64_t malformed = 0;     // messages rejected as malformed or unexpected
  int64_t commits = 0;       // write transactions
  int64_t zap_accepted = 0;  // CURVE handshakes allowed / refused by the allow-list
  int64_t zap_refused = 0;
};

class Coordinator {
 public:
  // Opens (and migrates) the store, binds the socket and recovers the previous run's leases.
  // Throws Error naming the database or the endpoint when either fails, or when the bind is not
  // loopback and neither CURVE nor `insecure` is set.
  explicit Coordinator(const CoordinatorOptions& options);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // The endpoint actually bound (a "tcp://127.0.0.1:0" bind gets its port here).
  std::string endpoint() const;

  // Serves until Stop(); commits what is pending before returning.
  void Run();
  void Stop() { stop_.store(true); }

  // Counters of the run; read them after Run() has returned (Run's thread writes them).
  CoordinatorStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> stop_{false};
};

}  // namespace emoscope
