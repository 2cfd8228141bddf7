#include "coordinator/coordinator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>
#include <zmq_addon.hpp>

#include "common/error.h"
#include "common/log.h"
#include "coordinator/result_tables.h"
#include "coordinator/task_inputs.h"
#include "emoscope_version.h"
#include "jobs/campaign.h"
#include "jobs/campaign_control.h"
#include "jobs/submit.h"
#include "protocol/curve.h"
#include "protocol/message.h"
#include "schema/database.h"

namespace emoscope {
namespace {

// Messages handled per poll wake-up before dispatching and flushing again.
constexpr int kMaxMessagesPerTurn = 2000;
// Outbound queue bound per peer; a peer that falls this far behind is treated as gone.
constexpr int kSendHighWaterMark = 200000;
// When no task is ready, look again at most this often (backoff delays end, deps unblock).
constexpr int64_t kEmptyRefillIntervalMs = 50;
// Malformed messages are logged individually up to this many, then only counted.
constexpr int64_t kMalformedLogLimit = 100;

struct ReadyTask {
  int64_t id = 0;
  std::string kind;
  std::string params;
  std::string model_path;
  std::string model_checksum;  // "" for tasks without a model
  int64_t attempts = 0;
};

struct Lease {
  int64_t epoch = 0;
  std::string worker;  // routing id of the holder
  int64_t attempt = 0;
  int64_t deadline = 0;    // only for recovered leases not yet re-adopted
  bool recovered = false;  // from a previous coordinator run, waiting for its worker's hello
};

struct WorkerState {
  int64_t capacity = 0;
  std::set<int64_t> leases;
  std::set<std::string> loaded_models;  // weight checksums
  int64_t last_seen = 0;
};

enum class OpKind { kDispatch, kResult, kFailure, kExpire, kReturn };

struct PendingOp {
  OpKind kind = OpKind::kExpire;
  int64_t task_id = 0;
  int64_t epoch = 0;
  std::string worker;
  int64_t attempt = 0;
  std::string error;
  bool retryable = true;
  bool recovered = false;
  nlohmann::json rows;
  std::vector<zmq::message_t> blobs;
};

struct Ack {
  int64_t task_id;
  int64_t epoch;
  bool accepted;
  std::string reason;
};

std::string Printable(const std::string& routing_id) {
  std::string out;
  for (char c : routing_id) out += (c >= 32 && c < 127) ? c : '?';
  return out.substr(0, 80);
}

}  // namespace

class Coordinator::Impl {
 public:
  Impl(const CoordinatorOptions& options, std::atomic<bool>& stop)
      : options_(options),
        stop_(stop),
        db_(options.db_path, OpenMode::kReadWrite),
        result_tables_(db_),
        socket_(context_, zmq::socket_type::router),
        rng_(std::random_device{}()) {
    if (options.sync_full) db_.Exec("PRAGMA synchronous = FULL");
    if (options.max_db_bytes > 0) {
      Statement page_size = db_.Prepare("PRAGMA page_size");
      page_size.Step();
      const int64_t pages = std::max<int64_t>(options.max_db_bytes / std::max<int64_t>(page_size.ColumnInt(0), 1), 1);
      db_.Exec("PRAGMA max_page_count = " + std::to_string(pages));
    }
    const bool curve = !options.curve_secret_file.empty() || !options.curve_allow.empty();
    if (curve && (options.curve_secret_file.empty() || options.curve_allow.empty())) {
      Fail("CURVE needs both the coordinator's secret key (--curve-secret) and the allow-list (--curve-allow)");
    }
    if (!curve && !options.insecure && !IsLoopbackEndpoint(options.bind)) {
      Fail("refusing to bind {} without CURVE: peers on the network could join and read results; give "
           "--curve-secret and --curve-allow, or --insecure on a trusted network (docs/security.md)", options.bind);
    }
    if (!curve && !IsLoopbackEndpoint(options.bind)) {
      spdlog::warn("serving {} without CURVE (--insecure): anyone who can connect can take tasks and send results", options.bind);
    }
    if (curve) {
      // The handler exists before the bind, so no handshake can find the domain unhandled.
      zap_ = std::make_unique<ZapHandler>(context_, LoadCurveAllowList(options.curve_allow));
      ApplyCurveServer(socket_, LoadCurveSecret(options.curve_secret_file));
    }
    socket_.set(zmq::sockopt::router_mandatory, 1);
    socket_.set(zmq::sockopt::router_handover, 1);
    socket_.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
    socket_.set(zmq::sockopt::sndhwm, kSendHighWaterMark);
    socket_.set(zmq::sockopt::rcvhwm, kSendHighWaterMark);
    socket_.set(zmq::sockopt::linger, 0);
    try {
      socket_.bind(options.bind);
    } catch (const zmq::error_t& error) {
      Fail("cannot bind {}: {}", options.bind, error.what());
    }
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    PrepareStatements();
    Recover();
  }

