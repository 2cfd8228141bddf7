// What one peer that can reach the coordinator's port can do to it (docs/hardening.md, issue
// "a coordinator no single peer can stop or fool"): each test reproduces a numbered finding with
// hand-made messages on raw sockets and shows that it now fails. The tests wait on replies and on
// the store, never on wall-clock margins.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <thread>
#include <zmq_addon.hpp>

#include "common/file_util.h"
#include "coordinator/coordinator.h"
#include "emoscope_version.h"
#include "jobs/campaign.h"
#include "jobs/submit.h"
#include "protocol/curve.h"
#include "protocol/message.h"
#include "protocol/message_schema.h"
#include "schema/database.h"
#include "tests/orchestrator/cluster.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using Served = testing::ServedCoordinator;

CoordinatorOptions Options(const testing::TempDir& dir) {
  CoordinatorOptions options;
  options.db_path = dir.File("e.db");
  options.bind = "tcp://127.0.0.1:0";
  options.heartbeat_ms = 200;
  options.lease_ms = 60000;  // nothing in these tests may expire by time
  return options;
}

void Submit(const std::string& db_path, const std::string& yaml) {
  Database db(db_path, OpenMode::kReadWrite);
  SubmitCampaign(db, ParseCampaign(yaml, "c.yaml"), EMOSCOPE_CODE_VERSION);
}

// A hand-driven peer: sends headers, reads replies by type (skipping heartbeats).
class Peer {
 public:
  Peer(zmq::context_t& context, const std::string& endpoint, const std::string& routing_id,
       const CurveClientOptions& curve = {})
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    if (!routing_id.empty()) socket_.set(zmq::sockopt::routing_id, routing_id);
    ApplyCurveClient(socket_, curve);
    socket_.connect(endpoint);
  }

  void SendText(const std::string& header) {
    std::vector<zmq::message_t> frames;
    frames.emplace_back(header.data(), header.size());
    zmq::send_multipart(socket_, frames);
  }

  void Send(MessageType type, nlohmann::json body) {
    Message message(type, std::move(body));
    std::vector<zmq::message_t> frames = EncodeMessage(message);
    zmq::send_multipart(socket_, frames);
  }

  // The next message of one of `types` (others are skipped); null after 10 s of nothing.
  nlohmann::json Next(const std::set<std::string>& types) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, std::chrono::milliseconds(100));
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) continue;
      nlohmann::json header = nlohmann::json::parse(frames[0].to_string());
      if (types.count(header.value("type", "")) > 0) return header;
    }
    return nullptr;
  }

  // hello; returns the welcome.
  nlohmann::json Hello(int64_t capacity, nlohmann::json leases = nlohmann::json::array(),
                       const std::string& session = "") {
    nlohmann::json body = {{"capacity", capacity}, {"leases", std::move(leases)}};
    if (!session.empty()) body["session"] = session;
    Send(MessageType::kHello, body);
    return Next({"welcome", "error"});
  }

 private:
  zmq::socket_t socket_;
};

nlohmann::json Claim(const nlohmann::json& task) {
  return nlohmann::json::array({{{"task_id", task["task_id"]}, {"epoch", task["epoch"]}}});
}

nlohmann::json Result(const nlohmann::json& task, const std::string& session, const std::string& worker) {
  return {{"task_id", task["task_id"]},
          {"epoch", task["epoch"]},
          {"session", session},
          {"rows", {{"test_results", {{{"worker", worker}, {"attempt", 1}, {"recorded_at", 1}}}}}}};
}

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_CASE(
    "finding 1: a hello whose info has a wrong type is refused naming the field and the coordinator "
    "serves on",
    "[peer]") {
  testing::TempDir dir;
  Served served(Options(dir));
  zmq::context_t context;
  Peer peer(context, served.coordinator().endpoint(), "w1");
  peer.SendText(R"({"v": 1, "type": "hello", "capacity": 1, "leases": [], "info": {"pid": "x"}})");
  const nlohmann::json refusal = peer.Next({"error", "welcome"});
  REQUIRE(refusal != nullptr);
  CHECK(refusal["type"] == "error");
  CHECK(refusal["reason"].get<std::string>().find("info.pid") != std::string::npos);
  for (const char* bad :
       {R"("info": {"versions": 3})", R"("info": {"kinds": [1]})", R"("info": 7)", R"("loaded_models": [{}])",
        R"("info": {"memory_bytes": -3})", R"("session": "nope")"}) {
    peer.SendText(std::string(R"({"v": 1, "type": "hello", "capacity": 1, "leases": [], )") + bad + "}");
    const nlohmann::json reply = peer.Next({"error", "welcome"});
    REQUIRE(reply != nullptr);
    CHECK(reply["type"] == "error");
  }
  // Nothing was registered by the refused hellos; a good one is welcomed.
  CHECK(testing::QueryInt(dir.File("e.db"), "SELECT count(*) FROM workers") == 0);
  CHECK(peer.Hello(1)["type"] == "welcome");
  served.Stop();
  CHECK(served.coordinator().stats().malformed == 7);
}

