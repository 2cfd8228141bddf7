// Findings 5, 7, 8 and 10 of the coordinator's hardening review (docs/hardening.md): bounded
// YAML, `run` that never aborts nor leaves workers behind, the single-writer lock on the file's
// identity, and endpoint checks. Each test reproduces its finding and shows it fixed; the tests
// wait on process exits, replies and the store, never on wall-clock margins.
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>
#include <zmq_addon.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "coordinator/control_client.h"
#include "coordinator/coordinator.h"
#include "jobs/campaign.h"
#include "jobs/campaign_wire.h"
#include "jobs/submit.h"
#include "jobs/yaml_bounds.h"
#include "protocol/message.h"
#include "schema/database.h"
#include "tests/orchestrator/cluster.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

// The classic billion-laughs document (nine levels of nine aliases: 9^9 strings when expanded),
// hidden in a task's params.
std::string BillionLaughs() {
  std::string text = "campaign: lol\nlol: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level <= 8; ++level) {
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int copy = 0; copy < 9; ++copy) text += (copy ? ", *l" : "*l") + std::to_string(level - 1);
    text += "]\n";
  }
  return text + "tasks:\n  - {kind: probe, params: {p: *l8}}\n";
}

TEST_CASE("finding 5: a billion-laughs campaign is refused at once, parsed locally or submitted",
          "[hardening]") {
  const std::string text = BillionLaughs();
  REQUIRE(text.size() < 600);
  CHECK_THROWS_WITH(ParseCampaign(text, "lol.yaml"), Catch::Contains("expands to more than"));
  // Sent to a running coordinator as campaign text: the coordinator parses no YAML at all (the
  // client sends the resolved campaign, finding 9), so it refuses at once and serves on.
  testing::TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("e.db");
  options.bind = "tcp://127.0.0.1:0";
  Coordinator coordinator(options);
  std::thread thread([&] { coordinator.Run(); });
  CHECK_THROWS_WITH(SendControl(coordinator.endpoint(),
                                {{"op", "submit"}, {"spec", text}, {"file", "lol.yaml"}}, 30000, {}),
                    Catch::Contains("resolved"));
  // Still serving: an unknown campaign is answered (refused), not met with silence.
  CHECK_THROWS_WITH(SendControl(coordinator.endpoint(), {{"op", "pause"}, {"campaign", "none"}}, 30000, {}),
                    !Catch::Contains("no answer"));
  coordinator.Stop();
  thread.join();
  // A document larger than the size bound is refused before it is parsed.
  CHECK_THROWS_WITH(LoadBoundedYaml(std::string(kMaxYamlBytes + 1, ' '), "big.yaml"),
                    Catch::Contains("big.yaml") && Catch::Contains("more than the limit"));
}

TEST_CASE(
    "finding 9: model paths relative to the campaign file are resolved by the client, whatever the "
    "coordinator's folder",
    "[hardening]") {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.File("study"));
  WriteFileAtomic(dir.File("study/weights.bin"), "not really weights");
  WriteFileAtomic(dir.File("study/c.yaml"),
                  "campaign: rel\nmodels:\n  - {name: m, path: weights.bin}\n"
                  "tasks:\n  - {kind: probe, model: m}\n");
  CoordinatorOptions options;
  options.db_path = dir.File("e.db");
  options.bind = "tcp://127.0.0.1:0";
  Coordinator coordinator(options);  // in this process, whose folder is not the campaign's
  std::thread thread([&] { coordinator.Run(); });
  const auto submitted = testing::RunCommand("cd " + testing::ShellQuote(dir.File("study")) + " && " +
                                             testing::ShellQuote(testing::ProgramPath("emoscope")) +
                                             " submit c.yaml --coordinator " + coordinator.endpoint());
  coordinator.Stop();
  thread.join();
  INFO(submitted.output);
  CHECK(submitted.exit_code == 0);
  CHECK(testing::QueryText(options.db_path, "SELECT path FROM models") ==
        std::filesystem::canonical(dir.File("study/weights.bin")).string());
  CHECK(testing::QueryInt(options.db_path, "SELECT count(*) FROM tasks") == 1);
  // A resolved campaign from a peer is checked again: a relative path is refused.
  nlohmann::json resolved =
      CampaignToJson(ParseCampaign(ReadFile(dir.File("study/c.yaml")), dir.File("study/c.yaml")));
  resolved["models"][0]["path"] = "weights.bin";
  CHECK_THROWS_WITH(CampaignFromJson(resolved),
                    Catch::Contains("models[0].path") && Catch::Contains("absolute"));
}

