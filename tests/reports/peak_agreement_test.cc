// Every view of the peak layer agrees because every one uses analysis/peak_rule.h: `analyze`'s
// report, the SQL views peak_depth and peak_layers, the dashboard's results (and so its HTML
// report), and the map form the steer task calls. The database gives layer 0 (the embedding
// output) the best value of every metric, which no view may pick.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "analysis/peak_rule.h"
#include "dashboards/campaign_views.h"
#include "reports/study.h"
#include "schema/database.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::TempDir;

// Per metric: the value of layers 0..4. Layer 0 is best everywhere; the expected peaks (by the
// rule) are probe_accuracy 2 (tie with 3), fisher_ratio 4, separation_gap 1, separation_z 3 (tie
// with 4), mean_cosine 3 (lowest; tie with 4).
const std::map<std::string, std::vector<double>> kCurves = {
    {"probe_accuracy", {0.95, 0.50, 0.80, 0.80, 0.60}},
    {"fisher_ratio", {9.0, 1.0, 2.0, 3.0, 4.0}},
    {"separation_gap", {0.9, 0.4, 0.3, 0.2, 0.1}},
    {"separation_z", {30.0, 1.0, 2.0, 5.0, 5.0}},
    {"mean_cosine", {0.01, 0.50, 0.30, 0.20, 0.20}}};
const std::map<std::string, int64_t> kExpected = {{"probe_accuracy", 2},
                                                  {"fisher_ratio", 4},
                                                  {"separation_gap", 1},
                                                  {"separation_z", 3},
                                                  {"mean_cosine", 3}};

std::string MakeDb(const TempDir& dir) {
  const std::string path = dir.File("peaks.db");
  Database db(path, OpenMode::kReadWrite);  // Migrated to the latest version.
  db.Exec(
      "INSERT INTO campaigns (name, spec_text, spec_hash, created_at, updated_at) VALUES "
      "('peaks', 'campaign: peaks', 'abc', 1, 1)");
  db.Exec(
      "INSERT INTO models (path, architecture, layers, parameters, checksum) VALUES ('/m/tiny', 'gpt2', 4, "
      "10, 'ff')");
  for (int layer = 0; layer <= 4; ++layer) {
    std::ostringstream sql;
    sql << "INSERT INTO tasks (task_key, campaign_id, kind, model_id, params, state, max_attempts, "
           "created_at) VALUES "
        << "(x'0" << layer << "', 1, 'metrics', 1, '{\"method\": \"comprehension\", \"layer\": " << layer
        << ", \"emotions\": [\"joy\", \"fear\"]}', 'done', 3, 1)";
    db.Exec(sql.str());
    db.Exec("INSERT INTO campaign_tasks VALUES (1, " + std::to_string(layer + 1) + ")");
    for (const auto& [metric, values] : kCurves) {
      db.Exec("INSERT INTO layer_metrics VALUES (" + std::to_string(layer + 1) + ", " +
              std::to_string(layer) + ", 'comprehension', '" + metric + "', '', " +
              std::to_string(values[static_cast<size_t>(layer)]) + ")");
    }
  }
  return path;
}

int64_t AnalyzePeak(const std::string& path, const std::optional<std::string>& metric,
                    std::string* source = nullptr) {
  Database db(path, OpenMode::kReadOnly);
  StudyOptions options;
  options.peak_metric = metric;
  options.resamples = 0;
  const nlohmann::ordered_json report = BuildStudyReport(db, options);
  if (source) *source = report["manifest"]["parameters"]["peak_metric_source"].get<std::string>();
  const auto& peak = report["sections"]["peak_depth"].at(0);
  REQUIRE(peak["peak_metric"] == (metric ? *metric : peak["peak_metric"].get<std::string>()));
  return peak["peak_layer"].get<int64_t>();
}