TEST_CASE(
    "finding 2: a hello or result nested 100,000 deep is refused without parsing and the coordinator "
    "serves on",
    "[peer]") {
  testing::TempDir dir;
  Served served(Options(dir));
  zmq::context_t context;
  Peer peer(context, served.coordinator().endpoint(), "w1");
  const std::string deep = Nested(100000);
  REQUIRE(deep.size() < kMaxHeaderBytes);
  peer.SendText(R"({"v": 1, "type": "hello", "capacity": 1, "leases": [], "info": )" + deep + "}");
  nlohmann::json reply = peer.Next({"error", "welcome"});
  REQUIRE(reply != nullptr);
  CHECK(reply["reason"].get<std::string>().find("deeper") != std::string::npos);
  peer.SendText(R"({"v": 1, "type": "result", "task_id": 1, "epoch": 5, "rows": )" + deep + "}");
  reply = peer.Next({"error", "ack", "reset"});
  REQUIRE(reply != nullptr);
  CHECK(reply["type"] == "error");
  // Brackets inside strings are not nesting.
  const std::string quoted = R"({"a": "[[[[[[", "b": ["\"[["]})";
  CHECK(JsonNestingDepth(quoted.data(), quoted.size(), 64) == 2);
  CHECK(peer.Hello(1)["type"] == "welcome");
}

TEST_CASE(
    "finding 3: a peer asking for huge capacity is refused, and hello again without its leases charges "
    "no attempt",
    "[peer]") {
  testing::TempDir dir;
  const CoordinatorOptions options = Options(dir);
  Submit(options.db_path, "campaign: c\nmax_attempts: 2\ntest_tasks:\n  - {kind: noop, count: 5}\n");
  Served served(options);
  zmq::context_t context;
  Peer peer(context, served.coordinator().endpoint(), "greedy");
  const nlohmann::json refusal = peer.Hello(1000000);
  REQUIRE(refusal != nullptr);
  CHECK(refusal["type"] == "error");
  CHECK(refusal["reason"].get<std::string>().find("capacity") != std::string::npos);
  // Within the cap: takes all five, then says hello again without them, again and again.
  std::string session = peer.Hello(5)["session"];
  for (int round = 0; round < 4; ++round) {
    for (int task = 0; task < 5; ++task) REQUIRE(peer.Next({"task"}) != nullptr);
    const nlohmann::json welcome = peer.Hello(5, nlohmann::json::array(), session);
    REQUIRE(welcome["type"] == "welcome");
    session = welcome["session"];
  }
  for (int task = 0; task < 5; ++task) REQUIRE(peer.Next({"task"}) != nullptr);
  const std::string db = options.db_path;
  CHECK(testing::WaitFor(
      [&] { return testing::QueryInt(db, "SELECT count(*) FROM events WHERE kind = 'returned'") == 20; },
      10000));
  // The last round's five leases are committed as running, each on its first attempt.
  CHECK(testing::WaitFor(
      [&] { return testing::QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'running'") == 5; },
      10000));
  CHECK(testing::QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'failed'") == 0);
  CHECK(testing::QueryInt(db, "SELECT max(attempts) FROM tasks") == 1);
}

TEST_CASE(
    "finding 4: another peer claiming a worker's lease or reusing its routing id cannot report its "
    "result",
    "[peer]") {
  testing::TempDir dir;
  const CoordinatorOptions options = Options(dir);
  Submit(options.db_path, "campaign: c\ntest_tasks:\n  - {kind: noop, count: 1}\n");
  Served served(options);
  const std::string endpoint = served.coordinator().endpoint();
  zmq::context_t context;
  // The victim's first socket is closed once it holds the lease (a reconnecting worker opens a
  // new one), so that replies to its routing id reach only the connection under test.
  auto victim = std::make_unique<Peer>(context, endpoint, "victim");
  const std::string session = victim->Hello(1)["session"];
  REQUIRE(IsSessionText(session));
  const nlohmann::json task = victim->Next({"task"});
  REQUIRE(task != nullptr);
  victim.reset();

  // A hello listing the lease from another routing id does not take it over.
  Peer thief(context, endpoint, "thief");
  const nlohmann::json thief_welcome = thief.Hello(0, Claim(task));
  CHECK(thief_welcome["revoked"].size() == 1);
  thief.Send(MessageType::kResult, Result(task, thief_welcome["session"], "thief"));
  nlohmann::json ack = thief.Next({"ack"});
  REQUIRE(ack != nullptr);
  CHECK(ack["acks"][0]["accepted"] == false);

  // A second connection under the victim's routing id, without the victim's session.
  {
    Peer impostor(context, endpoint, "victim");
    const nlohmann::json impostor_welcome = impostor.Hello(0, Claim(task));
    CHECK(impostor_welcome["revoked"].size() == 1);
    impostor.Send(MessageType::kResult, Result(task, impostor_welcome["session"], "impostor"));
    ack = impostor.Next({"ack"});
    REQUIRE(ack != nullptr);
    CHECK(ack["acks"][0]["accepted"] == false);
  }
  CHECK(testing::QueryInt(options.db_path, "SELECT count(*) FROM test_results") == 0);

  // The victim reconnects (a new socket, as a worker does) and proves its session: the lease is
  // its own again, and its result is the one recorded.
  Peer back(context, endpoint, "victim");
  const nlohmann::json welcome = back.Hello(1, Claim(task), session);
  REQUIRE(welcome["type"] == "welcome");
  CHECK(welcome["revoked"].empty());
  back.Send(MessageType::kResult, Result(task, welcome["session"], "victim"));
  ack = back.Next({"ack"});
  REQUIRE(ack != nullptr);
  CHECK(ack["acks"][0]["accepted"] == true);
  CHECK(testing::QueryText(options.db_path, "SELECT worker FROM test_results") == "victim");
  CHECK(testing::QueryInt(options.db_path, "SELECT count(*) FROM tasks WHERE state = 'done'") == 1);
}

TEST_CASE("finding 4: under CURVE a connection with another allow-listed key cannot use a worker's session",
          "[peer][security]") {
  REQUIRE(CurveAvailable());
  testing::TempDir dir;
  const std::string keys = dir.File("keys");
  const std::string allow = dir.File("allow");
  std::filesystem::create_directories(allow);
  for (const char* name : {"coordinator", "node1", "node2"})
    WriteCurveKeyPair(keys, name, GenerateCurveKeyPair());
  for (const char* name : {"node1", "node2"})
    std::filesystem::copy_file(keys + "/" + name + ".pub", allow + "/" + name + ".pub");
  CoordinatorOptions options = Options(dir);
  options.curve_secret_file = keys + "/coordinator.key";
  options.curve_allow = allow;
  Submit(options.db_path, "campaign: c\ntest_tasks:\n  - {kind: noop, count: 1}\n");
  Served served(options);
  const std::string endpoint = served.coordinator().endpoint();
  const CurveClientOptions node1{keys + "/coordinator.pub", keys + "/node1.key"};
  const CurveClientOptions node2{keys + "/coordinator.pub", keys + "/node2.key"};
  zmq::context_t context;
  auto worker = std::make_unique<Peer>(context, endpoint, "node1-worker", node1);
  const std::string session = worker->Hello(1)["session"];
  const nlohmann::json task = worker->Next({"task"});
  REQUIRE(task != nullptr);
  worker.reset();
  // The coordinator's next heartbeat to the closed connection fails: node1 is detached, and its
  // lease waits for it to come back (before, it expired at once, charged: this test then failed
  // whenever a heartbeat fell between the close and node2's hello).
  const bool detached = testing::WaitFor(
      [&] {
        return testing::QueryText(options.db_path,
                                  "SELECT state FROM workers WHERE identity = 'node1-worker'") == "lost";
      },
      10000);
  INFO(
      testing::QueryText(options.db_path, "SELECT group_concat(identity || ':' || state, ' ') FROM workers"));
  CHECK(detached);
  CHECK(testing::QueryInt(options.db_path, "SELECT count(*) FROM events WHERE kind = 'expired'") == 0);

  // node2 knows the routing id and even the session, but not node1's key.
  {
    Peer other(context, endpoint, "node1-worker", node2);
    const nlohmann::json welcome = other.Hello(0, Claim(task), session);
    REQUIRE(welcome["type"] == "welcome");
    CHECK(welcome["revoked"].size() == 1);
    other.Send(MessageType::kResult, Result(task, session, "node2"));
    const nlohmann::json reply = other.Next({"ack", "reset"});
    REQUIRE(reply != nullptr);
    CHECK(reply["type"] == "reset");
  }
  Peer back(context, endpoint, "node1-worker", node1);
  const nlohmann::json welcome = back.Hello(1, Claim(task), session);
  CHECK(welcome["revoked"].empty());
  back.Send(MessageType::kResult, Result(task, welcome["session"], "node1"));
  const nlohmann::json ack = back.Next({"ack"});
  REQUIRE(ack != nullptr);
  CHECK(ack["acks"][0]["accepted"] == true);
  CHECK(testing::QueryText(options.db_path, "SELECT worker FROM test_results") == "node1");
  CHECK(testing::QueryInt(options.db_path, "SELECT attempts FROM tasks") == 1);  // nothing was charged
}

TEST_CASE("a detached worker that comes back without a lease gets the task again with no attempt charged",
          "[peer]") {
  testing::TempDir dir;
  const CoordinatorOptions options = Options(dir);
  Submit(options.db_path, "campaign: c\ntest_tasks:\n  - {kind: noop, count: 1}\n");
  Served served(options);
  zmq::context_t context;
  auto worker = std::make_unique<Peer>(context, served.coordinator().endpoint(), "w1");
  const std::string session = worker->Hello(1)["session"];
  const nlohmann::json task = worker->Next({"task"});
  REQUIRE(task != nullptr);
  CHECK(task["attempt"] == 1);
  worker.reset();  // the connection closes: the next heartbeat to it fails and w1 is detached
  REQUIRE(testing::WaitFor(
      [&] {
        return testing::QueryText(options.db_path, "SELECT state FROM workers WHERE identity = 'w1'") ==
               "lost";
      },
      10000));
  // w1 proves its session but holds nothing (as when the task never reached it).
  Peer back(context, served.coordinator().endpoint(), "w1");
  REQUIRE(back.Hello(1, nlohmann::json::array(), session)["type"] == "welcome");
  const nlohmann::json again = back.Next({"task"});
  REQUIRE(again != nullptr);
  CHECK(again["task_id"] == task["task_id"]);
  CHECK(again["attempt"] == 1);  // nothing ran, so nothing was charged
}

TEST_CASE(
    "finding 10: 25,000 bogus lease claims in one hello are refused, and refusals write at most 100 "
    "events per peer",
    "[peer]") {
  testing::TempDir dir;
  Served served(Options(dir));
  zmq::context_t context;
  Peer peer(context, served.coordinator().endpoint(), "claims");
  nlohmann::json claims = nlohmann::json::array();
  for (int64_t index = 1; index <= 25000; ++index) claims.push_back({{"task_id", index}, {"epoch", index}});
  const nlohmann::json refusal = peer.Hello(1, claims);
  REQUIRE(refusal != nullptr);
  CHECK(refusal["type"] == "error");
  CHECK(refusal["reason"].get<std::string>().find("leases") != std::string::npos);
  // Within the count limit the claims are revoked, but only the first 100 leave an event.
  claims.erase(claims.begin() + static_cast<std::ptrdiff_t>(kMaxLeaseClaims), claims.end());
  const nlohmann::json welcome = peer.Hello(1, claims);
  REQUIRE(welcome["type"] == "welcome");
  CHECK(welcome["revoked"].size() == kMaxLeaseClaims);
  // The welcome's hello is committed with the next batch: the worker row shows it.
  CHECK(testing::WaitFor(
      [&] { return testing::QueryInt(dir.File("e.db"), "SELECT count(*) FROM workers") == 1; }, 10000));
  CHECK(testing::QueryInt(dir.File("e.db"), "SELECT count(*) FROM events WHERE kind = 'refused'") == 100);
}

TEST_CASE(
    "finding 9: two campaigns keep their own name and path for the same weights, and each one's tasks are "
    "dispatched with its path",
    "[peer]") {
  testing::TempDir dir;
  const CoordinatorOptions options = Options(dir);
  std::filesystem::create_directories(dir.File("a"));
  std::filesystem::create_directories(dir.File("b"));
  WriteFileAtomic(dir.File("a/w.bin"), "the same weights");
  WriteFileAtomic(dir.File("b/w.bin"), "the same weights");
  Submit(options.db_path, "campaign: one\nmodels:\n  - {name: first, path: " + dir.File("a/w.bin") +
                              "}\ntasks:\n  - {kind: probe, model: first}\n");
  Submit(options.db_path, "campaign: two\nmodels:\n  - {name: second, path: " + dir.File("b/w.bin") +
                              "}\ntasks:\n  - {kind: probe, model: second, count: 2}\n");
  const std::string db = options.db_path;
  CHECK(testing::QueryInt(db, "SELECT count(*) FROM models") == 1);  // one checksum
  CHECK(testing::QueryText(db,
                           "SELECT group_concat(c.name || ':' || cm.name || ':' || cm.path, ' ') FROM "
                           "campaign_models cm JOIN campaigns c ON c.id = cm.campaign_id") ==
        "one:first:" + dir.File("a/w.bin") + " two:second:" + dir.File("b/w.bin"));
  CHECK(testing::QueryText(db, "SELECT path FROM models") == dir.File("b/w.bin"));  // the latest submission's
  CHECK(testing::QueryInt(db, "SELECT count(*) FROM tasks") == 2);  // task 1 is in both campaigns
  Served served(options);
  zmq::context_t context;
  Peer peer(context, served.coordinator().endpoint(), "w1");
  REQUIRE(peer.Hello(2)["type"] == "welcome");
  std::map<int64_t, std::string> path_of;
  for (int k = 0; k < 2; ++k) {
    const nlohmann::json task = peer.Next({"task"});
    REQUIRE(task != nullptr);
    path_of[task["task_id"].get<int64_t>()] = task["model"]["path"].get<std::string>();
  }
  const int64_t first = testing::QueryInt(db, "SELECT min(id) FROM tasks");
  CHECK(path_of.at(first) == dir.File("a/w.bin"));      // created by campaign one
  CHECK(path_of.at(first + 1) == dir.File("b/w.bin"));  // created by campaign two
  // A resubmission replaces the campaign's names and paths.
  served.Stop();
  Submit(options.db_path, "campaign: one\nmodels:\n  - {name: renamed, path: " + dir.File("a/w.bin") +
                              "}\ntasks:\n  - {kind: probe, model: renamed}\n");
  CHECK(testing::QueryText(db, "SELECT name FROM campaign_models WHERE campaign_id = 1") == "renamed");
}

TEST_CASE("finding 10: a worker refuses a welcome with lease_ms <= 0 and keeps its timings", "[peer]") {
  const auto welcome = [](int64_t lease_ms) {
    return Message(MessageType::kWelcome,
                   {{"heartbeat_ms", 100}, {"lease_ms", lease_ms}, {"revoked", nlohmann::json::array()}});
  };
  CHECK_THROWS_WITH(ParseWelcome(welcome(-5)), Catch::Contains("lease_ms"));
  CHECK_THROWS_WITH(ParseWelcome(welcome(0)), Catch::Contains("lease_ms"));
  CHECK(ParseWelcome(welcome(1000)).lease_ms == 1000);
}

}  // namespace
}  // namespace emoscope
