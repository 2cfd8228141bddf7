#include "coordinator/coordinator.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
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
#include "common/sha256.h"
#include "coordinator/result_tables.h"
#include "coordinator/task_inputs.h"
#include "emoscope_version.h"
#include "jobs/campaign.h"
#include "jobs/campaign_control.h"
#include "jobs/campaign_wire.h"
#include "jobs/submit.h"
#include "protocol/curve.h"
#include "protocol/message.h"
#include "protocol/message_schema.h"
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
// "refused" events one peer may write per window; beyond it refusals are only counted, so a peer
// cannot fill the events table (25,000 bogus claims in one hello were 25,000 rows).
constexpr int64_t kRefusedEventsPerPeer = 100;
constexpr int64_t kRefusedEventWindowMs = 60000;
// The meta table's key prefix for a worker's session digest (re-adoption after a restart).
constexpr const char* kSessionMetaPrefix = "session:";

struct ReadyTask {
  int64_t id = 0;
  std::string kind;
  std::string params;
  std::string model_path;
  std::string model_checksum;  // "" for tasks without a model
  int64_t attempts = 0;
};

// A lease is bound to its holder: the routing id, the session credential issued in the
// holder's welcome and, under CURVE, the public key it authenticated with. An outcome or a
// re-adoption counts only when all three match (docs/protocol.md, "Sessions").
struct Lease {
  int64_t epoch = 0;
  std::string worker;   // routing id of the holder (printable form for leases from the store)
  std::string session;  // the holder's session; "" for leases recovered from the store
  std::string key;      // the holder's CURVE public key (Z85); "" without CURVE
  int64_t attempt = 0;
  int64_t deadline = 0;           // only while waiting for the holder's hello
  bool recovered = false;         // waiting for its holder's hello: after a coordinator restart, after
                                  // another connection took the holder's routing id over, or after the
                                  // holder became unreachable
  bool charge_on_expiry = false;  // unreachable holder: expiring by deadline charges the attempt
};

struct WorkerState {
  int64_t capacity = 0;
  std::string session;  // issued in the welcome; every later message must carry it
  std::string key;      // CURVE public key of the connection that said hello
  std::set<int64_t> leases;
  std::set<std::string> loaded_models;  // weight checksums
  int64_t last_seen = 0;
};

// What FlushBatch writes for a hello: the worker row and the session digest.
struct PendingHello {
  HelloMessage hello;
  std::string session_digest;
  std::string key;
};

// A session credential: 128 random bits from the kernel, as 32 hex characters.
std::string NewSession() {
  unsigned char bytes[16];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    const ssize_t got = ::getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      Fail("getrandom failed: {}", std::strerror(errno));
    }
    filled += static_cast<size_t>(got);
  }
  std::string out;
  for (const unsigned char byte : bytes) out += fmt::format("{:02x}", byte);
  return out;
}

// The public key a CURVE peer authenticated with (the ZAP handler's User-Id), "" when none.
std::string PeerKey(zmq::message_t& frame) {
  const char* user = zmq_msg_gets(frame.handle(), "User-Id");
  return user == nullptr ? std::string() : std::string(user);
}

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

