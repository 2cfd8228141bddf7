// Fuzzes the coordinator's message handling as a whole (coordinator/coordinator_core.h), not just
// the decoder: each input is a script of hello, result, failure, return, heartbeat, request, bye
// and control messages from several peers (honest ones that answer with the session their
// welcome gave them, and ones that forge sessions, keys, leases and bytes), interleaved with
// clock jumps, unreachable peers, commits and coordinator restarts, run against a real store (a campaign of
// noop and fail tasks in a temporary SQLite file, reset for every input). After every step it checks the
// lease book; after every commit, the store:
//   - a result is recorded at most once per task, and only from the worker its epoch was leased to;
//   - no task is failed, retried or charged an attempt by a peer that never held its lease;
//   - an acknowledgement that records an outcome goes only to the lease's holder, and a welcome
//     never revokes a lease the book keeps for that worker;
//   - every task running in the store is leased in the book under the same epoch, and the other
//     way round, and a task's attempts never exceed its dispatches;
//   - nothing throws: the coordinator never dies of input.
// A broken invariant aborts with a message naming it. Built with libFuzzer (scripts/fuzz.sh) and,
// without it, as a replay of fuzz/corpus and fuzz/regressions in the ordinary test suite.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/log.h"
#include "coordinator/coordinator_core.h"
#include "emoscope_version.h"
#include "jobs/campaign.h"
#include "jobs/submit.h"
#include "protocol/message.h"

