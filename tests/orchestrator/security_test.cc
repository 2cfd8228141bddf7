// CURVE on the coordinator's socket: keys, the allow-list enforced by the ZAP handler, plain-text
// clients refused, and the --insecure rule for non-loopback binds.
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "coordinator/control_client.h"
#include "coordinator/coordinator.h"
#include "protocol/curve.h"
#include "tests/orchestrator/cluster.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::ChildProcess;
using testing::QueryInt;
using testing::RunCommand;
using testing::ShellQuote;

// A coordinator served on a thread for the length of a test.
using testing::ServedCoordinator;

// Keys for a coordinator, a listed worker and an unlisted one; the allow-list folder holds only
// the listed worker's public key.
struct Keys {
  explicit Keys(const testing::TempDir& dir) : root(dir.File("keys")), allow(dir.File("allow")) {
    WriteCurveKeyPair(root, "coordinator", GenerateCurveKeyPair());
    WriteCurveKeyPair(root, "listed", GenerateCurveKeyPair());
    WriteCurveKeyPair(root, "unlisted", GenerateCurveKeyPair());
    std::filesystem::create_directories(allow);
    std::filesystem::copy_file(root + "/listed.pub", allow + "/listed.pub");
  }
  std::string root;
  std::string allow;
};

CoordinatorOptions CurveOptions(const testing::TempDir& dir, const Keys& keys) {
  CoordinatorOptions options;
  options.db_path = dir.File("e.db");
  options.bind = "tcp://127.0.0.1:0";
  options.curve_secret_file = keys.root + "/coordinator.key";
  options.curve_allow = keys.allow;
  return options;
}

// An unknown campaign is the cheapest request with an answer: the reply (a refusal) proves the
// handshake passed; silence proves it did not.
const nlohmann::json kProbe = {{"op", "pause"}, {"campaign", "no-such-campaign"}};

std::string ControlOutcome(const std::string& endpoint, const CurveClientOptions& curve) {
  try {
    SendControl(endpoint, kProbe, /*timeout_ms=*/testing::ScaledMs(800), curve);
    return "answered";
  } catch (const Error& error) {
    return error.what();
  }
}

TEST_CASE("keys generate writes a 0600 secret and a public key that the loaders read back", "[security]") {
  REQUIRE(CurveAvailable());
  testing::TempDir dir;
  const auto run = RunCommand(ShellQuote(testing::ProgramPath("emoscope")) + " keys generate --out " +
                              ShellQuote(dir.File("k")) + " --name worker-01");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const auto status = std::filesystem::status(dir.File("k/worker-01.key"));
  CHECK((status.permissions() & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
        std::filesystem::perms::none);
  const CurveKeyPair pair = LoadCurveSecret(dir.File("k/worker-01.key"));
  CHECK(pair.public_key == LoadCurvePublic(dir.File("k/worker-01.pub")));
  CHECK_THAT(run.output, Catch::Contains(pair.public_key));
  const auto again = RunCommand(ShellQuote(testing::ProgramPath("emoscope")) + " keys generate --out " +
                                ShellQuote(dir.File("k")) + " --name worker-01");
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.output, Catch::Contains("worker-01.key") && Catch::Contains("exists"));
}

TEST_CASE("a malformed key or allow-list is an error naming the file and line", "[security]") {
  testing::TempDir dir;
  WriteFileAtomic(dir.File("short.pub"), "abc\n");
  CHECK_THROWS_WITH(LoadCurvePublic(dir.File("short.pub")), Catch::Contains("short.pub:1"));
  WriteFileAtomic(dir.File("list"), "# workers\n" + GenerateCurveKeyPair().public_key + "\n\nnot-a-key\n");
  CHECK_THROWS_WITH(LoadCurveAllowList(dir.File("list")), Catch::Contains("list:4"));
  WriteFileAtomic(dir.File("empty"), "# nobody\n");
  CHECK_THROWS_WITH(LoadCurveAllowList(dir.File("empty")), Catch::Contains("no public key"));
}