// A tcp:// endpoint's port must be a number up to 65535 or '*' (libzmq would take 70000 as
// 4464, its value modulo 65536); "" when it is, the reason otherwise.
std::string BadTcpPort(const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return "";
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon < 6) return "has no port";
  const std::string port = endpoint.substr(colon + 1);
  if (port == "*") return "";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return "has port '" + port + "', not a number from 0 to 65535";
  return "";
}

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
      const int64_t pages =
          std::max<int64_t>(options.max_db_bytes / std::max<int64_t>(page_size.ColumnInt(0), 1), 1);
      db_.Exec("PRAGMA max_page_count = " + std::to_string(pages));
    }
    if (const std::string bad = BadTcpPort(options.bind); !bad.empty())
      Fail("cannot bind {}: the endpoint {}", options.bind, bad);
    const bool curve = !options.curve_secret_file.empty() || !options.curve_allow.empty();
    if (curve && (options.curve_secret_file.empty() || options.curve_allow.empty())) {
      Fail(
          "CURVE needs both the coordinator's secret key (--curve-secret) and the allow-list "
          "(--curve-allow)");
    }
    if (!curve && !options.insecure && !IsLoopbackEndpoint(options.bind)) {
      Fail(
          "refusing to bind {} without CURVE: peers on the network could join and read results; give "
          "--curve-secret and --curve-allow, or --insecure on a trusted network (docs/security.md)",
          options.bind);
    }
    if (!curve && !IsLoopbackEndpoint(options.bind)) {
      spdlog::warn(
          "serving {} without CURVE (--insecure): anyone who can connect can take tasks and send results",
          options.bind);
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
    struct stat identity = {};
    if (::stat(options.db_path.c_str(), &identity) != 0)
      Fail("{}: cannot stat the database: {}", options.db_path, std::strerror(errno));
    db_device_ = identity.st_dev;
    db_inode_ = identity.st_ino;
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
      // Worker rows (a hello, a worker gone or detached) are written within batch_delay_ms too,
      // with or without task operations to commit alongside.
      const bool writes = !pending_.empty() || has_side_writes_;
      if (writes) timeout = std::min<int64_t>(timeout, batch_started_ + options_.batch_delay_ms - now);
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
      if ((!pending_.empty() || has_side_writes_) &&
          (static_cast<int>(pending_.size()) >= options_.batch_max ||
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
    session_upsert_ = std::make_unique<Statement>(db_,
                                                  "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT "
                                                  "(key) DO UPDATE SET value = excluded.value");
    session_delete_ = std::make_unique<Statement>(db_, "DELETE FROM meta WHERE key = ?1");
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
    Statement sessions = db_.Prepare("SELECT substr(key, ?1), value FROM meta WHERE key LIKE ?2");
    sessions.Bind(1, static_cast<int64_t>(std::strlen(kSessionMetaPrefix) + 1))
        .Bind(2, std::string(kSessionMetaPrefix) + "%");
    while (sessions.Step()) {
      // "<sha256 of the session> <CURVE key or nothing>"
      const std::string value = sessions.ColumnText(1);
      const size_t space = value.find(' ');
      stored_sessions_[sessions.ColumnText(0)] = {value.substr(0, space),
                                                  space == std::string::npos ? "" : value.substr(space + 1)};
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
    const std::string key = zap_ && frames.size() > 1 ? PeerKey(frames[1]) : std::string();
    DecodeResult decoded = DecodeMessage(frames, 1);
    if (!decoded.message) {
      Reject(peer, decoded.error);
      return;
    }
    Message& message = *decoded.message;
    try {
      Handle(peer, key, message);
    } catch (const ProtocolError& error) {
      Reject(peer, error.what());
    } catch (const nlohmann::json::exception& error) {
      // The schema checks should leave nothing for the JSON library to refuse; if one slips
      // through, it is still the message's fault, never a reason to stop serving.
      Reject(peer, fmt::format("{} message: {}", MessageTypeName(message.type), error.what()));
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

  // `session`: the one the refused message carried, so the worker can tell a reset about a session
  // it has since replaced (and ignore it) from one about its current session.
  void SendReset(const std::string& peer, const std::string& session) {
    Message reset(MessageType::kReset, {{"session", session}});
    SendTo(peer, reset);
  }

  // The worker a message comes from when it proves the session of the connection that said
  // hello under this routing id (and, under CURVE, comes with that connection's key).
  WorkerState* Authenticated(const std::string& peer, const std::string& key, const std::string& session) {
    auto worker = workers_.find(peer);
    if (worker == workers_.end() || session.empty() || worker->second.session != session ||
        worker->second.key != key)
      return nullptr;
    return &worker->second;
  }

  // Every message is parsed into its typed form (protocol/message_schema.h) before anything is
  // looked up or changed, so a malformed one is refused with nothing changed.
  void Handle(const std::string& peer, const std::string& key, Message& message) {
    switch (message.type) {
      case MessageType::kControl:
        HandleControl(peer, ParseControl(message));
        return;
      case MessageType::kHello:
        HandleHello(peer, key, ParseHello(message));
        return;
      case MessageType::kRequest:
      case MessageType::kHeartbeat:
      case MessageType::kProgress:
      case MessageType::kBye: {
        const WorkerUpdate update = ParseWorkerUpdate(message);
        WorkerState* worker = Authenticated(peer, key, update.session);
        if (worker == nullptr) {
          // A worker of a previous run, one we declared lost, or a connection that is not the
          // session's: it must say hello (and prove its session) first.
          if (message.type != MessageType::kBye) SendReset(peer, update.session);
          return;
        }
        worker->last_seen = NowMs();
        if (update.loaded_models)
          worker->loaded_models =
              std::set<std::string>(update.loaded_models->begin(), update.loaded_models->end());
        if (update.capacity) worker->capacity = *update.capacity;
        if (message.type == MessageType::kBye) DropWorker(peer, /*lost=*/false);
        return;
      }
      case MessageType::kResult:
      case MessageType::kFailure:
      case MessageType::kReturn: {
        OutcomeMessage outcome = ParseOutcome(message);
        WorkerState* worker = Authenticated(peer, key, outcome.session);
        if (worker == nullptr) {
          // An outcome for a lease that is no longer current is refused now (it can never become
          // current again: epochs are unique); one for a current lease waits for the holder's
          // hello, after which it resends.
          auto lease = leases_.find(outcome.task_id);
          if (lease == leases_.end() || lease->second.epoch != outcome.epoch)
            RefuseOrConfirm(peer, outcome.type, outcome.task_id, outcome.epoch);
          SendReset(peer, outcome.session);
          return;
        }
        worker->last_seen = NowMs();
        HandleOutcome(peer, *worker, outcome, std::move(message.blobs));
        return;
      }
      default:
        throw ProtocolError(
            fmt::format("unexpected message type '{}' from a worker", MessageTypeName(message.type)));
    }
  }

  // Whether a hello proves it holds `lease`: same routing id, same CURVE key, and the session of
  // the welcome that lease was leased under (or, for a lease from the store, the session whose
  // digest the previous run wrote).
  bool ProvesHolder(const std::string& peer, const std::string& key, const HelloMessage& hello,
                    const Lease& lease) const {
    if (hello.session.empty()) return false;
    if (!lease.session.empty())
      return lease.worker == peer && lease.key == key && lease.session == hello.session;
    if (lease.worker != Printable(peer)) return false;
    auto stored = stored_sessions_.find(Printable(peer));
    return stored != stored_sessions_.end() && stored->second.first == Sha256Hex(hello.session) &&
           stored->second.second == key;
  }

  void HandleHello(const std::string& peer, const std::string& key, const HelloMessage& hello) {
    const int64_t now = NowMs();
    // A hello starts a new session under this routing id. The previous session's leases wait
    // for their holder (recovered, with a deadline): if this hello proves that session they are
    // re-adopted below; if it is another connection that took the routing id over, the holder
    // comes back (its next message is answered `reset`) and takes them back with its own hello.
    if (auto previous = workers_.find(peer); previous != workers_.end()) {
      for (const int64_t task_id : previous->second.leases) {
        auto lease = leases_.find(task_id);
        if (lease == leases_.end()) continue;
        lease->second.recovered = true;
        lease->second.deadline = now + options_.lease_ms;
      }
      workers_.erase(previous);
    }
    WorkerState& worker = workers_[peer];
    worker.capacity = hello.capacity;
    worker.session = NewSession();
    worker.key = key;
    worker.last_seen = now;
    if (hello.loaded_models)
      worker.loaded_models.insert(hello.loaded_models->begin(), hello.loaded_models->end());
    std::set<int64_t> listed;
    nlohmann::json revoked = nlohmann::json::array();
    for (const LeaseClaim& claim : hello.leases) {
      auto lease = leases_.find(claim.task_id);
      if (lease != leases_.end() && lease->second.epoch == claim.epoch &&
          ProvesHolder(peer, key, hello, lease->second)) {
        lease->second.worker = peer;
        lease->second.session = worker.session;
        lease->second.key = key;
        lease->second.recovered = false;
        lease->second.charge_on_expiry = false;
        worker.leases.insert(claim.task_id);
        listed.insert(claim.task_id);
      } else {
        revoked.push_back({{"task_id", claim.task_id}, {"epoch", claim.epoch}});
        NoteRefused(peer, claim.task_id, claim.epoch);
      }
    }
    // Leases of this very session that it no longer lists were lost with its previous process
    // state: queued again at once, without an attempt charged (a peer must not be able to fail
    // tasks by saying hello).
    std::vector<int64_t> dropped;
    for (const auto& [task_id, lease] : leases_) {
      if (lease.recovered && !lease.session.empty() && lease.session == hello.session &&
          lease.worker == peer && lease.key == key && listed.count(task_id) == 0)
        dropped.push_back(task_id);
    }
    for (const int64_t task_id : dropped) {
      // Its holder is back and does not have it (for a detached holder: the task never arrived),
      // so nothing ran: queued again without an attempt charged.
      leases_.at(task_id).charge_on_expiry = false;
      ExpireLease(task_id, "the worker said hello without it");
    }
    pending_hellos_[peer] = {hello, Sha256Hex(worker.session), key};
    MarkPending();
    spdlog::info("worker {} joined (capacity {}, {} leases re-adopted, {} revoked)", Printable(peer),
                 hello.capacity, listed.size(), revoked.size());
    Message welcome(MessageType::kWelcome, {{"heartbeat_ms", options_.heartbeat_ms},
                                            {"lease_ms", options_.lease_ms},
                                            {"coordinator_run", run_},
                                            {"session", worker.session},
                                            {"revoked", revoked}});
    SendTo(peer, welcome);
  }

  // Records a "refused" event, at most kRefusedEventsPerPeer per peer per window; the rest are
  // only counted.
  void NoteRefused(const std::string& peer, int64_t task_id, int64_t epoch) {
    ++stats_.refused;
    const int64_t now = NowMs();
    auto& [window_start, count] = refused_budget_[peer];
    if (now - window_start > kRefusedEventWindowMs) {
      window_start = now;
      count = 0;
    }
    if (++count > kRefusedEventsPerPeer) return;
    PendingOp op;
    op.task_id = task_id;
    op.epoch = epoch;
    op.worker = peer;
    refused_events_.push_back(std::move(op));
    MarkPending();
  }

  void HandleOutcome(const std::string& peer, WorkerState& worker, OutcomeMessage& outcome,
                     std::vector<zmq::message_t> blobs) {
    auto lease = leases_.find(outcome.task_id);
    const bool current = lease != leases_.end() && lease->second.epoch == outcome.epoch &&
                         lease->second.worker == peer && lease->second.session == outcome.session &&
                         !lease->second.recovered;
    if (!current) {
      RefuseOrConfirm(peer, outcome.type, outcome.task_id, outcome.epoch);
      return;
    }
    PendingOp op;
    op.task_id = outcome.task_id;
    op.epoch = outcome.epoch;
    op.worker = peer;
    op.attempt = lease->second.attempt;
    if (outcome.type == MessageType::kResult) {
      op.kind = OpKind::kResult;
      op.rows = std::move(outcome.rows);
      op.blobs = std::move(blobs);
    } else if (outcome.type == MessageType::kFailure) {
      op.kind = OpKind::kFailure;
      op.error = std::move(outcome.error);
      op.retryable = outcome.retryable;
    } else {
      op.kind = OpKind::kReturn;
    }
    leases_.erase(lease);
    worker.leases.erase(outcome.task_id);
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
      acks_[peer].push_back({task_id, epoch, false, "stale lease (fenced)"});
      NoteRefused(peer, task_id, epoch);
    }
    SendAcks();
  }

  void HandleControl(const std::string& peer, const ControlMessage& control) {
    nlohmann::json reply_body = {{"ok", true}};
    const int64_t started = NowMs();
    Flush();
    try {
      if (control.op == "submit") {
        const Campaign campaign = CampaignFromJson(control.resolved);
        const SubmitStats submitted = SubmitCampaign(db_, campaign, EMOSCOPE_CODE_VERSION);
        reply_body["campaign"] = campaign.name;
        reply_body["total"] = submitted.total;
        reply_body["added"] = submitted.added;
      } else {
        const CampaignOp campaign_op = ParseCampaignOp(control.op);
        reply_body["changed"] = ApplyCampaignOp(db_, control.campaign, campaign_op);
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
          // The model's path as the task's campaign resolved it (migration 7), else its latest.
          "SELECT t.id, t.kind, t.params, coalesce(cm.path, m.path, ''), coalesce(m.checksum, ''), "
          "t.attempts "
          "FROM tasks t JOIN campaigns c ON c.id = t.campaign_id LEFT JOIN models m ON m.id = t.model_id "
          "LEFT JOIN campaign_models cm ON cm.campaign_id = t.campaign_id AND cm.model_id = t.model_id "
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
        lease.session = worker.session;
        lease.key = worker.key;
        lease.attempt = task->attempts + 1;
        nlohmann::json body = {{"task_id", task->id},
                               {"epoch", lease.epoch},
                               {"kind", task->kind},
                               {"attempt", lease.attempt},
                               {"params", nlohmann::json::parse(task->params, nullptr, false)}};
        if (!task->model_checksum.empty())
          body["model"] = {{"path", task->model_path}, {"checksum", task->model_checksum}};
        std::vector<zmq::message_t> input_blobs;
        if (body["params"].is_object() && body["params"].contains("inputs")) {
          // Results of the tasks it depends on (coordinator/task_inputs.h). A bad spec fails the
          // task on the worker, through the usual failure path, instead of stalling the queue.
          try {
            body["inputs"] =
                LoadTaskInputs(db_, result_tables_, task->id, body["params"]["inputs"], &input_blobs);
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
        if (!SendTo(peer, message)) continue;  // The worker is unreachable: detached, leases waiting.
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
    op.recovered = lease->second.recovered && !lease->second.charge_on_expiry;
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

  // A worker that cannot be reached (its connection closed, or its queue full): its leases wait
  // lease_ms for it to say hello again and prove its session, as after a coordinator restart, so a
  // worker that reconnects keeps its work; if it does not come back they expire with the attempt
  // charged, as a lost worker's do (a task that kills its worker must run out of attempts).
  void DetachWorker(const std::string& peer) {
    auto worker = workers_.find(peer);
    if (worker == workers_.end()) return;
    const int64_t now = NowMs();
    for (const int64_t task_id : worker->second.leases) {
      auto lease = leases_.find(task_id);
      if (lease == leases_.end()) continue;
      lease->second.recovered = true;
      lease->second.charge_on_expiry = true;
      lease->second.deadline = now + options_.lease_ms;
    }
    spdlog::warn("worker {} unreachable ({} leases wait {} ms for it to say hello again)", Printable(peer),
                 worker->second.leases.size(), options_.lease_ms);
    gone_workers_[peer] = "lost";
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
      ExpireLease(task_id,
                  "its holder did not say hello again (coordinator restart, connection taken over, or holder "
                  "unreachable)");
    for (auto it = refused_budget_.begin(); it != refused_budget_.end();) {
      it = now - it->second.first > kRefusedEventWindowMs ? refused_budget_.erase(it) : std::next(it);
    }
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
  // reached is detached (DetachWorker): its leases wait for it to come back.
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
      if (workers_.count(peer) > 0) DetachWorker(peer);
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
    if (const std::string changed = DatabaseChanged(); !changed.empty()) {
      spdlog::error("{}: {}; dispatching stopped", db_.path(), changed);
      Fail(
          "{}: {} while the coordinator ran; dispatching stopped, nothing after the last commit was "
          "acknowledged; put the database back (or start a coordinator on the new file)",
          db_.path(), changed);
    }
    try {
      FlushBatch();
    } catch (const Error& error) {
      const bool full = std::string(error.what()).find("full") != std::string::npos;
      spdlog::error("{}: cannot write the store{}; dispatching stopped", db_.path(),
                    full ? " (disk or size cap full)" : "");
      Fail(
          "{}: cannot write the store{}: {}; dispatching stopped, nothing after the last commit was "
          "acknowledged; "
          "free space (or raise --max-db-mb) and start the coordinator again",
          db_.path(), full ? " (disk or size cap full)" : "", error.what());
    }
  }

  // Why the file at the database's path is no longer the one this coordinator writes ("" when it
  // is): deleted, renamed away, or replaced by another file. Writes would go to an unlinked file
  // (or another coordinator's), so acknowledging them would lose results. One stat per commit.
  std::string DatabaseChanged() const {
    struct stat now = {};
    if (::stat(options_.db_path.c_str(), &now) != 0) return "the database file was deleted or moved away";
    if (now.st_dev != db_device_ || now.st_ino != db_inode_)
      return "the database file was replaced by another file";
    return "";
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
    for (const auto& [peer, pending] : pending_hellos_) {
      const HelloMessage& hello = pending.hello;
      const nlohmann::json loaded =
          hello.loaded_models ? nlohmann::json(*hello.loaded_models) : nlohmann::json::array();
      worker_upsert_->Bind(1, Printable(peer))
          .Bind(2, hello.info.host)
          .Bind(3, hello.info.pid)
          .Bind(4, hello.info.device)
          .Bind(5, hello.info.memory_bytes)
          .Bind(6, hello.capacity)
          .Bind(7, hello.info.versions_json)
          .Bind(8, loaded.dump())
          .Bind(9, now)
          .Run();
      session_upsert_->Bind(1, kSessionMetaPrefix + Printable(peer))
          .Bind(2, pending.key.empty() ? pending.session_digest : pending.session_digest + " " + pending.key)
          .Run();
    }
    pending_hellos_.clear();
    for (const auto& [peer, state] : gone_workers_) {
      worker_seen_->Bind(1, Printable(peer)).Bind(2, now).Bind(3, state).Run();
      // A worker that said bye returned its leases: its session has nothing left to prove.
      if (state == "gone") session_delete_->Bind(1, kSessionMetaPrefix + Printable(peer)).Run();
    }
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
  dev_t db_device_ = 0;  // the database file's identity when it was opened
  ino_t db_inode_ = 0;

  std::map<std::string, WorkerState> workers_;
  std::unordered_map<int64_t, Lease> leases_;
  std::deque<ReadyTask> ready_;
  int64_t next_refill_ = 0;

  std::vector<PendingOp> pending_;
  std::vector<PendingOp> refused_events_;
  std::map<std::string, PendingHello> pending_hellos_;
  // Session digests (and CURVE keys) the previous run wrote, by printable routing id.
  std::map<std::string, std::pair<std::string, std::string>> stored_sessions_;
  // Per peer: the start of its refused-event window and the events written in it.
  std::map<std::string, std::pair<int64_t, int64_t>> refused_budget_;
  std::map<std::string, std::string> gone_workers_;
  std::map<std::string, std::vector<Ack>> acks_;
  bool has_side_writes_ = false;
  int64_t batch_started_ = 0;
  int64_t last_seen_write_ = 0;
  CoordinatorStats stats_;

  std::unique_ptr<Statement> dispatch_, complete_, has_dependents_, unblock_, cascade_, lease_row_, fail_,
      requeue_, event_, worker_upsert_, worker_seen_, task_state_, session_upsert_, session_delete_, refill_;
};

Coordinator::Coordinator(const CoordinatorOptions& options) : impl_(std::make_unique<Impl>(options, stop_)) {}
Coordinator::~Coordinator() = default;
std::string Coordinator::endpoint() const { return impl_->endpoint(); }
void Coordinator::Run() { impl_->Run(); }
CoordinatorStats Coordinator::stats() const { return impl_->stats(); }

}  // namespace emoscope