namespace {

using namespace emoscope;

// Routing ids: three printable, one that is not (it is stored in printable form).
const std::vector<std::string> kPeers = {"w0", "w1", "w2", std::string("\x01w\xfe", 3)};
// CURVE keys a peer may come with ("" as without CURVE).
const std::vector<std::string> kKeys = {"", "key-a", "key-b"};
constexpr int64_t kLeaseMs = 1000;
constexpr int64_t kHeartbeatMs = 250;
// Steps of one input: enough for hellos, leases, outcomes and restarts of four peers to interleave;
// longer scripts mostly cost time (an execution is SQLite-bound).
constexpr int kMaxSteps = 64;

[[noreturn]] void Broken(const std::string& what) {
  std::fprintf(stderr, "coordinator_session_fuzz: invariant broken: %s\n", what.c_str());
  std::abort();
}

// EMOSCOPE_FUZZ_TRACE=1 prints each step and message (to read a crashing input).
bool Tracing() {
  static const bool tracing = std::getenv("EMOSCOPE_FUZZ_TRACE") != nullptr;
  return tracing;
}

// The input, read as a script: each Next() takes one byte (0 once it is used up).
class Script {
 public:
  Script(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  uint8_t Next() { return at_ < size_ ? data_[at_++] : 0; }
  int64_t Below(int64_t bound) { return bound <= 0 ? 0 : Next() % bound; }
  std::string Bytes(size_t most) {
    std::string out;
    const size_t count = static_cast<size_t>(Below(static_cast<int64_t>(most) + 1));
    for (size_t index = 0; index < count && !done(); ++index) out += static_cast<char>(Next());
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

struct Dispatched {
  std::string peer;
  int64_t task_id = 0;
};

// The world as the peers see it, and the messages the core sent.
class World : public Outbox {
 public:
  bool Send(const std::string& peer, Message& message) override {
    if (Tracing())
      std::fprintf(stderr, "  <- %s to %s%s: %s\n", MessageTypeName(message.type),
                   PrintableRoutingId(peer).c_str(), unreachable.count(peer) > 0 ? " (unreachable)" : "",
                   message.body.dump().c_str());
    // A task counts as leased (and its attempt as charged) whether or not it gets through.
    if (message.type == MessageType::kTask) {
      const int64_t epoch = message.body.at("epoch").get<int64_t>();
      const int64_t task_id = message.body.at("task_id").get<int64_t>();
      if (dispatched.count(epoch) > 0) Broken("an epoch was leased twice");
      dispatched[epoch] = {peer, task_id};
      epochs.push_back(epoch);
      ++dispatches[task_id];
    }
    if (unreachable.count(peer) > 0) return false;
    if (message.type == MessageType::kWelcome) {
      const std::string session = message.body.at("session").get<std::string>();
      sessions[{peer, hello_key}] = session;
      // The worker drops what the welcome revokes: it must not be a lease the book keeps for it.
      for (const nlohmann::json& claim : message.body.at("revoked")) {
        auto lease = book->leases().find(claim.at("task_id").get<int64_t>());
        if (lease != book->leases().end() && lease->second.epoch == claim.at("epoch").get<int64_t>() &&
            lease->second.worker == peer && lease->second.session == session && !lease->second.waiting)
          Broken("a welcome revoked a lease the book keeps for that worker");
      }
    } else if (message.type == MessageType::kAck) {
      for (const nlohmann::json& ack : message.body.at("acks")) {
        if (!ack.at("accepted").get<bool>() || ack.contains("reason")) continue;
        // An acknowledgement that records an outcome: only for the lease's holder.
        auto lease = dispatched.find(ack.at("epoch").get<int64_t>());
        if (lease == dispatched.end() || lease->second.peer != peer)
          Broken("an outcome was acknowledged to a peer that did not hold its lease");
      }
    }
    return true;
  }

  std::string current_session(const std::string& peer) const {
    auto found = sessions.find({peer, hello_key});
    return found == sessions.end() ? std::string() : found->second;
  }

  const LeaseBook* book = nullptr;  // the current core's
  std::set<std::string> unreachable;
  std::string hello_key;  // the key of the message being handled
  std::map<std::pair<std::string, std::string>, std::string> sessions;  // (peer, key) -> last welcome's
  std::map<int64_t, Dispatched> dispatched;                             // by epoch
  std::vector<int64_t> epochs;                                          // in dispatch order
  std::map<int64_t, int64_t> dispatches;                                // per task
};

// One store for the whole run, reset before each input (opening a database per input would be
// most of the time spent).
struct Fixture {
  Fixture() {
    // In memory where the machine has a tmpfs: the file system is not what is under test.
    std::string pattern = (::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    pattern += "/emoscope-session-fuzz-XXXXXX";
    const char* dir = ::mkdtemp(pattern.data());
    if (dir == nullptr) Broken("cannot make a temporary folder");
    folder = dir;
    spdlog::set_level(spdlog::level::off);  // rejections are the point here, not news
    options.db_path = folder + "/fuzz.db";
    options.heartbeat_ms = kHeartbeatMs;
    options.lease_ms = kLeaseMs;
    options.retry_base_ms = 10;
    options.retry_max_ms = 100;
    options.batch_delay_ms = 5;
    options.batch_max = 16;
    options.prefetch = 8;
    CoreHooks hooks;
    hooks.clock = [this] { return now; };
    hooks.seed = 1;
    store = std::make_unique<TaskStore>(StoreOptions(options, hooks));
    Database& db = store->database();
    // Durability is not under test: no syncs, no file locks per transaction, the journal in memory.
    db.Exec("PRAGMA synchronous = OFF");
    db.Exec("PRAGMA locking_mode = EXCLUSIVE");
    db.Exec("PRAGMA journal_mode = MEMORY");
    SubmitCampaign(store->database(),
                   ParseCampaign("campaign: c\ntest_tasks:\n  - {kind: noop, count: 4}\n"
                                 "  - {kind: fail, count: 1, max_attempts: 2}\n",
                                 "c.yaml"),
                   EMOSCOPE_CODE_VERSION);
    for (const char* sql : {"UPDATE tasks SET state = 'queued', attempts = 0, lease_epoch = 0, "
                            "lease_deadline = NULL, worker = NULL, "
                            "not_before = 0, started_at = NULL, finished_at = NULL, error = NULL",
                            "UPDATE campaigns SET state = 'active'", "DELETE FROM events",
                            "DELETE FROM workers", "DELETE FROM test_results",
                            "DELETE FROM meta WHERE key LIKE 'session:%' OR key = 'coordinator_run'"})
      reset.push_back(std::make_unique<Statement>(db, sql));
    done_twice = std::make_unique<Statement>(db,
                                             "SELECT count(*) FROM (SELECT 1 FROM events WHERE kind = 'done' "
                                             "GROUP BY task_id HAVING count(*) > 1)");
    rows_twice = std::make_unique<Statement>(
        db, "SELECT count(*) FROM (SELECT 1 FROM test_results GROUP BY task_id HAVING count(*) > 1)");
    charged = std::make_unique<Statement>(
        db,
        "SELECT kind, task_id, worker, epoch FROM events WHERE kind IN ('done', "
        "'failed', 'retry', 'expired') AND epoch IS NOT NULL");  // not a control `retry`
    tasks = std::make_unique<Statement>(db, "SELECT id, state, lease_epoch, attempts FROM tasks");
    result_rows = std::make_unique<Statement>(
        db,
        "SELECT count(*) FROM tasks t WHERE (t.state = 'done') != EXISTS (SELECT 1 FROM test_results r WHERE "
        "r.task_id = t.id)");
  }
  ~Fixture() {
    reset.clear();
    done_twice.reset();
    rows_twice.reset();
    charged.reset();
    tasks.reset();
    result_rows.reset();
    store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }

  void Reset() {
    Transaction transaction(store->database());
    for (auto& statement : reset) statement->Run();
    transaction.Commit();
    now = 1000000;
  }

  std::string folder;
  CoordinatorOptions options;
  std::unique_ptr<TaskStore> store;
  std::vector<std::unique_ptr<Statement>> reset;
  std::unique_ptr<Statement> done_twice, rows_twice, charged, tasks, result_rows;  // the store's invariants
  int64_t now = 0;
};

Fixture& TheFixture() {
  static Fixture fixture;  // made on the first input; its folder is removed at exit
  return fixture;
}

// The lease book agrees with itself: a worker's leases are current leases held by it in its
// session, and every lease not waiting for its holder is in its holder's set.
void CheckBook(const LeaseBook& book) {
  for (const auto& [peer, worker] : book.workers()) {
    for (const int64_t task_id : worker.leases) {
      auto lease = book.leases().find(task_id);
      if (lease == book.leases().end()) Broken("a worker lists a lease the book does not have");
      if (lease->second.worker != peer || lease->second.session != worker.session || lease->second.waiting)
        Broken("a worker lists a lease it does not hold");
    }
  }
  for (const auto& [task_id, lease] : book.leases()) {
    if (lease.waiting) continue;
    const WorkerState* holder = book.Worker(lease.worker);
    if (holder == nullptr || holder->leases.count(task_id) == 0)
      Broken("a lease not waiting for its holder has no holder");
  }
}

// A statement's single count, the statement reset for its next use.
int64_t Count(Statement& statement) {
  statement.Step();
  const int64_t count = statement.ColumnInt(0);
  statement.Reset();
  return count;
}

// The store agrees with what the peers were sent and with the book (after a commit).
void CheckStore(Fixture& fixture, const LeaseBook& book, const World& world) {
  if (Count(*fixture.done_twice) != 0) Broken("a task's result was recorded twice");
  if (Count(*fixture.rows_twice) != 0) Broken("a task has two result rows");
  if (Count(*fixture.result_rows) != 0)
    Broken("a done task without its result row, or a result row of a task not done");
  Statement& charged = *fixture.charged;
  while (charged.Step()) {
    auto lease = world.dispatched.find(charged.ColumnInt(3));
    if (lease == world.dispatched.end() || lease->second.task_id != charged.ColumnInt(1) ||
        PrintableRoutingId(lease->second.peer) != charged.ColumnText(2))
      Broken("a '" + charged.ColumnText(0) + "' event names a worker that did not hold the lease");
  }
  charged.Reset();
  Statement& tasks = *fixture.tasks;
  while (tasks.Step()) {
    const int64_t id = tasks.ColumnInt(0);
    const bool running = tasks.ColumnText(1) == "running";
    auto lease = book.leases().find(id);
    if (running != (lease != book.leases().end()))
      Broken("task " + std::to_string(id) + " is " + tasks.ColumnText(1) + " in the store but " +
             (running ? "not leased" : "leased") + " in the book");
    if (running && lease->second.epoch != tasks.ColumnInt(2))
      Broken("the store and the book disagree on an epoch");
    auto count = world.dispatches.find(id);
    if (tasks.ColumnInt(3) > (count == world.dispatches.end() ? 0 : count->second))
      Broken("a task was charged more attempts than it was dispatched");
  }
  tasks.Reset();
}

// A (task, epoch) pair a peer may name: one it was leased, another peer's, or made up.
LeaseClaim PickClaim(Script& script, const World& world, const std::string& peer) {
  const int64_t choice = script.Below(4);
  if (!world.epochs.empty() && choice < 3) {
    std::vector<int64_t> own;
    for (const int64_t epoch : world.epochs)
      if (world.dispatched.at(epoch).peer == peer) own.push_back(epoch);
    const std::vector<int64_t>& pool = (choice < 2 && !own.empty()) ? own : world.epochs;
    const int64_t epoch = pool[static_cast<size_t>(script.Below(static_cast<int64_t>(pool.size())))];
    return {world.dispatched.at(epoch).task_id, epoch};
  }
  return {1 + script.Below(8), (script.Below(2) == 0 ? 1 : (int64_t{1} << 32)) + script.Below(16)};
}

// The session a message carries: the sender's own (usually), another peer's, none, or garbage.
std::string PickSession(Script& script, const World& world, const std::string& peer) {
  switch (script.Below(8)) {
    case 0:
      return "";
    case 1:
      return std::string(32, 'f');
    case 2: {
      if (world.sessions.empty()) return "";
      auto it = world.sessions.begin();
      std::advance(it, script.Below(static_cast<int64_t>(world.sessions.size())));
      return it->second;
    }
    default:
      return world.current_session(peer);
  }
}

void Deliver(CoordinatorCore& core, World& world, const std::string& peer, const std::string& key,
             Message message) {
  if (Tracing())
    std::fprintf(stderr, "  -> %s %s\n", MessageTypeName(message.type), message.body.dump().c_str());
  std::vector<zmq::message_t> frames = EncodeMessage(message);
  world.hello_key = key;
  core.HandleFrames(peer, key, frames, 0);
}

}  // namespace

// An execution allocates a lot (SQLite, JSON): without allocation stacks and with a small
// quarantine ASan costs a third less here. For a crash's report, run again with
// ASAN_OPTIONS=malloc_context_size=30 (the environment overrides these defaults).
extern "C" const char* __asan_default_options() { return "malloc_context_size=0:quarantine_size_mb=8"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& fixture = TheFixture();
  fixture.Reset();
  World world;
  CoreHooks hooks;
  hooks.clock = [&fixture] { return fixture.now; };
  int64_t sessions_issued = 0;
  hooks.new_session = [&sessions_issued] {
    char text[33];
    std::snprintf(text, sizeof(text), "%032llx", static_cast<unsigned long long>(++sessions_issued));
    return std::string(text);
  };
  Script script(data, size);
  try {
    auto core = std::make_unique<CoordinatorCore>(fixture.options, *fixture.store, world, hooks);
    world.book = &core->lease_book();
    core->Start();
    for (int step = 0; step < kMaxSteps && !script.done(); ++step) {
      const std::string& peer =
          kPeers[static_cast<size_t>(script.Below(static_cast<int64_t>(kPeers.size())))];
      // Most messages come with the key of the peer's own connection.
      const std::string& key = kKeys[script.Below(4) == 0 ? static_cast<size_t>(script.Below(3)) : 0];
      world.hello_key = key;
      const int64_t op = script.Below(15);
      if (Tracing())
        std::fprintf(stderr, "step %d: op %lld from %s key '%s' at %lld\n", step, static_cast<long long>(op),
                     PrintableRoutingId(peer).c_str(), key.c_str(), static_cast<long long>(fixture.now));
      switch (op) {
        case 0: {  // hello, listing leases (its own, others', made up)
          nlohmann::json claims = nlohmann::json::array();
          const int64_t count = script.Below(4);
          for (int64_t index = 0; index < count; ++index) {
            const LeaseClaim claim = PickClaim(script, world, peer);
            claims.push_back({{"task_id", claim.task_id}, {"epoch", claim.epoch}});
          }
          nlohmann::json body = {{"capacity", script.Below(4)}, {"leases", claims}};
          const std::string session = PickSession(script, world, peer);
          if (!session.empty()) body["session"] = session;
          if (script.Below(3) == 0) body["loaded_models"] = nlohmann::json::array({"m1"});
          Deliver(*core, world, peer, key, Message(MessageType::kHello, body));
          break;
        }
        case 1:
        case 2:
        case 3:
        case 4: {  // result (twice as often), failure, return
          const LeaseClaim claim = PickClaim(script, world, peer);
          const MessageType type =
              op <= 2 ? MessageType::kResult : (op == 3 ? MessageType::kFailure : MessageType::kReturn);
          nlohmann::json body = {{"task_id", claim.task_id},
                                 {"epoch", claim.epoch},
                                 {"session", PickSession(script, world, peer)}};
          if (type == MessageType::kResult) {
            const int64_t shape = script.Below(4);
            body["rows"] =
                shape == 0 ? nlohmann::json::object({{"no_such_table", nlohmann::json::array({{{"x", 1}}})}})
                : shape == 1
                    ? nlohmann::json::object({{"test_results", nlohmann::json::array({{{"nope", 1}}})}})
                    : nlohmann::json::object(
                          {{"test_results", nlohmann::json::array({{{"worker", "w"}, {"attempt", 1}}})}});
          } else if (type == MessageType::kFailure) {
            body["error"] = "boom";
            body["retryable"] = script.Below(3) != 0;
          }
          Deliver(*core, world, peer, key, Message(type, body));
          break;
        }
        case 5:
        case 6: {  // heartbeat or request (new capacity), progress
          nlohmann::json body = {{"session", PickSession(script, world, peer)}};
          MessageType type = MessageType::kHeartbeat;
          if (op == 6) {
            type = script.Below(2) == 0 ? MessageType::kRequest : MessageType::kProgress;
            if (type == MessageType::kRequest) body["capacity"] = script.Below(5);
            if (type == MessageType::kProgress) {
              const LeaseClaim claim = PickClaim(script, world, peer);
              body["task_id"] = claim.task_id;
              body["epoch"] = claim.epoch;
              body["fraction"] = 0.5;
            }
          }
          Deliver(*core, world, peer, key, Message(type, body));
          break;
        }
        case 7:
          Deliver(*core, world, peer, key,
                  Message(MessageType::kBye, {{"session", PickSession(script, world, peer)}}));
          break;
        case 8: {  // control: pause, resume, cancel or retry the campaign (or one that does not exist)
          static const char* kOps[] = {"pause", "resume", "cancel", "retry"};
          const std::string name = script.Below(4) == 0 ? "missing" : "c";
          Deliver(*core, world, peer, key,
                  Message(MessageType::kControl, {{"op", kOps[script.Below(4)]}, {"campaign", name}}));
          break;
        }
        case 9: {  // raw bytes as a message
          const std::string header = script.Bytes(64);
          std::vector<zmq::message_t> frames;
          frames.emplace_back(header.data(), header.size());
          core->HandleFrames(peer, key, frames, 0);
          break;
        }
        case 10:  // time passes: up to three lease periods
          fixture.now += script.Below(4) * kLeaseMs / 2 + script.Below(64) * 10;
          break;
        case 11:  // the peer becomes unreachable, or reachable again
          if (!world.unreachable.erase(peer)) world.unreachable.insert(peer);
          break;
        case 12:
          core->Service();
          break;
        case 13:  // the coordinator restarts: what it committed is all the next one knows
          core->Flush();
          core = std::make_unique<CoordinatorCore>(fixture.options, *fixture.store, world, hooks);
          world.book = &core->lease_book();
          core->Start();
          break;
        default:
          core->Flush();
          CheckStore(fixture, core->lease_book(), world);
          break;
      }
      CheckBook(core->lease_book());
    }
    core->Service();
    core->Flush();
    CheckBook(core->lease_book());
    CheckStore(fixture, core->lease_book(), world);
  } catch (const std::exception& error) {
    Broken(std::string("the coordinator threw: ") + error.what());
  }
  return 0;
}
