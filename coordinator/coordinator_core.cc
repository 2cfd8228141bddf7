#include "coordinator/coordinator_core.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "common/error.h"
#include "common/log.h"
#include "protocol/message_schema.h"

namespace emoscope {
namespace {

// When no task is ready, look again at most this often (backoff delays end, deps unblock).
constexpr int64_t kEmptyRefillIntervalMs = 50;
// Malformed messages are logged individually up to this many, then only counted.
constexpr int64_t kMalformedLogLimit = 100;

CoreHooks WithDefaults(CoreHooks hooks) {
  if (!hooks.clock) hooks.clock = NowMs;
  if (!hooks.new_session) hooks.new_session = NewSessionCredential;
  return hooks;
}

}  // namespace

TaskStoreOptions StoreOptions(const CoordinatorOptions& options, const CoreHooks& hooks) {
  TaskStoreOptions store;
  store.db_path = options.db_path;
  store.sync_full = options.sync_full;
  store.max_db_bytes = options.max_db_bytes;
  store.lease_ms = options.lease_ms;
  store.retry_base_ms = options.retry_base_ms;
  store.retry_max_ms = options.retry_max_ms;
  store.seed = hooks.seed;
  store.clock = hooks.clock ? hooks.clock : NowMs;
  return store;
}

std::string NewSessionCredential() {
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

CoordinatorCore::CoordinatorCore(const CoordinatorOptions& options, TaskStore& store, Outbox& outbox,
                                 CoreHooks hooks)
    : options_(options),
      outbox_(outbox),
      hooks_(WithDefaults(std::move(hooks))),
      store_(store),
      book_(options.lease_ms) {}

CoordinatorCore::~CoordinatorCore() = default;

void CoordinatorCore::Start() {
  Recovered recovered = store_.Recover();
  run_ = recovered.run;
  const size_t waiting = recovered.leases.size();
  book_.Recover(run_, recovered.leases, std::move(recovered.sessions), hooks_.clock());
  next_heartbeat_ = hooks_.clock();
  if (waiting > 0)
    spdlog::info("recovered {} leases of the previous run; waiting {} ms for their workers", waiting,
                 options_.lease_ms);
}

CoordinatorStats CoordinatorCore::stats() const {
  CoordinatorStats stats = stats_;
  stats.commits = store_.commits();
  return stats;
}

// ---- inbound ----

void CoordinatorCore::HandleFrames(const std::string& peer, const std::string& key,
                                   std::vector<zmq::message_t>& frames, size_t first) {
  DecodeResult decoded = DecodeMessage(frames, first);
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

void CoordinatorCore::Reject(const std::string& peer, const std::string& reason) {
  ++stats_.malformed;
  if (stats_.malformed <= kMalformedLogLimit)
    spdlog::warn("rejected a message from {}: {}", PrintableRoutingId(peer), reason);
  Message reply(MessageType::kError, {{"reason", reason}});
  SendTo(peer, reply);
}

// `session`: the one the refused message carried, so the worker can tell a reset about a session
// it has since replaced (and ignore it) from one about its current session.
void CoordinatorCore::SendReset(const std::string& peer, const std::string& session) {
  Message reset(MessageType::kReset, {{"session", session}});
  SendTo(peer, reset);
}

void CoordinatorCore::Handle(const std::string& peer, const std::string& key, Message& message) {
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
      if (!book_.Heard(peer, key, update, hooks_.clock())) {
        // A worker of a previous run, one we declared lost, or a connection that is not the
        // session's: it must say hello (and prove its session) first.
        if (message.type != MessageType::kBye) SendReset(peer, update.session);
        return;
      }
      if (message.type == MessageType::kBye) Leave(peer);
      return;
    }
    case MessageType::kResult:
    case MessageType::kFailure:
    case MessageType::kReturn: {
      OutcomeMessage outcome = ParseOutcome(message);
      HandleOutcome(peer, key, outcome, std::move(message.blobs));
      return;
    }
    default:
      throw ProtocolError(
          fmt::format("unexpected message type '{}' from a worker", MessageTypeName(message.type)));
  }
}

void CoordinatorCore::HandleHello(const std::string& peer, const std::string& key,
                                  const HelloMessage& hello) {
  const HelloDecision decision = book_.Hello(peer, key, hello, hooks_.new_session(), hooks_.clock());
  nlohmann::json revoked = nlohmann::json::array();
  for (const LeaseClaim& claim : decision.revoked) {
    revoked.push_back({{"task_id", claim.task_id}, {"epoch", claim.epoch}});
    NoteRefused(peer, claim.task_id, claim.epoch);
  }
  for (const LeaseEnd& end : decision.dropped) store_.AddLeaseEnd(end);
  store_.AddHello(peer, hello, decision.session, key);
  spdlog::info("worker {} joined (capacity {}, {} leases re-adopted, {} revoked)", PrintableRoutingId(peer),
               hello.capacity, decision.readopted.size(), decision.revoked.size());
  Message welcome(MessageType::kWelcome, {{"heartbeat_ms", options_.heartbeat_ms},
                                          {"lease_ms", options_.lease_ms},
                                          {"coordinator_run", run_},
                                          {"session", decision.session},
                                          {"revoked", revoked}});
  SendTo(peer, welcome);
}

void CoordinatorCore::NoteRefused(const std::string& peer, int64_t task_id, int64_t epoch) {
  ++stats_.refused;
  if (book_.AllowRefusedEvent(peer, hooks_.clock())) store_.AddRefusedEvent(task_id, epoch, peer);
}

void CoordinatorCore::HandleOutcome(const std::string& peer, const std::string& key, OutcomeMessage& outcome,
                                    std::vector<zmq::message_t> blobs) {
  const OutcomeDecision decision =
      book_.Outcome(peer, key, outcome.session, outcome.task_id, outcome.epoch, hooks_.clock());
  switch (decision.verdict) {
    case OutcomeVerdict::kUnknownSession:
      // An outcome for a lease that is no longer current is refused now (it can never become
      // current again: epochs are unique); one for a current lease waits for the holder's hello,
      // after which it resends.
      if (!decision.lease_exists) RefuseOrConfirm(peer, outcome.type, outcome.task_id, outcome.epoch);
      SendReset(peer, outcome.session);
      return;
    case OutcomeVerdict::kNotCurrent:
      RefuseOrConfirm(peer, outcome.type, outcome.task_id, outcome.epoch);
      return;
    case OutcomeVerdict::kAccepted:
      break;
  }
  if (outcome.type == MessageType::kResult)
    store_.AddResult(outcome.task_id, outcome.epoch, peer, std::move(outcome.rows), std::move(blobs));
  else if (outcome.type == MessageType::kFailure)
    store_.AddFailure(outcome.task_id, outcome.epoch, peer, std::move(outcome.error), outcome.retryable);
  else
    store_.AddReturn(outcome.task_id, outcome.epoch, peer);
}

// An outcome for a lease that is not current: acknowledged as recorded when the store says it is
// (a resend after a lost ack), refused otherwise (the fencing rule).
void CoordinatorCore::RefuseOrConfirm(const std::string& peer, MessageType type, int64_t task_id,
                                      int64_t epoch) {
  Flush();
  if (store_.Recorded(task_id, epoch, type == MessageType::kResult)) {
    acks_[peer].push_back({task_id, epoch, true, "already recorded"});
  } else {
    acks_[peer].push_back({task_id, epoch, false, "stale lease (fenced)"});
    NoteRefused(peer, task_id, epoch);
  }
  SendAcks();
}

void CoordinatorCore::HandleControl(const std::string& peer, const ControlMessage& control) {
  const int64_t started = hooks_.clock();
  Flush();
  const nlohmann::json reply_body = store_.Control(control);
  // New or changed tasks: drop the dispatch buffer so priorities and pauses apply at once.
  ready_.clear();
  next_refill_ = 0;
  // A long submission stalled the loop: do not hold that against the workers' heartbeats.
  const int64_t stalled = hooks_.clock() - started;
  if (stalled > options_.heartbeat_ms) book_.Shift(stalled);
  Message reply(MessageType::kControlReply, reply_body);
  SendTo(peer, reply);
}

// ---- dispatch ----

void CoordinatorCore::Refill() {
  const int64_t now = hooks_.clock();
  if (now < next_refill_) return;
  Flush();  // The query must see every dispatch so far.
  for (ReadyTask& task : store_.Ready(now, options_.prefetch)) {
    if (!book_.Leased(task.id)) ready_.push_back(std::move(task));
  }
  if (ready_.empty()) next_refill_ = now + kEmptyRefillIntervalMs;
}

// The next task for `peer`: refills the buffer first (which commits the batch and may detach
// unreachable workers), so the worker is looked up only afterwards.
std::optional<ReadyTask> CoordinatorCore::Pick(const std::string& peer) {
  if (ready_.empty()) Refill();
  const WorkerState* worker = book_.Worker(peer);
  if (ready_.empty() || worker == nullptr) return std::nullopt;
  auto chosen = ready_.begin();
  const std::set<std::string>& loaded = worker->loaded_models;
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

void CoordinatorCore::Dispatch() {
  std::vector<std::string> peers;
  for (const auto& [peer, worker] : book_.workers()) peers.push_back(peer);
  bool progress = true;
  // One task per worker per round, so workers share the queue fairly.
  while (progress) {
    progress = false;
    for (const std::string& peer : peers) {
      if (book_.FreeSlots(peer) <= 0) continue;
      std::optional<ReadyTask> task = Pick(peer);
      if (!task) {
        if (ready_.empty()) return;
        continue;  // This worker went away while the buffer was refilled.
      }
      const Grant grant = book_.NewLease(peer, task->id, task->attempts);
      nlohmann::json body = {{"task_id", task->id},
                             {"epoch", grant.epoch},
                             {"kind", task->kind},
                             {"attempt", grant.attempt},
                             {"params", nlohmann::json::parse(task->params, nullptr, false)}};
      if (!task->model_checksum.empty())
        body["model"] = {{"path", task->model_path}, {"checksum", task->model_checksum}};
      std::vector<zmq::message_t> input_blobs;
      if (body["params"].is_object() && body["params"].contains("inputs")) {
        // Results of the tasks it depends on (task_inputs.h). A bad spec fails the task on the
        // worker, through the usual failure path, instead of stalling the queue.
        try {
          body["inputs"] = store_.TaskInputs(task->id, body["params"]["inputs"], &input_blobs);
        } catch (const std::exception& error) {
          body["inputs_error"] = error.what();
          input_blobs.clear();
        }
      }
      Message message(MessageType::kTask, std::move(body));
      message.blobs = std::move(input_blobs);
      store_.AddDispatch(task->id, grant.epoch, peer);
      ++stats_.dispatched;
      if (!SendTo(peer, message)) continue;  // The worker is unreachable: detached, leases waiting.
      progress = true;
    }
  }
}

// ---- leases and workers ----

void CoordinatorCore::Leave(const std::string& peer) {
  for (const LeaseEnd& end : book_.Leave(peer)) store_.AddReturn(end.task_id, end.epoch, end.worker);
  store_.AddWorkerGone(peer, /*lost=*/false);
}

// A worker that cannot be reached (its connection closed, or its queue full): its leases wait
// lease_ms for it to say hello again and prove its session, as after a coordinator restart, so a
// worker that reconnects keeps its work; if it does not come back they expire with the attempt
// charged, as a lost worker's do (a task that kills its worker must run out of attempts).
void CoordinatorCore::Detach(const std::string& peer) {
  if (book_.Worker(peer) == nullptr) return;
  const size_t waiting = book_.Detach(peer, hooks_.clock());
  spdlog::warn("worker {} unreachable ({} leases wait {} ms for it to say hello again)",
               PrintableRoutingId(peer), waiting, options_.lease_ms);
  store_.AddWorkerGone(peer, /*lost=*/true);
}

void CoordinatorCore::Tick() {
  const TickDecision decision = book_.Tick(hooks_.clock());
  std::map<std::string, size_t> expired_per_worker;
  for (const LeaseEnd& end : decision.expired) {
    store_.AddLeaseEnd(end);
    ++expired_per_worker[end.worker];
  }
  for (const std::string& peer : decision.lost) {
    spdlog::warn("worker {} lost ({} leases expired)", PrintableRoutingId(peer), expired_per_worker[peer]);
    store_.AddWorkerGone(peer, /*lost=*/true);
  }
}

void CoordinatorCore::SendHeartbeats() {
  std::vector<std::string> peers;
  for (const auto& [peer, worker] : book_.workers()) peers.push_back(peer);
  for (const std::string& peer : peers) {
    Message heartbeat(MessageType::kHeartbeat, nlohmann::json::object());
    SendTo(peer, heartbeat);
  }
}

void CoordinatorCore::Service() {
  Dispatch();
  const int64_t now = hooks_.clock();
  if (store_.HasWrites() && (static_cast<int>(store_.PendingOps()) >= options_.batch_max ||
                             now >= store_.BatchStarted() + options_.batch_delay_ms))
    Flush();
  if (hooks_.clock() >= next_heartbeat_) {
    SendHeartbeats();
    Tick();
    next_heartbeat_ = hooks_.clock() + options_.heartbeat_ms;
  }
}

int64_t CoordinatorCore::WaitMs() const {
  const int64_t now = hooks_.clock();
  int64_t timeout = std::min<int64_t>(next_heartbeat_ - now, 100);
  // Worker rows (a hello, a worker gone or detached) are written within batch_delay_ms too, with
  // or without task operations to commit alongside.
  if (store_.HasWrites())
    timeout = std::min<int64_t>(timeout, store_.BatchStarted() + options_.batch_delay_ms - now);
  return std::max<int64_t>(timeout, 0);
}

// ---- outbound ----

bool CoordinatorCore::SendTo(const std::string& peer, Message& message) {
  if (outbox_.Send(peer, message)) return true;
  Detach(peer);
  return false;
}

void CoordinatorCore::SendAcks() {
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

void CoordinatorCore::Flush() {
  const int64_t now = hooks_.clock();
  std::vector<WorkerSeen> seen;
  if (store_.HasWrites() && now - last_seen_write_ >= options_.heartbeat_ms) {
    for (const auto& [peer, worker] : book_.workers()) seen.push_back({peer, worker.last_seen});
    last_seen_write_ = now;
  }
  FlushOutcome outcome = store_.Flush(now, seen);
  stats_.results += outcome.results;
  stats_.refused += outcome.refused;
  if (outcome.unblocked) next_refill_ = 0;
  for (auto& [peer, list] : outcome.acks) {
    std::vector<Ack>& pending = acks_[peer];
    pending.insert(pending.end(), list.begin(), list.end());
  }
  SendAcks();
}

}  // namespace emoscope
