#include "jobs/campaign.h"

#include <catch2/catch.hpp>
#include <set>

#include "common/error.h"
#include "jobs/campaign_status.h"
#include "jobs/submit.h"
#include "jobs/task_key.h"
#include "schema/database.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

const char* kExample = R"(campaign: noop-10k
test_tasks:
  - {kind: noop, count: 10000}
  - {kind: sleep, count: 100, ms: 20}
  - {kind: fail, count: 5}      # always fails: ends as failed after its retries
)";

int64_t Count(Database& db, const std::string& sql) {
  Statement statement = db.Prepare(sql);
  REQUIRE(statement.Step());
  return statement.ColumnInt(0);
}

TEST_CASE("the example campaign parses into its three entries", "[jobs]") {
  const Campaign campaign = ParseCampaign(kExample, "c.yaml");
  CHECK(campaign.name == "noop-10k");
  REQUIRE(campaign.entries.size() == 3);
  CHECK(campaign.entries[1].kind == "sleep");
  CHECK(campaign.entries[1].params["ms"] == 20);
  CHECK(campaign.entries[2].line == 5);
  CHECK(campaign.TaskCount() == 10105);
}

TEST_CASE("campaign errors name the file, the line and the field", "[jobs]") {
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\ntest_tasks:\n  - {kind: noop, count: -3}\n", "c.yaml"),
                    Catch::Contains("c.yaml:3") && Catch::Contains("test_tasks[0].count"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\ntest_tasks:\n  - {kind: teleport}\n", "c.yaml"),
                    Catch::Contains("c.yaml:3") && Catch::Contains("test_tasks[0].kind"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\ntest_tasks:\n  - {kind: noop, colour: red}\n", "c.yaml"),
                    Catch::Contains("test_tasks[0].colour") && Catch::Contains("unknown field"));
  CHECK_THROWS_WITH(ParseCampaign("test_tasks:\n  - {kind: noop}\n", "c.yaml"),
                    Catch::Contains("campaign: is required"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\nspeed: 3\ntest_tasks: [{kind: noop}]\n", "c.yaml"),
                    Catch::Contains("c.yaml:2") && Catch::Contains("speed"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\ntest_tasks:\n  - {kind: sleep}\n", "c.yaml"),
                    Catch::Contains("test_tasks[0].ms"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\ntest_tasks:\n  - {kind: noop, after: later}\n", "c.yaml"),
                    Catch::Contains("test_tasks[0].after"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: [x\n", "c.yaml"),
                    Catch::Contains("c.yaml:") && Catch::Contains("YAML"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: 'a b'\ntest_tasks: [{kind: noop}]\n", "c.yaml"),
                    Catch::Contains("campaign") && Catch::Contains("valid name"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\n", "c.yaml"), Catch::Contains("at least one task"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\ntest_tasks: [{kind: noop, count: 99999999999}]\n", "c.yaml"),
                    Catch::Contains("count"));
  CHECK_THROWS_WITH(ParseCampaign("campaign: x\ntasks: [{kind: extract, model: gpt2}]\n", "c.yaml"),
                    Catch::Contains("tasks[0].model") && Catch::Contains("gpt2"));
}

TEST_CASE("task keys depend on kind, model, params and code version only", "[jobs]") {
  const nlohmann::json params = {{"index", 0}, {"ms", 5}};
  const std::string key = TaskKey("sleep", "", params, "v1");
  CHECK(key.size() == 64);
  CHECK(TaskKey("sleep", "", nlohmann::json::parse(R"({"ms":5,"index":0})"), "v1") == key);
  CHECK(TaskKey("noop", "", params, "v1") != key);
  CHECK(TaskKey("sleep", "abc", params, "v1") != key);
  CHECK(TaskKey("sleep", "", params, "v2") != key);
  CHECK(TaskKey("sleep", "", {{"index", 1}, {"ms", 5}}, "v1") != key);
}

TEST_CASE("expansion gives every copy its own key, the same TaskKey computes", "[jobs]") {
  const Campaign campaign = ParseCampaign(kExample, "c.yaml");
  std::set<std::string> keys;
  ExpandCampaign(campaign, "v1", [&](const TaskSpec& spec) {
    keys.insert(spec.key);
    if (spec.index == 3) {
      CHECK(spec.key == TaskKey(spec.entry->kind, "", nlohmann::json::parse(spec.params_json), "v1"));
    }
  });
  CHECK(keys.size() == 10105);
}

TEST_CASE("re-submitting a campaign adds no task and extending one adds only the new tasks", "[jobs]") {
  testing::TempDir dir;
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  const SubmitStats first = SubmitCampaign(db, ParseCampaign(kExample, "c.yaml"), "v1");
  CHECK(first.new_campaign);
  CHECK(first.added == 10105);
  const SubmitStats again = SubmitCampaign(db, ParseCampaign(kExample, "c.yaml"), "v1");
  CHECK_FALSE(again.new_campaign);
  CHECK(again.added == 0);
  const SubmitStats extended = SubmitCampaign(
      db, ParseCampaign("campaign: more\ntest_tasks:\n  - {kind: noop, count: 10010}\n", "m.yaml"), "v1");
  CHECK(extended.added == 10);
  CHECK(Count(db, "SELECT count(*) FROM tasks") == 10115);
  const auto status = QueryCampaignStatus(db, std::string("more"));
  REQUIRE(status.size() == 1);
  CHECK(status[0].total == 10010);
  CHECK(status[0].queued == 10010);
}

TEST_CASE("tasks of an entry that waits for another start blocked with their dependencies", "[jobs]") {
  testing::TempDir dir;
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  SubmitCampaign(db,
                 ParseCampaign("campaign: d\ntest_tasks:\n  - {kind: noop, count: 3, name: first}\n"
                               "  - {kind: sleep, ms: 1, count: 2, after: first}\n",
                               "d.yaml"),
                 "v1");
  CHECK(Count(db, "SELECT count(*) FROM tasks WHERE state = 'blocked'") == 2);
  CHECK(Count(db, "SELECT count(*) FROM task_deps") == 6);
}

TEST_CASE("status of an unknown campaign is an error naming it", "[jobs]") {
  testing::TempDir dir;
  Database db(dir.File("e.db"), OpenMode::kReadWrite);
  CHECK_THROWS_WITH(QueryCampaignStatus(db, std::string("ghost")), Catch::Contains("ghost"));
}

}  // namespace
}  // namespace emoscope