  std::string endpoint() const { return endpoint_; }
  CoordinatorStats stats() const {
    CoordinatorStats stats = stats_;
    if (zap_) {
      stats.zap_accepted = zap_->accepted();
      stats.zap_refused = zap_->refused();
    }
    return stats;
  }

  void Run() {
    spdlog::info("coordinator serving {} on {} (run {})", db_.path(), endpoint_, run_);
    int64_t next_heartbeat = NowMs();
    while (!stop_.load()) {
      const int64_t now = NowMs();
      int64_t timeout = std::min<int64_t>(next_heartbeat - now, 100);
      if (!pending_.empty())
        timeout = std::min<int64_t>(timeout, batch_started_ + options_.batch_delay_ms - now);
      std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      if (zap_) items.push_back({zap_->socket().handle(), 0, ZMQ_POLLIN, 0});
      PollIgnoringSignals(items, std::chrono::milliseconds(std::max<int64_t>(timeout, 0)));
      if (zap_) zap_->HandlePending();
      for (int count = 0; count < kMaxMessagesPerTurn; ++count) {
        std::vector<zmq::message_t> frames;
        const auto received =
            zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait);
        if (!received) break;
        HandleFrames(frames);
      }
      Dispatch();
      if (!pending_.empty() && (static_cast<int>(pending_.size()) >= options_.batch_max ||
                                NowMs() >= batch_started_ + options_.batch_delay_ms)) {
        Flush();
      }
      if (NowMs() >= next_heartbeat) {
        SendHeartbeats();
        ExpireLeases();
        next_heartbeat = NowMs() + options_.heartbeat_ms;
      }
    }
    Flush();
    spdlog::info("coordinator stopped: {} dispatched, {} results, {} refused, {} malformed",
                 stats_.dispatched, stats_.results, stats_.refused, stats_.malformed);
  }