TEST_CASE("finding 10: a duplicate key in a campaign is an error naming both lines and the field",
          "[hardening]") {
  CHECK_THROWS_WITH(
      ParseCampaign("campaign: x\ntest_tasks:\n  - {kind: noop}\ntest_tasks:\n  - {kind: fail}\n", "c.yaml"),
      Catch::Contains("c.yaml:4: test_tasks: duplicate key (first given at line 2)"));
  CHECK_THROWS_WITH(
      ParseCampaign("campaign: x\ntest_tasks:\n  - {kind: noop, count: 2, count: 3}\n", "c.yaml"),
      Catch::Contains("c.yaml:3: test_tasks[0].count: duplicate key"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\ntest_tasks:\n  - {kind: noop, cuont: 2}\n", "c.yaml"),
                    Catch::Contains("c.yaml:3") && Catch::Contains("cuont: unknown field"));
}

TEST_CASE(
    "finding 10: an entry whose tasks duplicate the ones it waits for is an error, not a lost dependency",
    "[hardening]") {
  testing::TempDir dir;
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  const Campaign campaign = ParseCampaign(
      "campaign: x\ntest_tasks:\n  - {kind: noop, count: 2, name: first}\n  - {kind: noop, count: 2, after: "
      "first}\n",
      "c.yaml");
  CHECK_THROWS_WITH(SubmitCampaign(db, campaign, "test"),
                    Catch::Contains("c.yaml:4") && Catch::Contains("same as those of the entry at line 3"));
  Statement count = db.Prepare("SELECT count(*) FROM tasks");
  REQUIRE(count.Step());
  CHECK(count.ColumnInt(0) == 0);  // nothing of it was stored
}

TEST_CASE("finding 10: a tcp port beyond 65535 is refused instead of wrapping around", "[hardening]") {
  testing::TempDir dir;
  CoordinatorOptions options;
  options.db_path = dir.File("e.db");
  options.bind = "tcp://127.0.0.1:70000";
  CHECK_THROWS_WITH(Coordinator(options), Catch::Contains("70000") && Catch::Contains("0 to 65535"));
  options.bind = "tcp://127.0.0.1:x";
  CHECK_THROWS_WITH(Coordinator(options), Catch::Contains("not a number"));
}

// Processes whose command line has `--parent-pid PID`: the workers a `run` started.
int CountWorkersOf(pid_t parent) {
  const std::string needle = std::string("--parent-pid") + '\0' + std::to_string(parent) + '\0';
  int count = 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return -1;
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + entry->d_name + "/cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string pid, name, state;
    stat >> pid >> name >> state;
    if (state != "Z" && cmdline.find(needle) != std::string::npos) ++count;
  }
  ::closedir(proc);
  return count;
}

TEST_CASE("finding 7: run exits with an error, not SIGABRT, when restarts run out, and leaves no worker",
          "[hardening][cluster]") {
  testing::TempDir dir;
  WriteFileAtomic(dir.File("c.yaml"), "campaign: crashes\ntest_tasks:\n  - {kind: crash, count: 4}\n");
  testing::ChildProcess run({"--log-level", "warn", "run", dir.File("c.yaml"), "--db", dir.File("e.db"),
                             "--workers", "2", "--max-restarts", "0"},
                            dir.File("log"));
  CHECK(run.Wait(60000) == 1);
  CHECK(ReadFile(dir.File("log")).find("--max-restarts is used up") != std::string::npos);
  CHECK(testing::WaitFor([&] { return CountWorkersOf(run.pid()) == 0; }, 10000));
}

