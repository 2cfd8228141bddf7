// The steering dose-response: `analyze` and the dashboard read the same view
// (steering_dose_response), so for every alpha they show the same hit rate, regime shares, median
// ppl_ratio and calibrated-window flag, and those are the values computed by hand here.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "dashboards/campaign_views.h"
#include "reports/study.h"
#include "schema/database.h"
#include "tests/support/test_support.h"

namespace emoscope {
namespace {

using testing::TempDir;

struct Generation {
  double alpha;
  const char* regime;
  int hit;
  double ppl_ratio;  // NaN: undefined (NULL)
};

// One model (4 blocks), steered at layer 2 toward joy; calibrated window [0.5, 1].
const std::vector<Generation> kGenerations = {{0, "ineffective", 0, 1.0},
                                              {0, "surgical", 1, 1.0},
                                              {0, "ineffective", 0, 1.0},
                                              {0, "ineffective", 0, 1.0},
                                              {0.5, "surgical", 1, 1.5},
                                              {0.5, "ineffective", 0, 1.2},
                                              {0.5, "surgical", 1, 2.5},
                                              {0.5, "empty", 0, std::nan("")},
                                              {1, "surgical", 1, 3.0},
                                              {1, "surgical", 1, 2.0},
                                              {1, "repetitive_collapse", 1, 1.0},
                                              {1, "explosive", 0, 9.0},
                                              {2, "explosive", 0, 20.0},
                                              {2, "explosive", 1, 40.0},
                                              {2, "empty", 0, std::nan("")},
                                              {2, "empty", 0, std::nan("")}};

std::string MakeDb(const TempDir& dir) {
  const std::string path = dir.File("dose.db");
  Database db(path, OpenMode::kReadWrite);
  db.Exec(
      "INSERT INTO campaigns (name, spec_text, spec_hash, created_at, updated_at) VALUES "
      "('dose', 'campaign: dose\nmodels:\n  - {name: tiny, path: /m/tiny}\n', 'abc', 1, 1)");
  db.Exec(
      "INSERT INTO models (path, architecture, layers, parameters, checksum) VALUES ('/m/tiny', 'gpt2', 4, "
      "10, 'ff')");
  db.Exec(
      "INSERT INTO tasks (task_key, campaign_id, kind, model_id, params, state, max_attempts, created_at) "
      "VALUES "
      "(x'01', 1, 'steer', 1, '{}', 'done', 3, 1), (x'02', 1, 'calibrate', 1, '{}', 'done', 3, 1)");
  db.Exec("INSERT INTO campaign_tasks VALUES (1, 1), (1, 2)");
  db.Exec(
      "INSERT INTO steering_calibrations (task_id, layer, layer_last, emotion, mode, max_ppl_ratio, "
      "alpha_coherent, "
      "alpha_incoherent, window_low, window_high, points, prompts, trace) VALUES "
      "(2, 2, 2, '', 'relative', 4, 1, 2, 0.5, 1, 2, 4, '[]')");
  Statement insert = db.Prepare(
      "INSERT INTO steering_generations (task_id, generation_index, layer, emotion, alpha, mode, scale, "
      "prompt_id, seed, "
      "text, tokens, judged_emotion, judge_scores, hit, ppl_ratio, distinct2, seq_rep4, compression_ratio, "
      "regime, "
      "success) VALUES (1, ?1, 2, 'joy', ?2, 'relative', 1.0, 'p', ?1, 'text', 8, NULL, '{}', ?3, ?4, 0.8, "
      "0.1, 1.5, ?5, "
      "?6)");
  for (size_t k = 0; k < kGenerations.size(); ++k) {
    const Generation& g = kGenerations[k];
    insert.Bind(1, static_cast<int64_t>(k)).Bind(2, g.alpha).Bind(3, static_cast<int64_t>(g.hit));
    if (std::isnan(g.ppl_ratio))
      insert.BindNull(4);
    else
      insert.Bind(4, g.ppl_ratio);
    insert.Bind(5, g.regime).Bind(6, static_cast<int64_t>(std::string(g.regime) == "surgical" ? 1 : 0)).Run();
  }
  return path;
}

struct Expected {
  double alpha, hit_rate, surgical_share, empty_share, explosive_share;
  double median_ppl_ratio;
  int in_window;
};

// By hand from kGenerations: medians over the defined ratios only (even counts average the middle two).
const std::vector<Expected> kExpected = {{0, 0.25, 0.25, 0, 0, 1.0, 0},
                                         {0.5, 0.5, 0.5, 0.25, 0, 1.5, 1},  // ratios 1.2, 1.5, 2.5
                                         {1, 0.75, 0.5, 0, 0.25, 2.5, 1},   // 1.0, 2.0, 3.0, 9.0
                                         {2, 0.25, 0, 0.5, 0.5, 30.0, 0}};  // 20, 40

}  // namespace

TEST_CASE("analyze and the dashboard show the same dose-response, with the calibrated window marked",
          "[steering][dose_response]") {
  TempDir dir;
  const std::string path = MakeDb(dir);
  Database db(path, OpenMode::kReadOnly);
  StudyOptions options;
  options.resamples = 0;
  const nlohmann::ordered_json report = BuildStudyReport(db, options);
  const nlohmann::json analyzed = nlohmann::json::parse(report["sections"]["steering_dose_response"].dump());
  ReadOnlyStore store(path);
  const nlohmann::json shown = ResultsView(store, "dose", 1)["dose_response"];
  REQUIRE(analyzed.size() == kExpected.size());
  REQUIRE(shown.size() == kExpected.size());
  for (size_t k = 0; k < kExpected.size(); ++k) {
    const Expected& e = kExpected[k];
    INFO("alpha " << e.alpha);
    for (const nlohmann::json* row : {&analyzed[k], &shown[k]}) {
      const nlohmann::json& r = *row;
      CHECK(r["alpha"].get<double>() == e.alpha);
      CHECK(r["layer"] == 2);
      CHECK(r["layer_last"] == 2);
      CHECK(r["estimator"] == "mean_difference");
      CHECK(r["generations"] == 4);
      CHECK(r["hit_rate"].get<double>() == Approx(e.hit_rate));
      CHECK(r["surgical_share"].get<double>() == Approx(e.surgical_share));
      CHECK(r["empty_share"].get<double>() == Approx(e.empty_share));
      CHECK(r["explosive_share"].get<double>() == Approx(e.explosive_share));
      CHECK(r["median_ppl_ratio"].get<double>() == Approx(e.median_ppl_ratio));
      CHECK(r["window_low"].get<double>() == 0.5);
      CHECK(r["window_high"].get<double>() == 1.0);
      CHECK(r["in_calibrated_window"] == e.in_window);
    }
    CHECK(analyzed[k]["model"] == "tiny");  // analyze names the model as the campaign does
  }
}

}  // namespace emoscope
