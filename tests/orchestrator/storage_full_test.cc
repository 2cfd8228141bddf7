// A store that cannot grow (a full disk, here a size cap on the database) stops the coordinator's
// dispatching with a message that says so, and leaves the database intact and resumable.
#include <signal.h>

#include <catch2/catch.hpp>

#include <filesystem>

#include "common/file_util.h"
#include "tests/orchestrator/cluster.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::ChildProcess;
using testing::QueryInt;
using testing::ShellQuote;
using testing::WaitFor;

std::vector<std::string> CoordinatorArgs(const std::string& db, const std::string& bind, const std::string& max_db_mb) {
  return {"--log-level", "warn", "coordinator", "--db", db, "--bind", bind, "--heartbeat-ms", "50", "--lease-ms", "500",
          "--max-db-mb", max_db_mb};
}

TEST_CASE("a full store stops the coordinator with a message naming the database, without corrupting it", "[cluster][storage]") {
  testing::TempDir dir;
  const std::string db = dir.File("e.db");
  WriteFileAtomic(dir.File("c.yaml"), "campaign: full\ntest_tasks:\n  - {kind: noop, count: 20000}\n");
  const std::string emoscope = ShellQuote(testing::ProgramPath("emoscope"));
  REQUIRE(testing::RunCommand(emoscope + " submit " + ShellQuote(dir.File("c.yaml")) + " --db " + ShellQuote(db)).exit_code == 0);
  // The cap leaves 0.25 to 1.25 MiB above the submitted store: room for some results, not for
  // 20,000 (about 3 MiB).
  const int64_t pages = QueryInt(db, "PRAGMA page_count");
  const int64_t page_size = QueryInt(db, "PRAGMA page_size");
  const int64_t cap_mb = (pages * page_size + (256 << 10)) / (1 << 20) + 1;
  INFO("store " << pages * page_size << " bytes, cap " << cap_mb << " MiB");

  ChildProcess coordinator(CoordinatorArgs(db, "tcp://127.0.0.1:0", std::to_string(cap_mb)), dir.File("log"));
  const std::string endpoint = testing::WaitForEndpoint(db);
  ChildProcess worker({"--log-level", "warn", "worker", "--connect", endpoint, "--identity", "w", "--prefetch", "16"},
                      dir.File("log"));
  const int exit_code = coordinator.Wait(60000);
  INFO(ReadFile(dir.File("log")));
  REQUIRE(exit_code == 1);
  const std::string log = ReadFile(dir.File("log"));
  CHECK_THAT(log, Catch::Contains("e.db") && Catch::Contains("full") && Catch::Contains("dispatching stopped"));
  CHECK(testing::QueryText(db, "PRAGMA integrity_check") == "ok");
  const int64_t done = QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'done'");
  CHECK(done > 0);
  CHECK(done < 20000);
  CHECK(QueryInt(db, "SELECT count(*) FROM test_results") == done);
  // A result that hit the full store is not the result's fault: no task is failed for it (it
  // once was, as "result rejected", when the insert of its rows was the write that failed).
  CHECK(QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'failed'") == 0);

  SECTION("with room again, a new coordinator finishes the campaign with every task done once") {
    ChildProcess again(CoordinatorArgs(db, endpoint, "0"), dir.File("log"));
    REQUIRE(WaitFor([&] { return QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'done'") == 20000; }, 60000));
    CHECK(QueryInt(db, "SELECT count(*) FROM test_results") == 20000);
    CHECK(QueryInt(db, "SELECT count(*) FROM events WHERE kind = 'done'") == 20000);
  }
}

}  // namespace
}  // namespace emoscope
