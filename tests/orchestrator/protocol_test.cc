#include <catch2/catch.hpp>
#include <zmq_addon.hpp>

#include "common/file_util.h"
#include "protocol/message.h"
#include "tests/orchestrator/cluster.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

std::vector<zmq::message_t> Frames(std::initializer_list<std::string> parts) {
  std::vector<zmq::message_t> frames;
  for (const std::string& part : parts) frames.emplace_back(part.data(), part.size());
  return frames;
}

std::string DecodeError(std::vector<zmq::message_t> frames) {
  DecodeResult result = DecodeMessage(frames, 0);
  return result.message ? "" : result.error;
}

TEST_CASE("a message survives encoding and decoding with its blobs", "[protocol]") {
  Message message(MessageType::kResult, {{"task_id", 7}, {"epoch", 9}, {"rows", nlohmann::json::object()}});
  message.blobs.emplace_back("\x01\x02\x00\x03", 4);
  std::vector<zmq::message_t> frames = EncodeMessage(message);
  REQUIRE(frames.size() == 2);
  DecodeResult decoded = DecodeMessage(frames, 0);
  REQUIRE(decoded.message);
  CHECK(decoded.message->type == MessageType::kResult);
  CHECK(RequireInt(*decoded.message, "task_id") == 7);
  REQUIRE(decoded.message->blobs.size() == 1);
  CHECK(decoded.message->blobs[0].size() == 4);
}

TEST_CASE("malformed headers are reported, never thrown", "[protocol]") {
  CHECK_THAT(DecodeError({}), Catch::Contains("empty"));
  CHECK_THAT(DecodeError(Frames({"\xff\xfe garbage"})), Catch::Contains("not valid JSON"));
  CHECK_THAT(DecodeError(Frames({"[1, 2]"})), Catch::Contains("not a JSON object"));
  CHECK_THAT(DecodeError(Frames({R"({"type": "hello"})"})), Catch::Contains("'v'"));
  CHECK_THAT(DecodeError(Frames({R"({"v": 99, "type": "hello"})"})), Catch::Contains("version 99"));
  CHECK_THAT(DecodeError(Frames({R"({"v": 1, "type": "teleport"})"})),
             Catch::Contains("unknown message type 'teleport'"));
  CHECK_THAT(DecodeError(Frames({R"({"v": 1})"})), Catch::Contains("'type'"));
  CHECK_THAT(DecodeError(Frames({std::string(kMaxHeaderBytes + 1, ' ')})), Catch::Contains("exceeds"));
}

TEST_CASE("a missing or mistyped field names the message type and the field", "[protocol]") {
  Message message(MessageType::kResult, {{"task_id", "seven"}});
  CHECK_THROWS_WITH(RequireInt(message, "task_id"),
                    Catch::Contains("result message") && Catch::Contains("task_id"));
  CHECK_THROWS_WITH(RequireInt(message, "epoch"), Catch::Contains("'epoch' is missing"));
}

// Sends raw frames to the coordinator and returns the reply's type and reason.
// With no frames, only waits for the next reply.
std::pair<std::string, std::string> Exchange(zmq::socket_t& socket, std::vector<zmq::message_t> frames) {
  if (!frames.empty()) zmq::send_multipart(socket, frames);
  std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
  zmq::poll(items, std::chrono::milliseconds(5000));
  std::vector<zmq::message_t> reply;
  if (!zmq::recv_multipart(socket, std::back_inserter(reply), zmq::recv_flags::dontwait))
    return {"timeout", ""};
  const nlohmann::json header = nlohmann::json::parse(reply[0].to_string());
  return {header.value("type", ""), header.value("reason", header.value("error", ""))};
}

