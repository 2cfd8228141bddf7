// The coordinator's store: the SQL it runs on the database and the write batch.
//
// Every change a lease decision or an outcome makes is added to the batch and written by Flush()
// in one transaction (BEGIN IMMEDIATE): a result is recorded only when its epoch is the task's
// current one, in the same transaction as the state change; a failure or a charged expiry is
// retried after an exponential backoff with jitter up to the task's max_attempts, then failed with
// the error kept (and its blocked dependents with it); a return or an uncharged expiry is queued
// again at once with its attempt given back (cancelled instead when its campaign was cancelled).
// Flush() returns the acknowledgements of what it committed: a worker is acknowledged only after
// the commit.
//
// When the file at the database's path is no longer the one opened (deleted, moved away,
// replaced), Flush() throws an Error naming the database before it writes anything; when the
// store cannot be written (disk full, size cap, I/O error) it rolls the transaction back and
// throws. Either way nothing after the last commit was acknowledged.
//
// Threading: not thread-safe; the coordinator's one thread owns it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "coordinator/lease_book.h"
#include "coordinator/result_tables.h"
#include "protocol/message_schema.h"
#include "schema/database.h"

namespace emoscope {

struct TaskStoreOptions {
  std::string db_path;  // created when missing
  bool sync_full = false;
  int64_t max_db_bytes = 0;  // PRAGMA max_page_count; 0: none
  int lease_ms = 10000;      // the lease deadline written with a dispatch
  int retry_base_ms = 1000;
  int retry_max_ms = 60000;
  uint64_t seed = 0;                       // of the backoff jitter; 0: from the system
  std::function<int64_t()> clock = NowMs;  // when a batch's first write came (BatchStarted)
};

// A queued task ready to be dispatched.
struct ReadyTask {
  int64_t id = 0;
  std::string kind;
  std::string params;
  std::string model_path;
  std::string model_checksum;  // "" for tasks without a model
  int64_t attempts = 0;
};

struct Ack {
  int64_t task_id = 0;
  int64_t epoch = 0;
  bool accepted = false;
  std::string reason;
};

// What the previous run left: this run's number, its running tasks and its workers' sessions.
struct Recovered {
  int64_t run = 0;
  std::vector<StoredLease> leases;
  std::map<std::string, StoredSession> sessions;  // by printable routing id
};

// A worker's last heartbeat, written at most once per heartbeat period.
struct WorkerSeen {
  std::string peer;
  int64_t last_seen = 0;
};

struct FlushOutcome {
  std::map<std::string, std::vector<Ack>> acks;  // by routing id
  bool unblocked = false;                        // a result queued blocked dependents
  int64_t results = 0;                           // results recorded
  int64_t refused = 0;                           // results refused in the transaction (stale)
};

class TaskStore {
 public:
  // Opens (and migrates) the store. Throws Error naming the database when it cannot.
  explicit TaskStore(const TaskStoreOptions& options);
  ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  const std::string& path() const { return db_.path(); }
  Database& database() { return db_; }

  // Starts a new run: the run counter goes up, connected workers are marked lost, and the running
  // tasks and stored sessions are read back, in one transaction.
  Recovered Recover();

  // ---- the write batch ----
  void AddDispatch(int64_t task_id, int64_t epoch, const std::string& worker);
  void AddResult(int64_t task_id, int64_t epoch, const std::string& worker, nlohmann::json rows,
                 std::vector<zmq::message_t> blobs);
  void AddFailure(int64_t task_id, int64_t epoch, const std::string& worker, std::string error,
                  bool retryable);
  void AddReturn(int64_t task_id, int64_t epoch, const std::string& worker);  // acknowledged
  void AddLeaseEnd(const LeaseEnd& end);                                      // not acknowledged
  void AddRefusedEvent(int64_t task_id, int64_t epoch, const std::string& worker);
  void AddHello(const std::string& peer, const HelloMessage& hello, const std::string& session,
                const std::string& key);
  void AddWorkerGone(const std::string& peer, bool lost);

  bool HasWrites() const { return !ops_.empty() || has_side_writes_; }
  size_t PendingOps() const { return ops_.size(); }
  int64_t BatchStarted() const { return batch_started_; }  // when the oldest pending write came

  // Commits the batch (nothing to do when it is empty); `seen` are heartbeats to write with it.
  FlushOutcome Flush(int64_t now, const std::vector<WorkerSeen>& seen);
  int64_t commits() const { return commits_; }

  // ---- reads (flush first: they must see every write so far) ----

  // Whether the outcome of (task_id, epoch) is already recorded: a result when the task is done
  // under that epoch, a failure or return when it is no longer running under it.
  bool Recorded(int64_t task_id, int64_t epoch, bool result);

  // Up to `limit` queued tasks of active campaigns whose backoff has ended, by priority then id.
  std::vector<ReadyTask> Ready(int64_t now, int64_t limit);

  // The inputs of a task from its dependencies' results (task_inputs.h).
  nlohmann::json TaskInputs(int64_t task_id, const nlohmann::json& specs, std::vector<zmq::message_t>* blobs);

  // A client's control operation (submit a resolved campaign, pause, resume, cancel, retry): the
  // reply body, {"ok": false, "error": ...} when the store refuses it.
  nlohmann::json Control(const ControlMessage& control);

 private:
  enum class OpKind { kDispatch, kResult, kFailure, kExpire, kReturn };
  struct Op {
    OpKind kind = OpKind::kExpire;
    int64_t task_id = 0;
    int64_t epoch = 0;
    std::string worker;
    std::string error;
    bool retryable = true;
    bool uncharged = false;  // kExpire: queued again without the attempt counted
    nlohmann::json rows;
    std::vector<zmq::message_t> blobs;
  };
  struct PendingHello {
    HelloMessage hello;
    std::string session_digest;
    std::string key;
  };

  static Op MakeOp(OpKind kind, int64_t task_id, int64_t epoch, const std::string& worker);
  void PrepareStatements();
  void Add(Op op);
  void MarkSideWrite();
  void FlushBatch(int64_t now, const std::vector<WorkerSeen>& seen, FlushOutcome* outcome);
  void ApplyResult(int64_t now, Op& op, FlushOutcome* outcome);
  void ApplyFailure(int64_t now, const Op& op);
  void Event(int64_t now, const char* kind, const Op& op, const std::string& detail);
  int64_t BackoffMs(int64_t attempts);
  bool IsStorageFailure();
  std::string DatabaseChanged() const;

  TaskStoreOptions options_;
  Database db_;
  ResultTables result_tables_;
  std::mt19937_64 rng_;
  dev_t db_device_ = 0;  // the database file's identity when it was opened
  ino_t db_inode_ = 0;

  std::vector<Op> ops_;
  std::vector<Op> refused_events_;
  std::map<std::string, PendingHello> hellos_;
  std::map<std::string, std::string> gone_;  // routing id -> "lost" or "gone"
  bool has_side_writes_ = false;
  int64_t batch_started_ = 0;
  int64_t commits_ = 0;

  std::unique_ptr<Statement> dispatch_, complete_, has_dependents_, unblock_, cascade_, lease_row_, fail_,
      requeue_, event_, worker_upsert_, worker_seen_, task_state_, session_upsert_, session_delete_, ready_,
      run_read_, run_write_, workers_lost_, running_, sessions_;
};

}  // namespace emoscope
