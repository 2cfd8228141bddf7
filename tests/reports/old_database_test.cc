// A database of the previous schema (version 3, before the permutation null and migration 4's
// views; tests/reports/data/make_v3_database.py) opens read-only and is analysed on a migrated
// in-memory copy, then migrates and gives the same analysis.
#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "reports/study.h"
#include "schema/database.h"
#include "schema/migrations.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::TempDir;

nlohmann::ordered_json Analyze(const std::string& path, OpenMode mode) {
  Database db(path, mode);
  StudyOptions options;
  options.resamples = 30;
  return BuildStudyReport(db, options);
}

TEST_CASE("a version 3 database is analysed read-only, then migrates and analyses the same",
          "[analyze][migration]") {
  TempDir dir;
  const std::string path = dir.File("old.db");
  WriteFileAtomic(path, ReadFile(testing::SourcePath("tests/reports/data/v3_campaign.db")));
  {
    Database db(path, OpenMode::kReadOnly);
    REQUIRE(db.UserVersion() == 3);
  }
  const nlohmann::ordered_json before = Analyze(path, OpenMode::kReadOnly);
  const auto& peaks = before["sections"]["peak_depth"];
  REQUIRE(peaks.size() == 2);
  for (const auto& peak : peaks) {
    CHECK(peak["peak_layer"] == 2);
    CHECK(peak["failed_resamples"] == 0);
    CHECK(peak["valid_resamples"] == 30);
  }
  CHECK(before["sections"]["method_comparison"].at(0)["wilcoxon_method"] == "exact");
  CHECK(before["sections"]["localization"].at(0)["null_mean_cosine"].is_null());
  bool noted = false;
  for (const auto& note : before["notes"])
    noted = noted || note.get<std::string>().find("no permutation null") != std::string::npos;
  CHECK(noted);
  CHECK(before["manifest"]["schema_version"] == 3);

  { Database migrated(path, OpenMode::kReadWrite); }  // Opening for writing migrates.
  {
    Database db(path, OpenMode::kReadOnly);
    CHECK(db.UserVersion() == LatestSchemaVersion());
  }
  nlohmann::ordered_json after = Analyze(path, OpenMode::kReadOnly);
  CHECK(after["manifest"]["schema_version"] == LatestSchemaVersion());
  after["manifest"]["schema_version"] = 3;
  CHECK(after == before);
}

}  // namespace
}  // namespace emoscope
