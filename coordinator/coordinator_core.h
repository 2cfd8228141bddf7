// The coordinator's protocol logic, apart from its transport: what it does with each message,
// how it dispatches, when it commits, sends heartbeats and expires leases. It owns the lease book
// (lease_book.h, the pure lease and session rules) and writes through a task store (task_store.h,
// the SQL and the write batch); messages go out through an Outbox, and the time comes from a
// clock, so the whole of it runs under a test or a fuzz target without a socket
// (fuzz/coordinator_session_fuzz.cc).
//
// Every decoded message is parsed into its typed form (protocol/message_schema.h) before anything
// is looked up or changed, so a malformed one is refused (answered `error`) with nothing changed.
// A worker's messages count only when they prove its session; an outcome only when it comes from
// the current lease's holder. Dispatch is credit-based (a worker gets tasks while it has free
// capacity), one task per worker per round, preferring a task whose model the worker has loaded.
//
// Threading: not thread-safe; the coordinator's one thread owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "coordinator/coordinator.h"
#include "coordinator/lease_book.h"
#include "coordinator/task_store.h"
#include "protocol/message.h"

namespace emoscope {

// Where the core's messages go. Send returns false when `peer` cannot be reached (gone, or its
// queue is full); the core then detaches that worker (LeaseBook::Detach).
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual bool Send(const std::string& peer, Message& message) = 0;
};

// What the core takes from its surroundings; tests and the fuzz target replace them.
struct CoreHooks {
  std::function<int64_t()> clock;            // milliseconds; default NowMs
  std::function<std::string()> new_session;  // a session credential; default 128 random bits
  uint64_t seed = 0;                         // of the retry jitter; 0: from the system
};

// A session credential: 128 random bits from the kernel, as 32 hex characters.
std::string NewSessionCredential();

// The store options the coordinator's options and hooks imply (path, durability, size cap, lease
// and retry timings, the clock and the jitter's seed).
TaskStoreOptions StoreOptions(const CoordinatorOptions& options, const CoreHooks& hooks = {});

class CoordinatorCore {
 public:
  // `store` (opened with StoreOptions(options, hooks)) and `outbox` outlive the core.
  CoordinatorCore(const CoordinatorOptions& options, TaskStore& store, Outbox& outbox, CoreHooks hooks = {});
  ~CoordinatorCore();
  CoordinatorCore(const CoordinatorCore&) = delete;
  CoordinatorCore& operator=(const CoordinatorCore&) = delete;

  // Starts this run: recovers the previous run's leases (they wait lease_ms for their workers).
  void Start();
  int64_t run() const { return run_; }

  // One inbound message, frames[first..], from routing id `peer` authenticated (under CURVE)
  // with public key `key`. Never throws for a bad message; throws Error only when the store
  // cannot be written (see Flush).
  void HandleFrames(const std::string& peer, const std::string& key, std::vector<zmq::message_t>& frames,
                    size_t first);

  // After a turn of messages: dispatches to free capacity, commits when the batch is due, and
  // sends heartbeats and expires leases when their period is due.
  void Service();
  // Milliseconds until Service has something due (at most 100): the transport's poll timeout.
  int64_t WaitMs() const;

  // Commits the write batch and sends its acknowledgements. Throws Error naming the database when
  // the store cannot be written or was deleted or replaced: dispatching must stop.
  void Flush();

  CoordinatorStats stats() const;
  const LeaseBook& lease_book() const { return book_; }
  TaskStore& store() { return store_; }

 private:
  void Handle(const std::string& peer, const std::string& key, Message& message);
  void HandleHello(const std::string& peer, const std::string& key, const HelloMessage& hello);
  void HandleOutcome(const std::string& peer, const std::string& key, OutcomeMessage& outcome,
                     std::vector<zmq::message_t> blobs);
  void HandleControl(const std::string& peer, const ControlMessage& control);
  void RefuseOrConfirm(const std::string& peer, MessageType type, int64_t task_id, int64_t epoch);
  void NoteRefused(const std::string& peer, int64_t task_id, int64_t epoch);
  void Reject(const std::string& peer, const std::string& reason);
  void SendReset(const std::string& peer, const std::string& session);
  bool SendTo(const std::string& peer, Message& message);
  void SendAcks();
  void Refill();
  std::optional<ReadyTask> Pick(const std::string& peer);
  void Dispatch();
  void Leave(const std::string& peer);
  void Detach(const std::string& peer);
  void Tick();
  void SendHeartbeats();

  CoordinatorOptions options_;
  Outbox& outbox_;
  CoreHooks hooks_;
  TaskStore& store_;
  LeaseBook book_;
  int64_t run_ = 0;
  std::deque<ReadyTask> ready_;  // the dispatch buffer: at most `prefetch` queued tasks
  int64_t next_refill_ = 0;
  int64_t next_heartbeat_ = 0;
  int64_t last_seen_write_ = 0;
  std::map<std::string, std::vector<Ack>> acks_;  // not yet sent, by routing id
  CoordinatorStats stats_;
};

}  // namespace emoscope