TEST_CASE("finding 7: run refuses more workers than the machine can hold, and its workers die with it",
          "[hardening][cluster]") {
  testing::TempDir dir;
  WriteFileAtomic(dir.File("c.yaml"),
                  "campaign: slow\ntest_tasks:\n  - {kind: sleep, ms: 600000, count: 4}\n");
  const auto refused = testing::RunCommand(testing::ShellQuote(testing::ProgramPath("emoscope")) + " run " +
                                           testing::ShellQuote(dir.File("c.yaml")) + " --db " +
                                           testing::ShellQuote(dir.File("x.db")) + " --workers 100000");
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("more than this machine can hold") != std::string::npos);

  testing::ChildProcess run(
      {"--log-level", "warn", "run", dir.File("c.yaml"), "--db", dir.File("e.db"), "--workers", "2"},
      dir.File("log"));
  REQUIRE(testing::WaitFor([&] { return CountWorkersOf(run.pid()) == 2; }, 30000));
  run.Signal(SIGKILL);
  CHECK(run.Wait(10000) == 128 + SIGKILL);
  CHECK(testing::WaitFor([&] { return CountWorkersOf(run.pid()) == 0; }, 10000));
}

TEST_CASE("finding 8: a second coordinator is refused through a symlink or a hard link to the database",
          "[hardening][cluster]") {
  testing::TempDir dir;
  const std::string db = dir.File("e.db");
  testing::ChildProcess first(
      {"--log-level", "warn", "coordinator", "--db", db, "--bind", "tcp://127.0.0.1:0"}, dir.File("log"));
  testing::WaitForEndpoint(db);
  std::filesystem::create_symlink(db, dir.File("symlink.db"));
  std::filesystem::create_hard_link(db, dir.File("hardlink.db"));
  for (const char* name : {"symlink.db", "hardlink.db"}) {
    testing::ChildProcess second(
        {"--log-level", "warn", "coordinator", "--db", dir.File(name), "--bind", "tcp://127.0.0.1:0"},
        dir.File(std::string(name) + ".log"));
    CHECK(second.Wait(30000) == 1);
    CHECK(ReadFile(dir.File(std::string(name) + ".log")).find("another coordinator serves this database") !=
          std::string::npos);
  }
  CHECK(first.Running());
}

TEST_CASE(
    "finding 8: a coordinator whose database is deleted stops with an error instead of acknowledging "
    "into the void",
    "[hardening][cluster]") {
  testing::TempDir dir;
  const std::string db = dir.File("e.db");
  WriteFileAtomic(dir.File("c.yaml"), "campaign: c\ntest_tasks:\n  - {kind: noop, count: 10}\n");
  REQUIRE(testing::RunCommand(testing::ShellQuote(testing::ProgramPath("emoscope")) + " submit " +
                              testing::ShellQuote(dir.File("c.yaml")) + " --db " + testing::ShellQuote(db))
              .exit_code == 0);
  testing::ChildProcess coordinator(
      {"--log-level", "warn", "coordinator", "--db", db, "--bind", "tcp://127.0.0.1:0"}, dir.File("log"));
  const std::string endpoint = testing::WaitForEndpoint(db);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  // A worker asking for work makes the coordinator commit: it notices and stops.
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(endpoint);
  Message hello(MessageType::kHello, {{"capacity", 4}, {"leases", nlohmann::json::array()}});
  std::vector<zmq::message_t> frames = EncodeMessage(hello);
  zmq::send_multipart(socket, frames);
  CHECK(coordinator.Wait(30000) == 1);
  INFO(ReadFile(dir.File("log")));
  CHECK(ReadFile(dir.File("log")).find("deleted") != std::string::npos);
}

}  // namespace
}  // namespace emoscope