TEST_CASE("analyze, the SQL views, the dashboard and steering's rule pick the same peak, never layer 0",
          "[peak_rule][analyze]") {
  TempDir dir;
  const std::string path = MakeDb(dir);
  ReadOnlyStore store(path);
  const nlohmann::json results = ResultsView(store, "peaks", /*samples_per_regime=*/1);
  std::map<std::string, int64_t> dashboard;
  for (const nlohmann::json& peak : results["peaks"])
    dashboard[peak["metric"]] = peak["layer"].get<int64_t>();
  Database db(path, OpenMode::kReadOnly);
  for (const auto& [metric, expected] : kExpected) {
    INFO(metric);
    CHECK(AnalyzePeak(path, metric) == expected);
    CHECK(dashboard.at(metric) == expected);
    Statement view =
        db.Prepare("SELECT peak_layer FROM peak_layers WHERE campaign = 'peaks' AND metric = ?1");
    view.Bind(1, metric);
    REQUIRE(view.Step());
    CHECK(view.ColumnInt(0) == expected);
    std::map<int64_t, double> by_layer;
    for (size_t layer = 0; layer < kCurves.at(metric).size(); ++layer)
      by_layer[layer] = kCurves.at(metric)[layer];
    CHECK(analysis::PeakLayer(metric, by_layer) == expected);  // As the steer task calls it.
  }
  Statement peak_depth = db.Prepare("SELECT peak_layer FROM peak_depth WHERE campaign = 'peaks'");
  REQUIRE(peak_depth.Step());
  CHECK(peak_depth.ColumnInt(0) == kExpected.at(analysis::defaults::kPeakMetric));
}

TEST_CASE(
    "analyze takes the peak metric from the option, else the campaign, else the default, and records which",
    "[peak_rule][analyze]") {
  TempDir dir;
  const std::string path = MakeDb(dir);
  std::string source;
  CHECK(AnalyzePeak(path, std::nullopt, &source) == kExpected.at("probe_accuracy"));
  CHECK(source == "default");
  {
    Database db(path, OpenMode::kReadWrite);
    db.Exec("UPDATE tasks SET params = json_set(params, '$.peak_metric', 'mean_cosine')");
  }
  CHECK(AnalyzePeak(path, std::nullopt, &source) == kExpected.at("mean_cosine"));
  CHECK(source == "campaign");
  CHECK(AnalyzePeak(path, std::string("separation_gap"), &source) == kExpected.at("separation_gap"));
  CHECK(source == "option");
  Database db(path, OpenMode::kReadOnly);
  StudyOptions options;
  options.peak_metric = "anisotropy";
  CHECK_THROWS_WITH(BuildStudyReport(db, options), Catch::Contains("'anisotropy' is not a peak metric"));
}

TEST_CASE("the dashboard's method comparison reads emotion_separation at the campaign's peak metric's layer",
          "[peak_rule][dashboard]") {
  TempDir dir;
  const std::string path = MakeDb(dir);
  {
    Database db(path, OpenMode::kReadWrite);
    for (int layer = 0; layer <= 4; ++layer) {
      db.Exec("INSERT INTO layer_metrics VALUES (" + std::to_string(layer + 1) + ", " +
              std::to_string(layer) + ", 'comprehension', 'emotion_separation', 'joy', " +
              std::to_string(0.1 * layer) + ")");
    }
  }
  auto compared_layer = [&](std::string* metric) {
    ReadOnlyStore store(path);
    const nlohmann::json results = ResultsView(store, "peaks", 1);
    *metric = results["peak_metric"].get<std::string>();
    REQUIRE(results["method_comparison"].size() == 1);
    return results["method_comparison"][0]["layer"].get<int64_t>();
  };
  std::string metric;
  CHECK(compared_layer(&metric) == kExpected.at("probe_accuracy"));
  CHECK(metric == "probe_accuracy");
  {
    Database db(path, OpenMode::kReadWrite);
    db.Exec("UPDATE tasks SET params = json_set(params, '$.peak_metric', 'fisher_ratio')");
  }
  CHECK(compared_layer(&metric) == kExpected.at("fisher_ratio"));
  CHECK(metric == "fisher_ratio");
  CHECK(AnalyzePeak(path, std::nullopt) == kExpected.at("fisher_ratio"));  // as analyze reads it
}

TEST_CASE("every ORDER BY of the peak views is the peak rule's SQL form", "[peak_rule]") {
  std::ifstream file(testing::SourcePath("schema/migrations/0004_peak_rule_views.sql"));
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  for (const std::string& metric : analysis::PeakMetrics()) {
    INFO(metric);
    CHECK(text.str().find("WHERE metric = '" + metric + "'") != std::string::npos);
    CHECK(text.str().find("ORDER BY " + analysis::PeakOrderSql(metric, "value", "layer") +
                          ") AS rank_in_model\nFROM "
                          "peak_candidates WHERE metric = '" +
                          metric + "'") != std::string::npos);
  }
  std::ifstream views(testing::SourcePath("schema/migrations/0003_views.sql"));
  std::stringstream v3;
  v3 << views.rdbuf();
  CHECK(v3.str().find("ORDER BY " + analysis::PeakOrderSql("probe_accuracy", "probe_accuracy", "layer")) !=
        std::string::npos);
}

}  // namespace
}  // namespace emoscope