TEST_CASE("a listed client is answered while an unlisted key and a plain-text client are refused",
          "[security]") {
  testing::TempDir dir;
  const Keys keys(dir);
  ServedCoordinator served(CurveOptions(dir, keys));
  const std::string endpoint = served.coordinator().endpoint();
  const CurveClientOptions listed{keys.root + "/coordinator.pub", keys.root + "/listed.key"};
  const CurveClientOptions unlisted{keys.root + "/coordinator.pub", keys.root + "/unlisted.key"};
  // The right server key but the wrong secret: the client cannot even complete the handshake.
  const CurveClientOptions wrong_server{keys.root + "/listed.pub", keys.root + "/listed.key"};

  CHECK_THAT(ControlOutcome(endpoint, listed),
             Catch::Contains("no-such-campaign") || Catch::Contains("answered"));
  CHECK_THAT(ControlOutcome(endpoint, unlisted), Catch::Contains("no answer"));
  CHECK_THAT(ControlOutcome(endpoint, {}), Catch::Contains("no answer"));
  CHECK_THAT(ControlOutcome(endpoint, wrong_server), Catch::Contains("no answer"));
  served.Stop();
  CHECK(served.coordinator().stats().zap_accepted >= 1);
  CHECK(served.coordinator().stats().zap_refused >= 1);
}

TEST_CASE("a non-loopback bind without CURVE is refused unless --insecure is given", "[security]") {
  testing::TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("e.db");
  options.bind = "tcp://0.0.0.0:0";
  CHECK_THROWS_WITH(Coordinator(options),
                    Catch::Contains("tcp://0.0.0.0:0") && Catch::Contains("--insecure"));
  options.insecure = true;
  CHECK_NOTHROW(Coordinator(options));
  options.insecure = false;
  options.bind = "tcp://127.0.0.1:0";
  CHECK_NOTHROW(Coordinator(options));
  CHECK(IsLoopbackEndpoint("ipc:///tmp/x"));
  CHECK_FALSE(IsLoopbackEndpoint("tcp://10.0.0.1:5555"));
  CHECK_FALSE(IsLoopbackEndpoint("tcp://*:5555"));

  const auto cli = RunCommand(ShellQuote(testing::ProgramPath("emoscope")) + " coordinator --db " +
                              ShellQuote(dir.File("c.db")) + " --bind 'tcp://*:0'");
  CHECK(cli.exit_code == 1);
  CHECK_THAT(cli.output, Catch::Contains("without CURVE"));
}

TEST_CASE("a listed worker process completes a campaign over CURVE and an unlisted one gets nothing",
          "[security][cluster]") {
  testing::TempDir dir;
  const Keys keys(dir);
  const std::string db = dir.File("e.db");
  WriteFileAtomic(dir.File("c.yaml"), "campaign: s\ntest_tasks:\n  - {kind: noop, count: 40}\n");
  REQUIRE(RunCommand(ShellQuote(testing::ProgramPath("emoscope")) + " submit " +
                     ShellQuote(dir.File("c.yaml")) + " --db " + ShellQuote(db))
              .exit_code == 0);
  ChildProcess coordinator(
      {"--log-level", "warn", "coordinator", "--db", db, "--bind", "tcp://127.0.0.1:0", "--heartbeat-ms",
       std::to_string(testing::ScaledMs(50)), "--lease-ms", std::to_string(testing::ScaledMs(500)),
       "--curve-secret", keys.root + "/coordinator.key", "--curve-allow", keys.allow},
      dir.File("log"));
  const std::string endpoint = testing::WaitForEndpoint(db);
  ChildProcess intruder(
      {"--log-level", "warn", "worker", "--connect", endpoint, "--identity", "intruder", "--curve-server-key",
       keys.root + "/coordinator.pub", "--curve-secret", keys.root + "/unlisted.key"},
      dir.File("log"));
  ChildProcess plain({"--log-level", "warn", "worker", "--connect", endpoint, "--identity", "plain"},
                     dir.File("log"));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK(QueryInt(db, "SELECT count(*) FROM tasks WHERE state != 'queued'") == 0);
  ChildProcess listed(
      {"--log-level", "warn", "worker", "--connect", endpoint, "--identity", "listed", "--curve-server-key",
       keys.root + "/coordinator.pub", "--curve-secret", keys.root + "/listed.key"},
      dir.File("log"));
  REQUIRE(testing::WaitFor(
      [&] { return QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'done'") == 40; }, 20000));
  CHECK(QueryInt(db, "SELECT count(*) FROM test_results WHERE worker != 'listed'") == 0);
  CHECK(QueryInt(db, "SELECT count(*) FROM workers WHERE identity IN ('intruder', 'plain')") == 0);
  CHECK_THAT(ReadFile(dir.File("log")), Catch::Contains("not on the allow-list"));
}

}  // namespace
}  // namespace emoscope
