// Old databases: one of schema version 3 (before the permutation null and migration 4's views;
// written by tests/reports/data/make_v3_database.py) and one written by the release at schema
// version 7 (a real campaign; tests/reports/data/README.md says which commit and command made it).
// Each opens read-only and is analysed on a migrated in-memory copy, then migrates and gives the
// same analysis; the release's also gives the numbers that release's own analyze printed.
#include <catch2/catch.hpp>
#include <string>

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

// The row of `section` for (model, method); REQUIREs that there is one.
const nlohmann::ordered_json& RowOf(const nlohmann::ordered_json& section, const std::string& model,
                                    const std::string& method) {
  for (const auto& row : section) {
    if (row["model"] == model && row["method"] == method) return row;
  }
  FAIL("no row for " << model << " / " << method);
  return section;  // Not reached.
}

double Number(const nlohmann::ordered_json& row, const char* field) { return row.at(field).get<double>(); }

// Values printed by `emoscope analyze --resamples 30 --format json` of the release that wrote the
// fixture (0.1.0+93ea56047d9e). They come from the stored results (and, for the U-fit's curvature
// interval, from the same source resamples), so a migration that altered what the database
// holds, or how an older one is read, changes them.
TEST_CASE(
    "a database written by the schema version 7 release migrates and analyses to that release's numbers",
    "[analyze][migration]") {
  constexpr int64_t kReleaseSchemaVersion = 7;
  TempDir dir;
  const std::string path = dir.File("release.db");
  WriteFileAtomic(path, ReadFile(testing::SourcePath("tests/reports/data/release_v7_campaign.db")));
  {
    Database db(path, OpenMode::kReadOnly);
    REQUIRE(db.UserVersion() == kReleaseSchemaVersion);
  }
  const nlohmann::ordered_json before = Analyze(path, OpenMode::kReadOnly);
  CHECK(before["manifest"]["schema_version"] == kReleaseSchemaVersion);
  CHECK(before["manifest"]["task_code_versions"] == nlohmann::ordered_json::array({"0.1.0+93ea56047d9e"}));
  CHECK(before["manifest"]["tasks"]["metrics"]["done"] == 40);
  CHECK(before["manifest"]["tasks"]["steer"]["done"] == 8);

  { Database migrated(path, OpenMode::kReadWrite); }  // Opening for writing migrates.
  {
    Database db(path, OpenMode::kReadOnly);
    CHECK(db.UserVersion() == LatestSchemaVersion());
  }
  nlohmann::ordered_json after = Analyze(path, OpenMode::kReadOnly);
  CHECK(after["manifest"]["schema_version"] == LatestSchemaVersion());
  after["manifest"]["schema_version"] = kReleaseSchemaVersion;
  CHECK(after == before);

  const auto& sections = after["sections"];
  CHECK(sections["localization"].size() == 40);  // (9 + 11) layers x 2 methods.
  struct Peak {
    const char* model;
    const char* method;
    int64_t layer;
    double value;
  };
  for (const Peak& expected :
       {Peak{"llama-8", "comprehension", 7, 0.9791666666666666}, Peak{"llama-8", "generation", 5, 1.0},
        Peak{"gpt2-10", "comprehension", 8, 0.8958333333333334}, Peak{"gpt2-10", "generation", 8, 1.0}}) {
    INFO(expected.model << " / " << expected.method);
    const auto& row = RowOf(sections["peak_depth"], expected.model, expected.method);
    CHECK(row["peak_layer"] == expected.layer);
    CHECK(Number(row, "peak_value") == Approx(expected.value).epsilon(1e-12));
    CHECK(row["valid_resamples"] == 30);
  }
  for (const auto& row : sections["localization"]) {
    if (row["model"] == "llama-8" && row["method"] == "comprehension" && row["layer"] == 7) {
      CHECK(Number(row, "mean_cosine") == Approx(0.9614354933822531).epsilon(1e-12));
      CHECK(Number(row, "fisher_ratio") == Approx(0.7173943438232886).epsilon(1e-12));
      CHECK(Number(row, "separation_z") == Approx(19.272852332494754).epsilon(1e-12));
      CHECK(Number(row, "neutral_norm") == Approx(82.37982225418091).epsilon(1e-12));
    }
    if (row["model"] == "gpt2-10" && row["method"] == "comprehension" && row["layer"] == 4) {
      CHECK(Number(row, "probe_accuracy") == Approx(0.3541666666666667).epsilon(1e-12));
      CHECK(Number(row, "permutation_p") == Approx(0.07960199004975124).epsilon(1e-12));
    }
  }
  const auto& u_fit = RowOf(sections["u_fit"], "llama-8", "generation");
  CHECK(Number(u_fit, "r0") == Approx(0.06752948990754742).epsilon(1e-12));
  CHECK(Number(u_fit, "a") == Approx(0.18805480387282847).epsilon(1e-12));
  CHECK(Number(u_fit, "r_squared") == Approx(0.26832783270050964).epsilon(1e-12));
  CHECK(Number(u_fit, "a_ci_lower") == Approx(0.0590690210089366).epsilon(1e-12));
  CHECK(Number(u_fit, "a_ci_upper") == Approx(0.26071888218716416).epsilon(1e-12));
  CHECK(RowOf(sections["u_fit"], "gpt2-10", "comprehension")["shape"] == "inverted_u");

  const auto& comparison = sections["method_comparison"].at(0);
  CHECK(comparison["pairs"] == 8);
  CHECK(Number(comparison, "mann_whitney_u") == 64.0);
  CHECK(Number(comparison, "mann_whitney_p") == Approx(0.0001554001554001554).epsilon(1e-12));
  CHECK(Number(comparison, "cohen_d") == Approx(19.23475883706899).epsilon(1e-12));
  CHECK(Number(comparison, "wilcoxon_p") == Approx(0.0078125).epsilon(1e-12));
  CHECK(Number(sections["representational_similarity"].at(0), "spearman") ==
        Approx(0.7714285714285715).epsilon(1e-12));
  const auto& invariance = sections["architecture_invariance"].at(0);
  CHECK(invariance["method"] == "comprehension");
  CHECK(Number(invariance, "p_value") == Approx(0.07044657495455452).epsilon(1e-12));

  const auto& overall = sections["steering_overall"].at(0);
  CHECK(overall["scenarios"] == 24);
  CHECK(overall["successful_scenarios"] == 15);
  CHECK(sections["steering_dose_response"].size() == 8);
  bool strongest = false;
  for (const auto& row : sections["steering"]) {
    if (row["model"] != "llama-8" || Number(row, "alpha") != Approx(0.7540741484436417).epsilon(1e-12))
      continue;
    strongest = true;
    CHECK(Number(row, "hit_rate") == 0.75);
    CHECK(row["successful_scenarios"] == 4);
  }
  CHECK(strongest);
}

}  // namespace
}  // namespace emoscope
