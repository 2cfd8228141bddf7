// A store that cannot grow (a full disk, here a size cap on the database) stops the coordinator's
// dispatching with a message that says so, and leaves the database intact and resumable.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/file_util.h"
#include "schema/database.h"
#include "tests/orchestrator/cluster.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::ChildProcess;
using testing::QueryInt;
using testing::ShellQuote;
using testing::WaitFor;

std::vector<std::string> CoordinatorArgs(const std::string& db, const std::string& bind,
                                         const std::string& max_db_mb) {
  std::vector<std::string> args = testing::FastCoordinatorArgs(db, bind);
  args.insert(args.end(), {"--max-db-mb", max_db_mb});
  return args;
}

// The store's size grows by about this much per finished noop task (result row, event, task row).
constexpr int64_t kBytesPerResult = 160;

TEST_CASE("a full store stops the coordinator with a message naming the database, without corrupting it",
          "[cluster][storage]") {
  testing::TempDir dir;
  const std::string db = dir.File("e.db");
  // Sanitizer builds run the same property on fewer tasks: enough that the store fills before the
  // campaign ends, few enough that the resumed coordinator finishes them in time.
  const int64_t tasks = testing::TimeScale() > 1 ? 3000 : 20000;
  WriteFileAtomic(dir.File("c.yaml"),
                  "campaign: full\ntest_tasks:\n  - {kind: noop, count: " + std::to_string(tasks) + "}\n");
  const std::string emoscope = ShellQuote(testing::ProgramPath("emoscope"));
  REQUIRE(
      testing::RunCommand(emoscope + " submit " + ShellQuote(dir.File("c.yaml")) + " --db " + ShellQuote(db))
          .exit_code == 0);
  // The cap (whole MiB) leaves room for about a quarter of the results: the submitted store is
  // padded with a blob up to that much below the next MiB boundary.
  const int64_t room = tasks * kBytesPerResult / 4;
  const int64_t page_size = QueryInt(db, "PRAGMA page_size");
  const int64_t submitted = QueryInt(db, "PRAGMA page_count") * page_size;
  const int64_t cap_mb = (submitted + room + page_size * 8) / (1 << 20) + 1;
  {
    Database store(db, OpenMode::kReadWrite);
    // Overflow pages carry page_size - 4 bytes of a blob each; a few pages go to the table itself.
    const int64_t padding =
        (cap_mb * (1 << 20) - submitted - room - page_size * 4) / page_size * (page_size - 4);
    store.Exec("CREATE TABLE test_padding(b BLOB); INSERT INTO test_padding VALUES (zeroblob(" +
               std::to_string(padding) + "))");
  }
  const int64_t padded = QueryInt(db, "PRAGMA page_count") * page_size;
  INFO("store " << submitted << " bytes, padded to " << padded << ", cap " << cap_mb
                << " MiB: room for about " << (cap_mb * (1 << 20) - padded) / kBytesPerResult << " of "
                << tasks << " results");
  REQUIRE(padded < cap_mb * (1 << 20));

  ChildProcess coordinator(CoordinatorArgs(db, "tcp://127.0.0.1:0", std::to_string(cap_mb)), dir.File("log"));
  const std::string endpoint = testing::WaitForEndpoint(db);
  ChildProcess worker(
      {"--log-level", "warn", "worker", "--connect", endpoint, "--identity", "w", "--prefetch", "16"},
      dir.File("log"));
  const int exit_code = coordinator.Wait(60000);
  INFO(ReadFile(dir.File("log")));
  REQUIRE(exit_code == 1);
  const std::string log = ReadFile(dir.File("log"));
  CHECK_THAT(log,
             Catch::Contains("e.db") && Catch::Contains("full") && Catch::Contains("dispatching stopped"));
  CHECK(testing::QueryText(db, "PRAGMA integrity_check") == "ok");
  const int64_t done = QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'done'");
  CHECK(done > 0);
  CHECK(done < tasks);
  CHECK(QueryInt(db, "SELECT count(*) FROM test_results") == done);
  // A result that hit the full store is not the result's fault: no task is failed for it (it
  // once was, as "result rejected", when the insert of its rows was the write that failed).
  CHECK(QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'failed'") == 0);

  SECTION("with room again, a new coordinator finishes the campaign with every task done once") {
    ChildProcess again(CoordinatorArgs(db, endpoint, "0"), dir.File("log"));
    REQUIRE(WaitFor([&] { return QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'done'") == tasks; },
                    60000));
    CHECK(QueryInt(db, "SELECT count(*) FROM test_results") == tasks);
    CHECK(QueryInt(db, "SELECT count(*) FROM events WHERE kind = 'done'") == tasks);
  }
}

}  // namespace
}  // namespace emoscope
