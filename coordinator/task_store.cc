#include "coordinator/task_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "common/log.h"
#include "common/sha256.h"
#include "coordinator/task_inputs.h"
#include "emoscope_version.h"
#include "jobs/campaign.h"
#include "jobs/campaign_control.h"
#include "jobs/campaign_wire.h"
#include "jobs/submit.h"

namespace emoscope {
namespace {

// The meta table's key prefix for a worker's session digest (re-adoption after a restart).
constexpr const char* kSessionMetaPrefix = "session:";

}  // namespace

TaskStore::TaskStore(const TaskStoreOptions& options)
    : options_(options),
      db_(options.db_path, OpenMode::kReadWrite),
      result_tables_(db_),
      rng_(options.seed != 0 ? options.seed : std::random_device{}()) {
  if (options.sync_full) db_.Exec("PRAGMA synchronous = FULL");
  if (options.max_db_bytes > 0) {
    Statement page_size = db_.Prepare("PRAGMA page_size");
    page_size.Step();
    const int64_t pages =
        std::max<int64_t>(options.max_db_bytes / std::max<int64_t>(page_size.ColumnInt(0), 1), 1);
    db_.Exec("PRAGMA max_page_count = " + std::to_string(pages));
  }
  struct stat identity = {};
  if (::stat(options.db_path.c_str(), &identity) != 0)
    Fail("{}: cannot stat the database: {}", options.db_path, std::strerror(errno));
  db_device_ = identity.st_dev;
  db_inode_ = identity.st_ino;
  PrepareStatements();
}

TaskStore::~TaskStore() = default;

void TaskStore::PrepareStatements() {
  dispatch_ = std::make_unique<Statement>(
      db_,
      "UPDATE tasks SET state = 'running', lease_epoch = ?2, worker = ?3, lease_deadline = ?4, "
      "attempts = attempts + 1, started_at = coalesce(started_at, ?5) WHERE id = ?1 AND state = 'queued'");
  complete_ = std::make_unique<Statement>(
      db_,
      "UPDATE tasks SET state = 'done', finished_at = ?3, lease_deadline = NULL, error = NULL "
      "WHERE id = ?1 AND lease_epoch = ?2 AND state = 'running'");
  has_dependents_ = std::make_unique<Statement>(db_, "SELECT 1 FROM task_deps WHERE depends_on = ? LIMIT 1");
  unblock_ = std::make_unique<Statement>(
      db_,
      "UPDATE tasks SET state = 'queued' WHERE state = 'blocked' AND id IN "
      "(SELECT task_id FROM task_deps WHERE depends_on = ?1) AND NOT EXISTS (SELECT 1 FROM task_deps d "
      "JOIN tasks t ON t.id = d.depends_on WHERE d.task_id = tasks.id AND t.state != 'done')");
  cascade_ = std::make_unique<Statement>(
      db_,
      "WITH RECURSIVE dependents(id) AS (SELECT task_id FROM task_deps WHERE depends_on = ?1 UNION "
      "SELECT d.task_id FROM task_deps d JOIN dependents ON d.depends_on = dependents.id) "
      "UPDATE tasks SET state = 'failed', finished_at = ?2, error = 'dependency ' || ?1 || ' failed' "
      "WHERE id IN dependents AND state = 'blocked'");
  lease_row_ = std::make_unique<Statement>(
      db_,
      "SELECT t.attempts, t.max_attempts, c.state FROM tasks t JOIN campaigns c ON c.id = t.campaign_id "
      "WHERE t.id = ?1 AND t.lease_epoch = ?2 AND t.state = 'running'");
  fail_ = std::make_unique<Statement>(
      db_,
      "UPDATE tasks SET state = 'failed', finished_at = ?2, lease_deadline = NULL, error = ?3 WHERE id = ?1");
  requeue_ = std::make_unique<Statement>(
      db_,
      "UPDATE tasks SET state = CASE WHEN ?5 = 'cancelled' THEN 'cancelled' ELSE 'queued' END, "
      "not_before = ?2, error = ?3, lease_deadline = NULL, attempts = max(attempts - ?4, 0) WHERE id = ?1");
  event_ = std::make_unique<Statement>(
      db_, "INSERT INTO events (at, kind, task_id, worker, epoch, detail) VALUES (?, ?, ?, ?, ?, ?)");
  worker_upsert_ = std::make_unique<Statement>(
      db_,
      "INSERT INTO workers (identity, host, pid, device, memory_bytes, slots, versions, loaded_models, "
      "connected_at, last_heartbeat, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 'connected') "
      "ON CONFLICT (identity) DO UPDATE SET host = ?2, pid = ?3, device = ?4, memory_bytes = ?5, slots = ?6, "
      "versions = ?7, loaded_models = ?8, connected_at = ?9, last_heartbeat = ?9, state = 'connected'");
  worker_seen_ = std::make_unique<Statement>(
      db_, "UPDATE workers SET last_heartbeat = ?2, state = ?3 WHERE identity = ?1");
  task_state_ = std::make_unique<Statement>(db_, "SELECT state, lease_epoch FROM tasks WHERE id = ?");
  session_upsert_ = std::make_unique<Statement>(
      db_,
      "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  session_delete_ = std::make_unique<Statement>(db_, "DELETE FROM meta WHERE key = ?1");
  run_read_ = std::make_unique<Statement>(db_, "SELECT value FROM meta WHERE key = 'coordinator_run'");
  run_write_ = std::make_unique<Statement>(
      db_,
      "INSERT INTO meta (key, value) VALUES ('coordinator_run', ?) ON CONFLICT (key) DO UPDATE SET value = "
      "excluded.value");
  workers_lost_ =
      std::make_unique<Statement>(db_, "UPDATE workers SET state = 'lost' WHERE state = 'connected'");
  running_ = std::make_unique<Statement>(
      db_, "SELECT id, lease_epoch, coalesce(worker, ''), attempts FROM tasks WHERE state = 'running'");
  sessions_ = std::make_unique<Statement>(db_, "SELECT substr(key, ?1), value FROM meta WHERE key LIKE ?2");
  ready_ = std::make_unique<Statement>(
      db_,
      // The model's path as the task's campaign resolved it (migration 7), else its latest.
      "SELECT t.id, t.kind, t.params, coalesce(cm.path, m.path, ''), coalesce(m.checksum, ''), t.attempts "
      "FROM tasks t JOIN campaigns c ON c.id = t.campaign_id LEFT JOIN models m ON m.id = t.model_id "
      "LEFT JOIN campaign_models cm ON cm.campaign_id = t.campaign_id AND cm.model_id = t.model_id "
      "WHERE t.state = 'queued' AND t.not_before <= ?1 AND c.state = 'active' "
      "ORDER BY t.priority DESC, t.id LIMIT ?2");
}

// Fencing epochs carry the run number in their high 32 bits (LeaseBook::Recover), so the run
// counter goes up before anything of this run is written.
Recovered TaskStore::Recover() {
  Recovered recovered;
  Transaction transaction(db_);
  run_read_->Reset();
  recovered.run = run_read_->Step() ? std::stoll(run_read_->ColumnText(0)) + 1 : 1;
  run_read_->Reset();
  run_write_->Bind(1, std::to_string(recovered.run)).Run();
  workers_lost_->Run();
  while (running_->Step())
    recovered.leases.push_back(
        {running_->ColumnInt(0), running_->ColumnInt(1), running_->ColumnText(2), running_->ColumnInt(3)});
  running_->Reset();
  sessions_->Bind(1, static_cast<int64_t>(std::strlen(kSessionMetaPrefix) + 1))
      .Bind(2, std::string(kSessionMetaPrefix) + "%");
  while (sessions_->Step()) {
    // "<sha256 of the session> <CURVE key or nothing>"
    const std::string value = sessions_->ColumnText(1);
    const size_t space = value.find(' ');
    recovered.sessions[sessions_->ColumnText(0)] = {
        value.substr(0, space), space == std::string::npos ? "" : value.substr(space + 1)};
  }
  sessions_->Reset();
  transaction.Commit();
  return recovered;
}

// ---- the write batch ----

void TaskStore::Add(Op op) {
  if (!HasWrites()) batch_started_ = options_.clock();
  ops_.push_back(std::move(op));
}

void TaskStore::MarkSideWrite() {
  if (!HasWrites()) batch_started_ = options_.clock();
  has_side_writes_ = true;
}

TaskStore::Op TaskStore::MakeOp(OpKind kind, int64_t task_id, int64_t epoch, const std::string& worker) {
  Op op;
  op.kind = kind;
  op.task_id = task_id;
  op.epoch = epoch;
  op.worker = worker;
  return op;
}

void TaskStore::AddDispatch(int64_t task_id, int64_t epoch, const std::string& worker) {
  Add(MakeOp(OpKind::kDispatch, task_id, epoch, worker));
}

void TaskStore::AddResult(int64_t task_id, int64_t epoch, const std::string& worker, nlohmann::json rows,
                          std::vector<zmq::message_t> blobs) {
  Op op = MakeOp(OpKind::kResult, task_id, epoch, worker);
  op.rows = std::move(rows);
  op.blobs = std::move(blobs);
  Add(std::move(op));
}

void TaskStore::AddFailure(int64_t task_id, int64_t epoch, const std::string& worker, std::string error,
                           bool retryable) {
  Op op = MakeOp(OpKind::kFailure, task_id, epoch, worker);
  op.error = std::move(error);
  op.retryable = retryable;
  Add(std::move(op));
}

void TaskStore::AddReturn(int64_t task_id, int64_t epoch, const std::string& worker) {
  Add(MakeOp(OpKind::kReturn, task_id, epoch, worker));
}

void TaskStore::AddLeaseEnd(const LeaseEnd& end) {
  Op op = MakeOp(OpKind::kExpire, end.task_id, end.epoch, end.worker);
  op.uncharged = !end.charged;
  op.error = "lease expired: " + end.why;
  Add(std::move(op));
}

void TaskStore::AddRefusedEvent(int64_t task_id, int64_t epoch, const std::string& worker) {
  refused_events_.push_back(MakeOp(OpKind::kExpire, task_id, epoch, worker));  // only its event is written
  MarkSideWrite();
}

void TaskStore::AddHello(const std::string& peer, const HelloMessage& hello, const std::string& session,
                         const std::string& key) {
  hellos_[peer] = {hello, Sha256Hex(session), key};
  MarkSideWrite();
}

void TaskStore::AddWorkerGone(const std::string& peer, bool lost) {
  gone_[peer] = lost ? "lost" : "gone";
  MarkSideWrite();
}

void TaskStore::Event(int64_t now, const char* kind, const Op& op, const std::string& detail) {
  event_->Bind(1, now)
      .Bind(2, kind)
      .Bind(3, op.task_id)
      .Bind(4, PrintableRoutingId(op.worker))
      .Bind(5, op.epoch);
  detail.empty() ? event_->BindNull(6) : event_->Bind(6, detail);
  event_->Run();
}

int64_t TaskStore::BackoffMs(int64_t attempts) {
  const double base =
      options_.retry_base_ms * std::pow(2.0, static_cast<double>(std::max<int64_t>(attempts - 1, 0)));
  const double capped = std::min<double>(base, options_.retry_max_ms);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return static_cast<int64_t>(capped * jitter(rng_));
}

// A failed, expired or returned lease: queued again (uncharged for a return or an uncharged
// expiry), retried after a backoff, or failed for good.
void TaskStore::ApplyFailure(int64_t now, const Op& op) {
  lease_row_->Bind(1, op.task_id).Bind(2, op.epoch);
  if (!lease_row_->Step()) {
    lease_row_->Reset();
    return;  // Not running under this epoch any more: nothing to undo.
  }
  const int64_t attempts = lease_row_->ColumnInt(0);
  const int64_t max_attempts = lease_row_->ColumnInt(1);
  const std::string campaign_state = lease_row_->ColumnText(2);
  lease_row_->Reset();
  if (op.kind == OpKind::kReturn || op.uncharged) {
    requeue_->Bind(1, op.task_id)
        .Bind(2, int64_t{0})
        .Bind(3, op.error)
        .Bind(4, int64_t{1})
        .Bind(5, campaign_state)
        .Run();
    Event(now, "returned", op, op.error);
    return;
  }
  if (!op.retryable || attempts >= max_attempts) {
    fail_->Bind(1, op.task_id).Bind(2, now).Bind(3, op.error).Run();
    Event(now, "failed", op, op.error);
    cascade_->Bind(1, op.task_id).Bind(2, now).Run();
    return;
  }
  requeue_->Bind(1, op.task_id)
      .Bind(2, now + BackoffMs(attempts))
      .Bind(3, op.error)
      .Bind(4, int64_t{0})
      .Bind(5, campaign_state)
      .Run();
  Event(now, op.kind == OpKind::kExpire ? "expired" : "retry", op, op.error);
}

// Whether the last SQLite error was the store failing (full, I/O, out of memory, read-only,
// corrupt) or the transaction is gone (SQLite rolls back by itself on some of those), as opposed
// to a result that does not fit its table.
bool TaskStore::IsStorageFailure() {
  const int code = sqlite3_errcode(db_.handle()) & 0xff;
  return sqlite3_get_autocommit(db_.handle()) != 0 || code == SQLITE_FULL || code == SQLITE_IOERR ||
         code == SQLITE_NOMEM || code == SQLITE_READONLY || code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

void TaskStore::ApplyResult(int64_t now, Op& op, FlushOutcome* outcome) {
  db_.Exec("SAVEPOINT result");
  complete_->Bind(1, op.task_id).Bind(2, op.epoch).Bind(3, now).Run();
  if (db_.Changes() != 1) {
    db_.Exec("RELEASE result");
    ++outcome->refused;
    outcome->acks[op.worker].push_back({op.task_id, op.epoch, false, "stale lease (fenced)"});
    Event(now, "refused", op, "result for a lease that is not current");
    return;
  }
  try {
    result_tables_.Insert(op.task_id, op.rows, op.blobs);
  } catch (const Error& error) {
    if (IsStorageFailure()) throw;  // Not the result's fault: Flush() stops the coordinator.
    db_.Exec("ROLLBACK TO result");
    db_.Exec("RELEASE result");
    // The result cannot be stored: a bug in the task kind, not bad luck, so no retry.
    Op failure = MakeOp(OpKind::kFailure, op.task_id, op.epoch, op.worker);
    failure.retryable = false;
    failure.error = std::string("result rejected: ") + error.what();
    spdlog::warn("task {}: {}", op.task_id, failure.error);
    ApplyFailure(now, failure);
    outcome->acks[op.worker].push_back({op.task_id, op.epoch, false, failure.error});
    return;
  }
  has_dependents_->Bind(1, op.task_id);
  const bool dependents = has_dependents_->Step();
  has_dependents_->Reset();
  if (dependents) {
    unblock_->Bind(1, op.task_id).Run();
    if (db_.Changes() > 0) outcome->unblocked = true;
  }
  Event(now, "done", op, "");
  db_.Exec("RELEASE result");
  ++outcome->results;
  outcome->acks[op.worker].push_back({op.task_id, op.epoch, true, ""});
}

// Why the file at the database's path is no longer the one this store writes ("" when it is):
// deleted, renamed away, or replaced by another file. Writes would go to an unlinked file (or
// another coordinator's), so acknowledging them would lose results. One stat per Flush().
std::string TaskStore::DatabaseChanged() const {
  struct stat now = {};
  if (::stat(options_.db_path.c_str(), &now) != 0) return "the database file was deleted or moved away";
  if (now.st_dev != db_device_ || now.st_ino != db_inode_)
    return "the database file was replaced by another file";
  return "";
}

FlushOutcome TaskStore::Flush(int64_t now, const std::vector<WorkerSeen>& seen) {
  FlushOutcome outcome;
  if (const std::string changed = DatabaseChanged(); !changed.empty()) {
    spdlog::error("{}: {}; dispatching stopped", db_.path(), changed);
    Fail(
        "{}: {} while the coordinator ran; dispatching stopped, nothing after the last commit was "
        "acknowledged; put the database back (or start a coordinator on the new file)",
        db_.path(), changed);
  }
  if (!HasWrites()) return outcome;
  try {
    FlushBatch(now, seen, &outcome);
  } catch (const Error& error) {
    const bool full = std::string(error.what()).find("full") != std::string::npos;
    spdlog::error("{}: cannot write the store{}; dispatching stopped", db_.path(),
                  full ? " (disk or size cap full)" : "");
    Fail(
        "{}: cannot write the store{}: {}; dispatching stopped, nothing after the last commit was "
        "acknowledged; free space (or raise --max-db-mb) and start the coordinator again",
        db_.path(), full ? " (disk or size cap full)" : "", error.what());
  }
  return outcome;
}

void TaskStore::FlushBatch(int64_t now, const std::vector<WorkerSeen>& seen, FlushOutcome* outcome) {
  std::vector<Op> ops;
  ops.swap(ops_);
  Transaction transaction(db_);
  for (Op& op : ops) {
    switch (op.kind) {
      case OpKind::kDispatch:
        dispatch_->Bind(1, op.task_id)
            .Bind(2, op.epoch)
            .Bind(3, PrintableRoutingId(op.worker))
            .Bind(4, now + options_.lease_ms)
            .Bind(5, now)
            .Run();
        if (db_.Changes() != 1)
          spdlog::warn("task {} was dispatched but is not queued in the store", op.task_id);
        break;
      case OpKind::kResult:
        ApplyResult(now, op, outcome);
        break;
      case OpKind::kFailure:
      case OpKind::kExpire:
      case OpKind::kReturn:
        ApplyFailure(now, op);
        if (op.kind != OpKind::kExpire) outcome->acks[op.worker].push_back({op.task_id, op.epoch, true, ""});
        break;
    }
  }
  for (const Op& op : refused_events_)
    Event(now, "refused", op, "outcome or lease claim for a lease that is not current");
  refused_events_.clear();
  for (const auto& [peer, pending] : hellos_) {
    const HelloMessage& hello = pending.hello;
    const nlohmann::json loaded =
        hello.loaded_models ? nlohmann::json(*hello.loaded_models) : nlohmann::json::array();
    worker_upsert_->Bind(1, PrintableRoutingId(peer))
        .Bind(2, hello.info.host)
        .Bind(3, hello.info.pid)
        .Bind(4, hello.info.device)
        .Bind(5, hello.info.memory_bytes)
        .Bind(6, hello.capacity)
        .Bind(7, hello.info.versions_json)
        .Bind(8, loaded.dump())
        .Bind(9, now)
        .Run();
    session_upsert_->Bind(1, kSessionMetaPrefix + PrintableRoutingId(peer))
        .Bind(2, pending.key.empty() ? pending.session_digest : pending.session_digest + " " + pending.key)
        .Run();
  }
  hellos_.clear();
  for (const auto& [peer, state] : gone_) {
    worker_seen_->Bind(1, PrintableRoutingId(peer)).Bind(2, now).Bind(3, state).Run();
    // A worker that said bye returned its leases: its session has nothing left to prove.
    if (state == "gone") session_delete_->Bind(1, kSessionMetaPrefix + PrintableRoutingId(peer)).Run();
  }
  gone_.clear();
  for (const WorkerSeen& worker : seen)
    worker_seen_->Bind(1, PrintableRoutingId(worker.peer))
        .Bind(2, worker.last_seen)
        .Bind(3, "connected")
        .Run();
  transaction.Commit();
  ++commits_;
  has_side_writes_ = false;
}

// ---- reads ----

bool TaskStore::Recorded(int64_t task_id, int64_t epoch, bool result) {
  task_state_->Bind(1, task_id);
  std::string state;
  int64_t stored_epoch = -1;
  if (task_state_->Step()) {
    state = task_state_->ColumnText(0);
    stored_epoch = task_state_->ColumnInt(1);
  }
  task_state_->Reset();
  return stored_epoch == epoch && ((result && state == "done") || (!result && state != "running"));
}

std::vector<ReadyTask> TaskStore::Ready(int64_t now, int64_t limit) {
  std::vector<ReadyTask> ready;
  ready_->Bind(1, now).Bind(2, limit);
  while (ready_->Step()) {
    ready.push_back({ready_->ColumnInt(0), ready_->ColumnText(1), ready_->ColumnText(2),
                     ready_->ColumnText(3), ready_->ColumnText(4), ready_->ColumnInt(5)});
  }
  ready_->Reset();
  return ready;
}

nlohmann::json TaskStore::TaskInputs(int64_t task_id, const nlohmann::json& specs,
                                     std::vector<zmq::message_t>* blobs) {
  return LoadTaskInputs(db_, result_tables_, task_id, specs, blobs);
}

nlohmann::json TaskStore::Control(const ControlMessage& control) {
  nlohmann::json reply = {{"ok", true}};
  try {
    if (control.op == "submit") {
      const Campaign campaign = CampaignFromJson(control.resolved);
      const SubmitStats submitted = SubmitCampaign(db_, campaign, EMOSCOPE_CODE_VERSION);
      reply["campaign"] = campaign.name;
      reply["total"] = submitted.total;
      reply["added"] = submitted.added;
    } else {
      const CampaignOp campaign_op = ParseCampaignOp(control.op);
      reply["changed"] = ApplyCampaignOp(db_, control.campaign, campaign_op);
    }
  } catch (const ProtocolError&) {
    throw;
  } catch (const std::exception& error) {
    reply = {{"ok", false}, {"error", error.what()}};
  }
  return reply;
}

}  // namespace emoscope
