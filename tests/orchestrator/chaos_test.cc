// The chaos test (docs/hardening.md): a campaign of 10,000 tasks while workers are killed and
// restarted at random, frozen past their lease, and the coordinator is killed with SIGKILL and
// restarted 20 times. It must end with every task done once, nothing lost, nothing recorded
// twice, an intact database, and the same results as an undisturbed run of the same campaign.
// Bounded to a few minutes; registered with ctest under the label `chaos` (EMOSCOPE_CHAOS_TESTS).
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

#include "common/file_util.h"
#include "tests/orchestrator/cluster.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::ChildProcess;
using testing::QueryInt;
using testing::ShellQuote;
using testing::WaitFor;

constexpr int kTasks = 10000;
constexpr int kCoordinatorKills = 20;
constexpr int kWorkers = 3;
constexpr int kLeaseMs = 500;
const char* const kCampaign =
    "campaign: chaos\ntest_tasks:\n  - {kind: noop, count: 8000}\n  - {kind: sleep, ms: 8, count: 2000}\n";

std::vector<std::string> CoordinatorArgs(const std::string& db, const std::string& bind) {
  return {"--log-level", "error", "coordinator", "--db", db, "--bind", bind, "--heartbeat-ms", "50",
          "--lease-ms", std::to_string(kLeaseMs), "--retry-base-ms", "20"};
}

std::vector<std::string> WorkerArgs(const std::string& endpoint, int index, int generation) {
  return {"--log-level", "error", "worker", "--connect", endpoint, "--identity",
          "w" + std::to_string(index) + "." + std::to_string(generation), "--prefetch", "4", "--drain-ms", "2000"};
}

int64_t Unfinished(const std::string& db) {
  return QueryInt(db, "SELECT count(*) FROM tasks WHERE state NOT IN ('done', 'failed', 'cancelled')");
}

TEST_CASE("10,000 tasks survive 20 coordinator kills and random worker kills and freezes with results identical to an "
          "undisturbed run", "[chaos][slow]") {
  testing::TempDir dir;
  WriteFileAtomic(dir.File("c.yaml"), kCampaign);
  const std::string emoscope = ShellQuote(testing::ProgramPath("emoscope"));

  const auto started = std::chrono::steady_clock::now();
  const auto calm = testing::RunCommand(emoscope + " --log-level warn run " + ShellQuote(dir.File("c.yaml")) +
                                        " --workers 2 --db " + ShellQuote(dir.File("calm.db")));
  INFO(calm.output);
  REQUIRE(calm.exit_code == 0);
  const double calm_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const std::string db = dir.File("chaos.db");
  REQUIRE(testing::RunCommand(emoscope + " submit " + ShellQuote(dir.File("c.yaml")) + " --db " + ShellQuote(db)).exit_code == 0);
  auto coordinator = std::make_unique<ChildProcess>(CoordinatorArgs(db, "tcp://127.0.0.1:0"), dir.File("log"));
  const std::string endpoint = testing::WaitForEndpoint(db);
  std::vector<std::unique_ptr<ChildProcess>> workers;
  std::vector<int> generations(kWorkers, 0);
  std::vector<int64_t> frozen_until(kWorkers, 0);
  for (int index = 0; index < kWorkers; ++index) {
    workers.push_back(std::make_unique<ChildProcess>(WorkerArgs(endpoint, index, 0), dir.File("log")));
  }

  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(60, 200);
  std::uniform_int_distribution<int> action(0, 9);
  std::uniform_int_distribution<int> which(0, kWorkers - 1);
  int coordinator_kills = 0;
  int worker_kills = 0;
  int freezes = 0;
  const auto chaos_started = std::chrono::steady_clock::now();
  const auto now_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - chaos_started).count();
  };
  // Faults until the 20th coordinator kill; the campaign is paced so that it is still running then.
  while (coordinator_kills < kCoordinatorKills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    for (int index = 0; index < kWorkers; ++index) {
      if (frozen_until[index] != 0 && now_ms() >= frozen_until[index]) {
        workers[index]->Signal(SIGCONT);
        frozen_until[index] = 0;
      }
    }
    const int roll = action(rng);
    const int index = which(rng);
    if (roll < 5) {
      coordinator->Signal(SIGKILL);
      REQUIRE(coordinator->Wait(5000) == 128 + SIGKILL);
      coordinator = std::make_unique<ChildProcess>(CoordinatorArgs(db, endpoint), dir.File("log"));
      ++coordinator_kills;
    } else if (roll < 8) {
      workers[index]->Signal(SIGKILL);
      workers[index]->Wait(5000);
      frozen_until[index] = 0;
      workers[index] = std::make_unique<ChildProcess>(WorkerArgs(endpoint, index, ++generations[index]), dir.File("log"));
      ++worker_kills;
    } else if (frozen_until[index] == 0) {
      // Frozen past its lease: its tasks go to others and its late reports must be refused.
      workers[index]->Signal(SIGSTOP);
      frozen_until[index] = now_ms() + kLeaseMs * 3 / 2;
      ++freezes;
    }
  }
  const int64_t unfinished_at_last_kill = Unfinished(db);
  for (int index = 0; index < kWorkers; ++index) workers[index]->Signal(SIGCONT);
  REQUIRE(WaitFor([&] { return Unfinished(db) == 0; }, 180000));
  for (auto& worker : workers) worker->Signal(SIGTERM);
  for (auto& worker : workers) worker->Wait(5000);
  coordinator->Signal(SIGTERM);
  CHECK(coordinator->Wait(10000) == 0);
  const double chaos_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - chaos_started).count();

  std::printf("chaos: %d tasks, %d coordinator kills, %d worker kills, %d freezes, %lld tasks unfinished at the last "
              "kill, %lld refused stale reports, %lld expired leases; undisturbed run %.1f s, chaos run %.1f s\n",
              kTasks, coordinator_kills, worker_kills, freezes, static_cast<long long>(unfinished_at_last_kill),
              static_cast<long long>(QueryInt(db, "SELECT count(*) FROM events WHERE kind = 'refused'")),
              static_cast<long long>(QueryInt(db, "SELECT count(*) FROM events WHERE kind = 'expired'")), calm_seconds,
              chaos_seconds);
  CHECK(unfinished_at_last_kill > 0);
  CHECK(QueryInt(db, "SELECT count(*) FROM tasks") == kTasks);
  CHECK(QueryInt(db, "SELECT count(*) FROM tasks WHERE state = 'done'") == kTasks);
  CHECK(QueryInt(db, "SELECT count(*) FROM test_results") == kTasks);
  CHECK(QueryInt(db, "SELECT count(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM test_results r WHERE r.task_id = t.id)") == 0);
  CHECK(QueryInt(db, "SELECT count(*) FROM events WHERE kind = 'done'") == kTasks);
  CHECK(QueryInt(db, "SELECT count(*) FROM (SELECT task_id FROM events WHERE kind = 'done' GROUP BY task_id HAVING count(*) > 1)") == 0);
  CHECK(testing::QueryText(db, "PRAGMA integrity_check") == "ok");
  CHECK(QueryInt(db, "SELECT value FROM meta WHERE key = 'coordinator_run'") == kCoordinatorKills + 1);
  CHECK(testing::ResultsFingerprint(db) == testing::ResultsFingerprint(dir.File("calm.db")));
}

}  // namespace
}  // namespace emoscope