TEST_CASE("malformed and unknown messages to the coordinator are rejected and it keeps serving",
          "[protocol][cluster]") {
  testing::TempDir dir;
  const std::string db = dir.File("e.db");
  testing::ChildProcess coordinator(
      {"--log-level", "error", "coordinator", "--db", db, "--bind", "tcp://127.0.0.1:0"}, dir.File("log"));
  const std::string endpoint = testing::WaitForEndpoint(db);
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(endpoint);

  CHECK(Exchange(socket, Frames({"not json at all"})).first == "error");
  CHECK(Exchange(socket, Frames({R"({"v": 2, "type": "hello"})"})).second.find("version") !=
        std::string::npos);
  CHECK(Exchange(socket, Frames({R"({"v": 1, "type": "launch_missiles"})"}))
            .second.find("unknown message type") != std::string::npos);
  CHECK(Exchange(socket, Frames({R"({"v": 1, "type": "hello"})"})).second.find("capacity") !=
        std::string::npos);
  CHECK(
      Exchange(socket, Frames({R"({"v": 1, "type": "hello", "capacity": 1, "leases": [{"task_id": "x"}]})"}))
          .first == "error");
  CHECK(Exchange(socket, Frames({std::string(kMaxHeaderBytes + 10, '{')})).second.find("exceeds") !=
        std::string::npos);
  CHECK(Exchange(socket, Frames({"{}", "", ""})).first == "error");
  // An outcome from a stranger for a lease that is not current is refused (fencing), and the
  // stranger is told to say hello.
  CHECK(Exchange(socket, Frames({R"({"v": 1, "type": "result", "task_id": 1, "epoch": 5})"})).first == "ack");
  CHECK(Exchange(socket, {}).first == "reset");
  // Registered, then a task-type message a worker must never send, then a mistyped result.
  CHECK(Exchange(socket, Frames({R"({"v": 1, "type": "hello", "capacity": 0, "leases": []})"})).first ==
        "welcome");
  CHECK(Exchange(socket, Frames({R"({"v": 1, "type": "task", "task_id": 1})"})).second.find("unexpected") !=
        std::string::npos);
  CHECK(Exchange(socket, Frames({R"({"v": 1, "type": "result", "task_id": [1], "epoch": 5})"}))
            .second.find("task_id") != std::string::npos);
  CHECK(
      Exchange(socket, Frames({R"({"v": 1, "type": "control", "op": "explode", "campaign": "x"})"})).first ==
      "control_reply");

  CHECK(coordinator.Running());
  CHECK(testing::QueryInt(db, "SELECT count(*) FROM campaigns") == 0);
}

}  // namespace
}  // namespace emoscope

namespace emoscope {
namespace {

// Waits for the next message of `type`, skipping heartbeats; returns its header.
nlohmann::json NextOfType(zmq::socket_t& socket, const std::string& type) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, std::chrono::milliseconds(200));
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) continue;
    nlohmann::json header = nlohmann::json::parse(frames[0].to_string());
    if (header.value("type", "") == type) return header;
  }
  return nullptr;
}

TEST_CASE("a worker that has a model loaded is given that model's tasks first", "[protocol][cluster]") {
  testing::TempDir dir;
  const std::string db = dir.File("e.db");
  const std::string model_a(64, 'a');
  const std::string model_b(64, 'b');
  WriteFileAtomic(
      dir.File("c.yaml"),
      "campaign: affinity\nmodels:\n  - {name: a, path: /m/a, checksum: " + model_a +
          "}\n  - {name: b, path: /m/b, checksum: " + model_b +
          "}\ntasks:\n  - {kind: probe, model: a, count: 3}\n  - {kind: probe, model: b, count: 3}\n");
  REQUIRE(testing::RunCommand(testing::ShellQuote(testing::ProgramPath("emoscope")) + " submit " +
                              testing::ShellQuote(dir.File("c.yaml")) + " --db " + testing::ShellQuote(db))
              .exit_code == 0);
  testing::ChildProcess coordinator(
      {"--log-level", "error", "coordinator", "--db", db, "--bind", "tcp://127.0.0.1:0"}, dir.File("log"));
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::routing_id, "fake-worker");
  socket.connect(testing::WaitForEndpoint(db));
  Message hello(MessageType::kHello,
                {{"capacity", 1}, {"leases", nlohmann::json::array()}, {"loaded_models", {model_b}}});
  std::vector<zmq::message_t> frames = EncodeMessage(hello);
  zmq::send_multipart(socket, frames);
  REQUIRE(NextOfType(socket, "welcome") != nullptr);
  const nlohmann::json task = NextOfType(socket, "task");
  REQUIRE(task != nullptr);
  CHECK(task["model"]["checksum"] == model_b);
  CHECK(task["kind"] == "probe");
  CHECK(task["params"]["index"] == 0);
}

}  // namespace
}  // namespace emoscope
