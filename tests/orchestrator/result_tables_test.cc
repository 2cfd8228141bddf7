#include "coordinator/result_tables.h"

#include <catch2/catch.hpp>

#include "common/error.h"
#include "jobs/campaign.h"
#include "jobs/campaign_control.h"
#include "jobs/submit.h"
#include "schema/database.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

int64_t Count(Database& db, const std::string& sql) {
  Statement statement = db.Prepare(sql);
  REQUIRE(statement.Step());
  return statement.ColumnInt(0);
}

struct Store {
  testing::TempDir dir;
  Database db{dir.File("e.db"), OpenMode::kReadWrite};
  Store() {
    SubmitCampaign(
        db,
        ParseCampaign("campaign: r\ntest_tasks:\n  - {kind: noop, count: 3}\n  - {kind: fail, count: 2}\n",
                      "r.yaml"),
        "v1");
  }
};

TEST_CASE("result rows go into known tables with their blobs", "[result_tables]") {
  Store store;
  ResultTables tables(store.db);
  std::vector<zmq::message_t> blobs;
  blobs.emplace_back("\x00\x3c\x00\x40", 4);  // two float16 values
  tables.Insert(1, nlohmann::json::parse(R"({"test_results": [{"worker": "w", "attempt": 1}],
      "activation_means": [{"layer": 3, "emotion": "joy", "method": "generation", "dtype": "float16", "dim": 2, "samples": 1, "data": {"$blob": 0}}]})"),
                blobs);
  CHECK(Count(store.db, "SELECT count(*) FROM test_results WHERE task_id = 1") == 1);
  CHECK(Count(store.db, "SELECT length(data) FROM activation_means WHERE task_id = 1 AND layer = 3") == 4);
}

TEST_CASE("bad result rows are errors naming the table, row and column", "[result_tables]") {
  Store store;
  ResultTables tables(store.db);
  const std::vector<zmq::message_t> none;
  CHECK_THROWS_WITH(tables.Insert(1, nlohmann::json::parse(R"({"tasks": [{}]})"), none),
                    Catch::Contains("'tasks' is not a known result table"));
  CHECK_THROWS_WITH(
      tables.Insert(1, nlohmann::json::parse(R"({"test_results": [{"worker": "w", "colour": 1}]})"), none),
      Catch::Contains("test_results[0].colour: unknown column"));
  CHECK_THROWS_WITH(
      tables.Insert(
          1, nlohmann::json::parse(R"({"test_results": [{"task_id": 2, "worker": "w", "attempt": 1}]})"),
          none),
      Catch::Contains("test_results[0].task_id"));
  CHECK_THROWS_WITH(
      tables.Insert(
          1,
          nlohmann::json::parse(
              R"({"activation_means": [{"layer": 1, "emotion": "x", "dtype": "f", "dim": 1, "data": {"$blob": 3}}]})"),
          none),
      Catch::Contains("activation_means[0].data: blob 3 does not exist"));
  CHECK_THROWS_WITH(
      tables.Insert(1, nlohmann::json::parse(R"({"test_results": [{"worker": [1], "attempt": 1}]})"), none),
      Catch::Contains("test_results[0].worker: unsupported value"));
  CHECK_THROWS_WITH(tables.Insert(1, nlohmann::json::parse(R"({"test_results": {"worker": "w"}})"), none),
                    Catch::Contains("rows must be an array"));
  // A second result for the same task violates the primary key: the store refuses it.
  tables.Insert(1, nlohmann::json::parse(R"({"test_results": [{"worker": "w", "attempt": 1}]})"), none);
  CHECK_THROWS_WITH(
      tables.Insert(1, nlohmann::json::parse(R"({"test_results": [{"worker": "w", "attempt": 2}]})"), none),
      Catch::Contains("UNIQUE"));
  CHECK(Count(store.db, "SELECT count(*) FROM test_results") == 1);
}

TEST_CASE("campaign operations change the states they promise", "[jobs]") {
  Store store;
  Database& db = store.db;
  db.Exec("UPDATE tasks SET state = 'failed', attempts = 3, error = 'x' WHERE kind = 'fail'");
  CHECK(ApplyCampaignOp(db, "r", CampaignOp::kRetry) == 2);
  CHECK(Count(db, "SELECT count(*) FROM tasks WHERE state = 'queued' AND attempts = 0 AND error IS NULL") ==
        5);
  ApplyCampaignOp(db, "r", CampaignOp::kPause);
  CHECK(Count(db, "SELECT count(*) FROM campaigns WHERE state = 'paused'") == 1);
  CHECK(ApplyCampaignOp(db, "r", CampaignOp::kCancel) == 5);
  CHECK(ApplyCampaignOp(db, "r", CampaignOp::kResume) == 5);
  CHECK(Count(db, "SELECT count(*) FROM campaigns WHERE state = 'active'") == 1);
  CHECK(Count(db, "SELECT count(*) FROM events WHERE kind IN ('pause', 'cancel', 'resume', 'retry')") == 4);
  CHECK_THROWS_WITH(ApplyCampaignOp(db, "ghost", CampaignOp::kPause), Catch::Contains("ghost"));
  CHECK_THROWS_AS(ParseCampaignOp("explode"), UsageError);
}

}  // namespace
}  // namespace emoscope