 private:
  void PrepareStatements() {
    dispatch_ = std::make_unique<Statement>(
        db_,
        "UPDATE tasks SET state = 'running', lease_epoch = ?2, worker = ?3, lease_deadline = ?4, "
        "attempts = attempts + 1, started_at = coalesce(started_at, ?5) WHERE id = ?1 AND state = 'queued'");
    complete_ = std::make_unique<Statement>(
        db_,
        "UPDATE tasks SET state = 'done', finished_at = ?3, lease_deadline = NULL, error = NULL "
        "WHERE id = ?1 AND lease_epoch = ?2 AND state = 'running'");
    has_dependents_ =
        std::make_unique<Statement>(db_, "SELECT 1 FROM task_deps WHERE depends_on = ? LIMIT 1");
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
    fail_ = std::make_unique<Statement>(db_,
                                        "UPDATE tasks SET state = 'failed', finished_at = ?2, lease_deadline "
                                        "= NULL, error = ?3 WHERE id = ?1");
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
        "ON CONFLICT (identity) DO UPDATE SET host = ?2, pid = ?3, device = ?4, memory_bytes = ?5, slots = "
        "?6, "
        "versions = ?7, loaded_models = ?8, connected_at = ?9, last_heartbeat = ?9, state = 'connected'");
    worker_seen_ = std::make_unique<Statement>(
        db_, "UPDATE workers SET last_heartbeat = ?2, state = ?3 WHERE identity = ?1");
    task_state_ = std::make_unique<Statement>(db_, "SELECT state, lease_epoch FROM tasks WHERE id = ?");
  }

  // Fencing epochs: the run number in the high 32 bits, so no two leases ever share one, even
  // across crashes that lost the last dispatches.
  void Recover() {
    Transaction transaction(db_);
    Statement read = db_.Prepare("SELECT value FROM meta WHERE key = 'coordinator_run'");
    run_ = read.Step() ? std::stoll(read.ColumnText(0)) + 1 : 1;
    db_.Prepare(
           "INSERT INTO meta (key, value) VALUES ('coordinator_run', ?) ON CONFLICT (key) DO UPDATE SET "
           "value = excluded.value")
        .Bind(1, std::to_string(run_))
        .Run();
    next_epoch_ = run_ << 32;
    db_.Exec("UPDATE workers SET state = 'lost' WHERE state = 'connected'");
    Statement running = db_.Prepare(
        "SELECT id, lease_epoch, coalesce(worker, ''), attempts FROM tasks WHERE state = 'running'");
    const int64_t deadline = NowMs() + options_.lease_ms;
    while (running.Step()) {
      Lease lease;
      lease.epoch = running.ColumnInt(1);
      lease.worker = running.ColumnText(2);
      lease.attempt = running.ColumnInt(3);
      lease.deadline = deadline;
      lease.recovered = true;
      leases_[running.ColumnInt(0)] = lease;
    }
    transaction.Commit();
    if (!leases_.empty())
      spdlog::info("recovered {} leases of the previous run; waiting {} ms for their workers", leases_.size(),
                   options_.lease_ms);
  }

  // ---- inbound ----

  void HandleFrames(std::vector<zmq::message_t>& frames) {
    if (frames.empty()) return;
    const std::string peer = frames[0].to_string();
    DecodeResult decoded = DecodeMessage(frames, 1);
    if (!decoded.message) {
      Reject(peer, decoded.error);
      return;
    }
    Message& message = *decoded.message;
    try {
      Handle(peer, message);
    } catch (const ProtocolError& error) {
      Reject(peer, error.what());
    }
  }

  void Reject(const std::string& peer, const std::string& reason) {
    ++stats_.malformed;
    if (stats_.malformed <= kMalformedLogLimit) {
      spdlog::warn("rejected a message from {}: {}", Printable(peer), reason);
    }
    Message reply(MessageType::kError, {{"reason", reason}});
    SendTo(peer, reply);
  }

  void Handle(const std::string& peer, Message& message) {
    if (message.type == MessageType::kControl) {
      HandleControl(peer, message);
      return;
    }
    if (message.type == MessageType::kHello) {
      HandleHello(peer, message);
      return;
    }
    auto worker = workers_.find(peer);
    if (worker == workers_.end()) {
      // A worker of a previous run, or one we declared lost. An outcome for a lease that is no
      // longer current is refused now (it can never become current again: epochs are unique);
      // anything else waits for the worker's hello, after which it resends.
      if (message.type == MessageType::kResult || message.type == MessageType::kFailure ||
          message.type == MessageType::kReturn) {
        const int64_t task_id = RequireInt(message, "task_id");
        const int64_t epoch = RequireInt(message, "epoch");
        auto lease = leases_.find(task_id);
        if (lease == leases_.end() || lease->second.epoch != epoch)
          RefuseOrConfirm(peer, message.type, task_id, epoch);
      }
      if (message.type != MessageType::kBye) {
        Message reset(MessageType::kReset, nlohmann::json::object());
        SendTo(peer, reset);
      }
      return;
    }
    worker->second.last_seen = NowMs();
    if (auto models = message.body.find("loaded_models");
        models != message.body.end() && models->is_array()) {
      worker->second.loaded_models.clear();
      for (const auto& model : *models) {
        if (model.is_string()) worker->second.loaded_models.insert(model.get<std::string>());
      }
    }
    switch (message.type) {
      case MessageType::kRequest:
        worker->second.capacity = std::max<int64_t>(0, RequireInt(message, "capacity"));
        break;
      case MessageType::kHeartbeat:
      case MessageType::kProgress:
        break;
      case MessageType::kResult:
      case MessageType::kFailure:
      case MessageType::kReturn:
        HandleOutcome(peer, worker->second, message);
        break;
      case MessageType::kBye:
        DropWorker(peer, /*lost=*/false);
        break;
      default:
        throw ProtocolError(
            fmt::format("unexpected message type '{}' from a worker", MessageTypeName(message.type)));
    }
  }

  void HandleHello(const std::string& peer, const Message& message) {
    const int64_t capacity = RequireInt(message, "capacity");
    const nlohmann::json& held = RequireArray(message, "leases");
    // Validate everything before registering anything: a malformed hello changes no state.
    std::vector<std::pair<int64_t, int64_t>> claims;
    for (const auto& entry : held) {
      if (!entry.is_object() || !entry.contains("task_id") || !entry.contains("epoch") ||
          !entry["task_id"].is_number_integer() || !entry["epoch"].is_number_integer()) {
        throw ProtocolError("hello message: leases must be [{task_id, epoch}]");
      }
      claims.emplace_back(entry["task_id"].get<int64_t>(), entry["epoch"].get<int64_t>());
    }
    const int64_t now = NowMs();
    WorkerState& worker = workers_[peer];
    worker.capacity = std::max<int64_t>(0, capacity);
    worker.last_seen = now;
    std::set<int64_t> listed;
    nlohmann::json revoked = nlohmann::json::array();
    for (const auto& [task_id, epoch] : claims) {
      auto lease = leases_.find(task_id);
      if (lease != leases_.end() && lease->second.epoch == epoch) {
        if (lease->second.worker != peer) {
          auto previous = workers_.find(lease->second.worker);
          if (previous != workers_.end()) previous->second.leases.erase(task_id);
        }
        lease->second.worker = peer;
        lease->second.recovered = false;
        worker.leases.insert(task_id);
        listed.insert(task_id);
      } else {
        revoked.push_back({{"task_id", task_id}, {"epoch", epoch}});
        PendingOp op;
        op.task_id = task_id;
        op.epoch = epoch;
        op.worker = peer;
        refused_events_.push_back(std::move(op));
        ++stats_.refused;
      }
    }
    // Leases we think it holds but it does not list were lost with its previous incarnation.
    for (auto it = worker.leases.begin(); it != worker.leases.end();) {
      if (listed.count(*it) == 0) {
        ExpireLease(*it, "the worker restarted without it");
        it = worker.leases.erase(it);
      } else {
        ++it;
      }
    }
    if (auto models = message.body.find("loaded_models");
        models != message.body.end() && models->is_array()) {
      for (const auto& model : *models) {
        if (model.is_string()) worker.loaded_models.insert(model.get<std::string>());
      }
    }
    pending_hellos_[peer] = message.body;
    MarkPending();
    spdlog::info("worker {} joined (capacity {}, {} leases re-adopted, {} revoked)", Printable(peer),
                 capacity, listed.size(), revoked.size());
    Message welcome(MessageType::kWelcome, {{"heartbeat_ms", options_.heartbeat_ms},
                                            {"lease_ms", options_.lease_ms},
                                            {"coordinator_run", run_},
                                            {"revoked", revoked}});
    SendTo(peer, welcome);
  }

  void HandleOutcome(const std::string& peer, WorkerState& worker, Message& message) {
    const int64_t task_id = RequireInt(message, "task_id");
    const int64_t epoch = RequireInt(message, "epoch");
    auto lease = leases_.find(task_id);
    const bool current =
        lease != leases_.end() && lease->second.epoch == epoch && lease->second.worker == peer;
    if (!current) {
      RefuseOrConfirm(peer, message.type, task_id, epoch);
      return;
    }
    PendingOp op;
    op.task_id = task_id;
    op.epoch = epoch;
    op.worker = peer;
    op.attempt = lease->second.attempt;
    if (message.type == MessageType::kResult) {
      op.kind = OpKind::kResult;
      op.rows = message.body.contains("rows") ? RequireObject(message, "rows") : nlohmann::json::object();
      op.blobs = std::move(message.blobs);
    } else if (message.type == MessageType::kFailure) {
      op.kind = OpKind::kFailure;
      op.error = RequireString(message, "error").substr(0, 4000);
      op.retryable = !message.body.contains("retryable") || message.body["retryable"] != false;
    } else {
      op.kind = OpKind::kReturn;
    }
    leases_.erase(lease);
    worker.leases.erase(task_id);
    AddPending(std::move(op));
  }

  // An outcome for a lease that is not current: acknowledged as recorded when the store says it
  // is (a resend after a lost ack), refused otherwise (the fencing rule).
  void RefuseOrConfirm(const std::string& peer, MessageType type, int64_t task_id, int64_t epoch) {
    Flush();
    task_state_->Bind(1, task_id);
    std::string state;
    int64_t stored_epoch = -1;
    if (task_state_->Step()) {
      state = task_state_->ColumnText(0);
      stored_epoch = task_state_->ColumnInt(1);
    }
    task_state_->Reset();
    if (stored_epoch == epoch && ((type == MessageType::kResult && state == "done") ||
                                  (type != MessageType::kResult && state != "running"))) {
      acks_[peer].push_back({task_id, epoch, true, "already recorded"});
    } else {
      ++stats_.refused;
      acks_[peer].push_back({task_id, epoch, false, "stale lease (fenced)"});
      PendingOp op;
      op.task_id = task_id;
      op.epoch = epoch;
      op.worker = peer;
      refused_events_.push_back(std::move(op));
      MarkPending();
    }
    SendAcks();
  }

  void HandleControl(const std::string& peer, const Message& message) {
    const std::string op = RequireString(message, "op");
    nlohmann::json reply_body = {{"ok", true}};
    const int64_t started = NowMs();
    Flush();
    try {
      if (op == "submit") {
        const Campaign campaign =
            ParseCampaign(RequireString(message, "spec"), message.body.value("file", "campaign"));
        const SubmitStats submitted = SubmitCampaign(db_, campaign, EMOSCOPE_CODE_VERSION);
        reply_body["campaign"] = campaign.name;
        reply_body["total"] = submitted.total;
        reply_body["added"] = submitted.added;
      } else {
        const CampaignOp campaign_op = ParseCampaignOp(op);
        reply_body["changed"] = ApplyCampaignOp(db_, RequireString(message, "campaign"), campaign_op);
      }
    } catch (const ProtocolError&) {
      throw;
    } catch (const std::exception& error) {
      reply_body = {{"ok", false}, {"error", error.what()}};
    }
    // New or changed tasks: drop the dispatch buffer so priorities and pauses apply at once.
    ready_.clear();
    next_refill_ = 0;
    // A long submission stalled the loop: do not hold that against the workers' heartbeats.
    const int64_t stalled = NowMs() - started;
    if (stalled > options_.heartbeat_ms) {
      for (auto& [identity, worker] : workers_) worker.last_seen += stalled;
      for (auto& [task_id, lease] : leases_) lease.deadline += stalled;
    }
    Message reply(MessageType::kControlReply, reply_body);
    SendTo(peer, reply);
  }

  // ---- dispatch ----

  void Refill() {
    const int64_t now = NowMs();
    if (now < next_refill_) return;
    Flush();  // The query must see every dispatch so far.
    if (!refill_) {
      refill_ = std::make_unique<Statement>(
          db_,
          "SELECT t.id, t.kind, t.params, coalesce(m.path, ''), coalesce(m.checksum, ''), t.attempts "
          "FROM tasks t JOIN campaigns c ON c.id = t.campaign_id LEFT JOIN models m ON m.id = t.model_id "
          "WHERE t.state = 'queued' AND t.not_before <= ?1 AND c.state = 'active' "
          "ORDER BY t.priority DESC, t.id LIMIT ?2");
    }
    refill_->Bind(1, now).Bind(2, options_.prefetch);
    while (refill_->Step()) {
      const int64_t id = refill_->ColumnInt(0);
      if (leases_.count(id) > 0) continue;
      ready_.push_back({id, refill_->ColumnText(1), refill_->ColumnText(2), refill_->ColumnText(3),
                        refill_->ColumnText(4), refill_->ColumnInt(5)});
    }
    refill_->Reset();
    if (ready_.empty()) next_refill_ = now + kEmptyRefillIntervalMs;
  }

  // The next task for `peer`: refills the buffer first (which commits the batch and may drop
  // unreachable workers), so the worker is looked up only afterwards.
  std::optional<ReadyTask> Pick(const std::string& peer) {
    if (ready_.empty()) Refill();
    auto worker = workers_.find(peer);
    if (ready_.empty() || worker == workers_.end()) return std::nullopt;
    auto chosen = ready_.begin();
    const std::set<std::string>& loaded = worker->second.loaded_models;
    if (!loaded.empty()) {
      // Model affinity: the first task (in priority order) whose model this worker has loaded.
      auto match = std::find_if(ready_.begin(), ready_.end(), [&](const ReadyTask& task) {
        return !task.model_checksum.empty() && loaded.count(task.model_checksum) > 0;
      });
      if (match != ready_.end()) chosen = match;
    }
    ReadyTask task = std::move(*chosen);
    ready_.erase(chosen);
    return task;
  }

  void Dispatch() {
    std::vector<std::string> peers;
    for (const auto& [peer, worker] : workers_) peers.push_back(peer);
    bool progress = true;
    // One task per worker per round, so workers share the queue fairly.
    while (progress) {
      progress = false;
      for (const std::string& peer : peers) {
        auto found = workers_.find(peer);
        if (found == workers_.end() ||
            static_cast<int64_t>(found->second.leases.size()) >= found->second.capacity)
          continue;
        std::optional<ReadyTask> task = Pick(peer);
        if (!task) {
          if (ready_.empty()) return;
          continue;  // This worker went away while the buffer was refilled.
        }
        WorkerState& worker = workers_.at(peer);
        Lease lease;
        lease.epoch = ++next_epoch_;
        lease.worker = peer;
        lease.attempt = task->attempts + 1;
        nlohmann::json body = {{"task_id", task->id},
                               {"epoch", lease.epoch},
                               {"kind", task->kind},
                               {"attempt", lease.attempt},
                               {"params", nlohmann::json::parse(task->params, nullptr, false)}};
        if (!task->model_checksum.empty()) body["model"] = {{"path", task->model_path}, {"checksum", task->model_checksum}};
        std::vector<zmq::message_t> input_blobs;
        if (body["params"].is_object() && body["params"].contains("inputs")) {
          // Results of the tasks it depends on (coordinator/task_inputs.h). A bad spec fails the
          // task on the worker, through the usual failure path, instead of stalling the queue.
          try {
            body["inputs"] = LoadTaskInputs(db_, result_tables_, task->id, body["params"]["inputs"], &input_blobs);
          } catch (const std::exception& error) {
            body["inputs_error"] = error.what();
            input_blobs.clear();
          }
        }
        Message message(MessageType::kTask, std::move(body));
        message.blobs = std::move(input_blobs);
        leases_[task->id] = lease;
        worker.leases.insert(task->id);
        PendingOp op;
        op.kind = OpKind::kDispatch;
        op.task_id = task->id;
        op.epoch = lease.epoch;
        op.worker = peer;
        AddPending(std::move(op));
        ++stats_.dispatched;
        if (!SendTo(peer, message)) continue;  // The worker is gone: its leases were expired.
        progress = true;
      }
    }
  }

  // ---- leases and workers ----

  void ExpireLease(int64_t task_id, const std::string& why) {
    auto lease = leases_.find(task_id);
    if (lease == leases_.end()) return;
    PendingOp op;
    op.kind = OpKind::kExpire;
    op.task_id = task_id;
    op.epoch = lease->second.epoch;
    op.worker = lease->second.worker;
    op.recovered = lease->second.recovered;
    op.error = "lease expired: " + why;
    leases_.erase(lease);
    AddPending(std::move(op));
  }

  void DropWorker(const std::string& peer, bool lost) {
    auto worker = workers_.find(peer);
    if (worker == workers_.end()) return;
    for (const int64_t task_id : worker->second.leases) {
      if (lost) {
        ExpireLease(task_id, "worker " + Printable(peer) + " lost");
      } else {
        auto lease = leases_.find(task_id);
        if (lease == leases_.end()) continue;
        PendingOp op;
        op.kind = OpKind::kReturn;
        op.task_id = task_id;
        op.epoch = lease->second.epoch;
        op.worker = peer;
        leases_.erase(lease);
        AddPending(std::move(op));
      }
    }
    if (lost)
      spdlog::warn("worker {} lost ({} leases expired)", Printable(peer), worker->second.leases.size());
    gone_workers_[peer] = lost ? "lost" : "gone";
    workers_.erase(worker);
    MarkPending();
  }

  void ExpireLeases() {
    const int64_t now = NowMs();
    std::vector<std::string> silent;
    for (const auto& [peer, worker] : workers_) {
      if (now - worker.last_seen > options_.lease_ms) silent.push_back(peer);
    }
    for (const std::string& peer : silent) DropWorker(peer, /*lost=*/true);
    std::vector<int64_t> orphaned;
    for (const auto& [task_id, lease] : leases_) {
      if (lease.recovered && now > lease.deadline) orphaned.push_back(task_id);
    }
    for (const int64_t task_id : orphaned)
      ExpireLease(task_id, "its worker did not come back after a coordinator restart");
  }

  void SendHeartbeats() {
    std::vector<std::string> peers;
    for (const auto& [peer, worker] : workers_) peers.push_back(peer);
    for (const std::string& peer : peers) {
      Message heartbeat(MessageType::kHeartbeat, nlohmann::json::object());
      SendTo(peer, heartbeat);
    }
  }

  // ---- outbound ----

  // False when the peer is unreachable (gone, or its queue is full); a worker that cannot be
  // reached is dropped and its leases expire.
  bool SendTo(const std::string& peer, Message& message) {
    std::vector<zmq::message_t> frames = EncodeMessage(message);
    try {
      socket_.send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      for (size_t index = 0; index < frames.size(); ++index) {
        const auto flags = index + 1 < frames.size() ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                                     : zmq::send_flags::dontwait;
        socket_.send(frames[index], flags);
      }
      return true;
    } catch (const zmq::error_t& error) {
      spdlog::debug("cannot send {} to {}: {}", MessageTypeName(message.type), Printable(peer), error.what());
      if (workers_.count(peer) > 0) DropWorker(peer, /*lost=*/true);
      return false;
    }
  }

  void SendAcks() {
    std::map<std::string, std::vector<Ack>> acks;
    acks.swap(acks_);
    for (auto& [peer, list] : acks) {
      nlohmann::json entries = nlohmann::json::array();
      for (const Ack& ack : list) {
        nlohmann::json entry = {{"task_id", ack.task_id}, {"epoch", ack.epoch}, {"accepted", ack.accepted}};
        if (!ack.reason.empty()) entry["reason"] = ack.reason;
        entries.push_back(std::move(entry));
      }
      Message message(MessageType::kAck, {{"acks", std::move(entries)}});
      SendTo(peer, message);
    }
  }

  // ---- the write batch ----

  void MarkPending() {
    if (pending_.empty() && !has_side_writes_) batch_started_ = NowMs();
    has_side_writes_ = true;
  }

  void AddPending(PendingOp op) {
    if (pending_.empty() && !has_side_writes_) batch_started_ = NowMs();
    pending_.push_back(std::move(op));
  }

  void Event(int64_t now, const char* kind, const PendingOp& op, const std::string& detail) {
    event_->Bind(1, now).Bind(2, kind).Bind(3, op.task_id).Bind(4, Printable(op.worker)).Bind(5, op.epoch);
    detail.empty() ? event_->BindNull(6) : event_->Bind(6, detail);
    event_->Run();
  }

  int64_t BackoffMs(int64_t attempts) {
    const double base =
        options_.retry_base_ms * std::pow(2.0, static_cast<double>(std::max<int64_t>(attempts - 1, 0)));
    const double capped = std::min<double>(base, options_.retry_max_ms);
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return static_cast<int64_t>(capped * jitter(rng_));
  }

  // A failed or expired lease: retried after a backoff, or failed for good.
  void ApplyFailure(int64_t now, const PendingOp& op) {
    lease_row_->Bind(1, op.task_id).Bind(2, op.epoch);
    if (!lease_row_->Step()) {
      lease_row_->Reset();
      return;  // Not running under this epoch any more: nothing to undo.
    }
    const int64_t attempts = lease_row_->ColumnInt(0);
    const int64_t max_attempts = lease_row_->ColumnInt(1);
    const std::string campaign_state = lease_row_->ColumnText(2);
    lease_row_->Reset();
    if (op.kind == OpKind::kReturn || op.recovered) {
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
  // corrupt) or the transaction is gone (SQLite rolls back by itself on some of those), as
  // opposed to a result that does not fit its table.
  bool IsStorageFailure() {
    const int code = sqlite3_errcode(db_.handle()) & 0xff;
    return sqlite3_get_autocommit(db_.handle()) != 0 || code == SQLITE_FULL || code == SQLITE_IOERR ||
           code == SQLITE_NOMEM || code == SQLITE_READONLY || code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
  }

  void ApplyResult(int64_t now, PendingOp& op) {
    db_.Exec("SAVEPOINT result");
    complete_->Bind(1, op.task_id).Bind(2, op.epoch).Bind(3, now).Run();
    if (db_.Changes() != 1) {
      db_.Exec("RELEASE result");
      ++stats_.refused;
      acks_[op.worker].push_back({op.task_id, op.epoch, false, "stale lease (fenced)"});
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
      PendingOp failure;
      failure.kind = OpKind::kFailure;
      failure.task_id = op.task_id;
      failure.epoch = op.epoch;
      failure.worker = op.worker;
      failure.retryable = false;
      failure.error = std::string("result rejected: ") + error.what();
      spdlog::warn("task {}: {}", op.task_id, failure.error);
      ApplyFailure(now, failure);
      acks_[op.worker].push_back({op.task_id, op.epoch, false, failure.error});
      return;
    }
    has_dependents_->Bind(1, op.task_id);
    const bool dependents = has_dependents_->Step();
    has_dependents_->Reset();
    if (dependents) {
      unblock_->Bind(1, op.task_id).Run();
      if (db_.Changes() > 0) next_refill_ = 0;
    }
    Event(now, "done", op, "");
    db_.Exec("RELEASE result");
    ++stats_.results;
    acks_[op.worker].push_back({op.task_id, op.epoch, true, ""});
  }

  // A failed write ends the coordinator: the transaction is rolled back and nothing in it was
  // acknowledged, so the store stays consistent and workers resend to the next coordinator.
  // Dispatching on would hand out leases the store does not know.
  void Flush() {
    try {
      FlushBatch();
    } catch (const Error& error) {
      const bool full = std::string(error.what()).find("full") != std::string::npos;
      spdlog::error("{}: cannot write the store{}; dispatching stopped", db_.path(), full ? " (disk or size cap full)" : "");
      Fail("{}: cannot write the store{}: {}; dispatching stopped, nothing after the last commit was acknowledged; "
           "free space (or raise --max-db-mb) and start the coordinator again",
           db_.path(), full ? " (disk or size cap full)" : "", error.what());
    }
  }

  void FlushBatch() {
    if (pending_.empty() && !has_side_writes_) return;
    const int64_t now = NowMs();
    std::vector<PendingOp> ops;
    ops.swap(pending_);
    Transaction transaction(db_);
    for (PendingOp& op : ops) {
      switch (op.kind) {
        case OpKind::kDispatch:
          dispatch_->Bind(1, op.task_id)
              .Bind(2, op.epoch)
              .Bind(3, Printable(op.worker))
              .Bind(4, now + options_.lease_ms)
              .Bind(5, now)
              .Run();
          if (db_.Changes() != 1)
            spdlog::warn("task {} was dispatched but is not queued in the store", op.task_id);
          break;
        case OpKind::kResult:
          ApplyResult(now, op);
          break;
        case OpKind::kFailure:
        case OpKind::kExpire:
        case OpKind::kReturn:
          ApplyFailure(now, op);
          if (op.kind != OpKind::kExpire) acks_[op.worker].push_back({op.task_id, op.epoch, true, ""});
          break;
      }
    }
    for (const PendingOp& op : refused_events_)
      Event(now, "refused", op, "outcome or lease claim for a lease that is not current");
    refused_events_.clear();
    for (const auto& [peer, hello] : pending_hellos_) {
      const nlohmann::json empty = nlohmann::json::object();
      const nlohmann::json& info =
          hello.contains("info") && hello["info"].is_object() ? hello["info"] : empty;
      worker_upsert_->Bind(1, Printable(peer))
          .Bind(2, info.value("host", ""))
          .Bind(3, info.value("pid", int64_t{0}))
          .Bind(4, info.value("device", ""))
          .Bind(5, info.value("memory_bytes", int64_t{0}))
          .Bind(6, hello.value("capacity", int64_t{0}))
          .Bind(7, info.contains("versions") ? info["versions"].dump() : "{}")
          .Bind(8, hello.contains("loaded_models") ? hello["loaded_models"].dump() : "[]")
          .Bind(9, now)
          .Run();
    }
    pending_hellos_.clear();
    for (const auto& [peer, state] : gone_workers_)
      worker_seen_->Bind(1, Printable(peer)).Bind(2, now).Bind(3, state).Run();
    gone_workers_.clear();
    if (now - last_seen_write_ >= options_.heartbeat_ms) {
      for (const auto& [peer, worker] : workers_) {
        worker_seen_->Bind(1, Printable(peer)).Bind(2, worker.last_seen).Bind(3, "connected").Run();
      }
      last_seen_write_ = now;
    }
    transaction.Commit();
    ++stats_.commits;
    has_side_writes_ = false;
    SendAcks();
  }

  CoordinatorOptions options_;
  std::atomic<bool>& stop_;
  Database db_;
  ResultTables result_tables_;
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::unique_ptr<ZapHandler> zap_;  // only with CURVE
  std::string endpoint_;
  std::mt19937_64 rng_;
  int64_t run_ = 0;
  int64_t next_epoch_ = 0;

  std::map<std::string, WorkerState> workers_;
  std::unordered_map<int64_t, Lease> leases_;
  std::deque<ReadyTask> ready_;
  int64_t next_refill_ = 0;

  std::vector<PendingOp> pending_;
  std::vector<PendingOp> refused_events_;
  std::map<std::string, nlohmann::json> pending_hellos_;
  std::map<std::string, std::string> gone_workers_;
  std::map<std::string, std::vector<Ack>> acks_;
  bool has_side_writes_ = false;
  int64_t batch_started_ = 0;
  int64_t last_seen_write_ = 0;
  CoordinatorStats stats_;

  std::unique_ptr<Statement> dispatch_, complete_, has_dependents_, unblock_, cascade_, lease_row_, fail_,
      requeue_, event_, worker_upsert_, worker_seen_, task_state_, refill_;
};

Coordinator::Coordinator(const CoordinatorOptions& options) : impl_(std::make_unique<Impl>(options, stop_)) {}
Coordinator::~Coordinator() = default;
std::string Coordinator::endpoint() const { return impl_->endpoint(); }
void Coordinator::Run() { impl_->Run(); }
CoordinatorStats Coordinator::stats() const { return impl_->stats(); }

}  // namespace emoscope
