#include "reports/study.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analysis/random.h"
#include "analysis/rank_tests.h"
#include "analysis/stats.h"
#include "analysis/u_fit.h"
#include "common/error.h"
#include "emoscope_version.h"
#include "reports/study_data.h"
#include "schema/database.h"

namespace emoscope {
namespace {

using Json = nlohmann::ordered_json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// JSON has no NaN or infinity: an undefined value is null.
Json Num(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

bool LowerIsBetter(const std::string& metric) { return metric == "mean_cosine"; }

// The best layer >= 1 by `metric` (layer 0 is the embedding output, not a block, as in the steer
// task's choice of the peak); ties go to the shallower layer. -1 when no layer has a value.
int64_t PeakIndex(const std::vector<int64_t>& layers, const std::vector<double>& values, const std::string& metric) {
  int64_t best = -1;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i] < 1 || !std::isfinite(values[i])) continue;
    const bool better = best < 0 || (LowerIsBetter(metric) ? values[i] < values[static_cast<size_t>(best)]
                                                           : values[i] > values[static_cast<size_t>(best)]);
    if (better) best = static_cast<int64_t>(i);
  }
  return best;
}

struct Interval {
  double lower = kNaN;
  double upper = kNaN;
  size_t valid = 0;
};

// The percentile interval of the finite replicates, as analysis::PercentileInterval computes it.
Interval Percentile(const std::vector<double>& replicates, double level) {
  std::vector<double> finite;
  for (double value : replicates) {
    if (std::isfinite(value)) finite.push_back(value);
  }
  Interval out;
  out.valid = finite.size();
  if (finite.empty()) return out;
  out.lower = analysis::Quantile(finite, (1 - level) / 2);
  out.upper = analysis::Quantile(finite, (1 + level) / 2);
  return out;
}

// One (model, method): its curve and what the later sections need from it.
struct ModelMethod {
  const ModelInfo* model = nullptr;
  std::string method;
  std::vector<CurvePoint> curve;
  int64_t peak_layer = -1;
  double peak_depth = kNaN;
};

struct BootstrapResult {
  std::vector<double> peak_depths;  // per resample
  std::vector<double> r0;
  std::vector<double> a;
};

// Resamples stimuli within each emotion (one Rng seeded with options.bootstrap_seed; emotions in
// the metrics task's order, each drawing as many rows as it has) and recomputes, per resample, the
// peak metric at every layer (the probe from the stored per-sample activations, with the metrics
// task's folds and seed) and mean_cosine from the resample's class means for the U-fit.
// The resamples are drawn once and reused at every layer, so each layer is read from the database
// once.
BootstrapResult Bootstrap(Database& db, const CampaignInfo& campaign, const ModelMethod& mm,
                          const MetricsSettings& settings, const StudyOptions& options, std::string* skipped) {
  BootstrapResult out;
  const int num_classes = static_cast<int>(settings.emotions.size());
  SampleActivations activations(db, campaign, mm.model->id, mm.method, settings.emotions);
  std::vector<std::vector<size_t>> rows_of(settings.emotions.size());
  for (size_t i = 0; i < activations.labels().size(); ++i) rows_of[static_cast<size_t>(activations.labels()[i])].push_back(i);
  for (size_t e = 0; e < rows_of.size(); ++e) {
    if (rows_of[e].empty()) {
      *skipped = fmt::format("emotion '{}' has no stored samples", settings.emotions[e]);
      return out;
    }
  }
  std::vector<int> labels;
  for (size_t e = 0; e < rows_of.size(); ++e) labels.insert(labels.end(), rows_of[e].size(), static_cast<int>(e));
  analysis::Rng rng(options.bootstrap_seed);
  std::vector<std::vector<size_t>> draws(static_cast<size_t>(options.resamples));
  for (std::vector<size_t>& draw : draws) {
    for (const std::vector<size_t>& rows : rows_of) {
      for (size_t index : analysis::ResampleIndices(rng, rows.size())) draw.push_back(rows[index]);
    }
  }
  analysis::ProbeOptions probe;
  probe.folds = settings.probe_folds;
  probe.seed = settings.seed;
  std::vector<int64_t> layers;
  std::vector<std::vector<double>> peak_values(draws.size());  // [resample][curve point]
  std::vector<std::vector<double>> cosines(draws.size());
  for (const CurvePoint& point : mm.curve) {
    layers.push_back(point.layer);
    const analysis::Matrix all = activations.Layer(point.layer);
    analysis::Matrix sample;
    sample.cols = all.cols;
    sample.rows = labels.size();
    sample.data.resize(sample.rows * sample.cols);
    for (size_t b = 0; b < draws.size(); ++b) {
      for (size_t i = 0; i < draws[b].size(); ++i) {
        std::copy_n(all.Row(draws[b][i]), all.cols, sample.Row(i));
      }
      const analysis::Matrix means = analysis::ClassMeans(sample.View(), labels, num_classes);
      const double mean_cosine = analysis::MeanCosine(means);
      cosines[b].push_back(mean_cosine);
      double peak_value = kNaN;
      if (point.layer >= 1) {
        if (options.peak_metric == "probe_accuracy") {
          peak_value = analysis::ProbeAccuracy(sample.View(), labels, num_classes, probe);
        } else if (options.peak_metric == "fisher_ratio") {
          peak_value = analysis::FisherRatio(sample.View(), labels, num_classes);
        } else {
          peak_value = mean_cosine;
        }
      }
      peak_values[b].push_back(peak_value);
    }
  }
  std::vector<double> depths;
  for (const CurvePoint& point : mm.curve) depths.push_back(point.relative_depth);
  for (size_t b = 0; b < draws.size(); ++b) {
    const int64_t peak = PeakIndex(layers, peak_values[b], options.peak_metric);
    out.peak_depths.push_back(peak < 0 ? kNaN : depths[static_cast<size_t>(peak)]);
    const analysis::UFit fit = analysis::FitU(depths, cosines[b]);
    out.r0.push_back(fit.r0);
    out.a.push_back(fit.a);
  }
  return out;
}

Json Strings(Database& db, const std::string& sql, int64_t campaign_id) {
  Statement statement = db.Prepare(sql);
  statement.Bind(1, campaign_id);
  Json out = Json::array();
  while (statement.Step()) {
    if (statement.ColumnIsNull(0)) continue;
    out.push_back(statement.ColumnType(0) == SQLITE_INTEGER ? Json(statement.ColumnInt(0)) : Json(statement.ColumnText(0)));
  }
  return out;
}

// Rows of a view filtered by campaign, each column as a JSON value (REAL as a number, NULL null).
Json ViewRows(Database& db, const std::string& sql, const std::string& campaign) {
  Statement statement = db.Prepare(sql);
  statement.Bind(1, campaign);
  Json rows = Json::array();
  while (statement.Step()) {
    Json row = Json::object();
    for (int column = 0; column < statement.ColumnCount(); ++column) {
      const std::string name = statement.ColumnName(column);
      switch (statement.ColumnType(column)) {
        case SQLITE_INTEGER: row[name] = statement.ColumnInt(column); break;
        case SQLITE_FLOAT: row[name] = Num(statement.ColumnDouble(column)); break;
        case SQLITE_TEXT: row[name] = statement.ColumnText(column); break;
        default: row[name] = nullptr;
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Json Manifest(Database& db, const CampaignInfo& campaign, const std::vector<ModelInfo>& models,
              const StudyOptions& options) {
  Json manifest = Json::object();
  manifest["campaign"] = {{"name", campaign.name}, {"spec_hash", campaign.spec_hash}};
  Json model_rows = Json::array();
  for (const ModelInfo& model : models) {
    model_rows.push_back({{"name", model.name}, {"path", model.path}, {"architecture", model.architecture},
                          {"family", model.family}, {"layers", model.layers}, {"checksum", model.checksum}});
  }
  manifest["models"] = model_rows;
  manifest["code_version"] = EMOSCOPE_CODE_VERSION;
  const std::string runs =
      "FROM task_runs r JOIN campaign_tasks ct ON ct.task_id = r.task_id AND ct.campaign_id = ?1 ";
  manifest["task_code_versions"] = Strings(db, "SELECT DISTINCT r.code_version " + runs + "ORDER BY 1", campaign.id);
  manifest["libraries"] = {
      {"sqlite", sqlite3_libversion()},
      {"fmt", FMT_VERSION},
      {"nlohmann_json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                                    NLOHMANN_JSON_VERSION_PATCH)},
      {"tasks", Strings(db, "SELECT DISTINCT r.libraries " + runs + "ORDER BY 1", campaign.id)}};
  manifest["devices"] = Strings(db, "SELECT DISTINCT r.device " + runs + "ORDER BY 1", campaign.id);
  manifest["dtypes"] = Strings(db, "SELECT DISTINCT r.dtype " + runs + "ORDER BY 1", campaign.id);
  manifest["seeds"] = {{"bootstrap", options.bootstrap_seed},
                       {"tasks", Strings(db, "SELECT DISTINCT r.seed " + runs + "ORDER BY 1", campaign.id)}};
  manifest["parameters"] = {{"peak_metric", options.peak_metric},
                            {"peak_layers", "1..L (ties to the shallower layer)"},
                            {"u_fit_metric", "mean_cosine"},
                            {"u_fit_layers", "0..L"},
                            {"resamples", options.resamples},
                            {"resampling", "stimuli with replacement within each emotion"},
                            {"level", options.level},
                            {"null_depth", options.null_depth},
                            {"invariance_test", "one-sample t-test of the models' r* against null_depth"},
                            {"similarity", "Spearman of upper triangles of 1 - cos(v_e, v_e') at each model's peak layer"},
                            {"method_comparison", "generation vs comprehension, emotion_separation at each method's peak layer"}};
  manifest["schema_version"] = db.UserVersion();
  Statement tasks = db.Prepare(
      "SELECT kind, COUNT(*), SUM(state = 'done') FROM tasks t JOIN campaign_tasks ct ON ct.task_id = t.id "
      "AND ct.campaign_id = ?1 GROUP BY kind ORDER BY kind");
  tasks.Bind(1, campaign.id);
  Json counts = Json::object();
  while (tasks.Step()) counts[tasks.ColumnText(0)] = {{"tasks", tasks.ColumnInt(1)}, {"done", tasks.ColumnInt(2)}};
  manifest["tasks"] = counts;
  return manifest;
}

}  // namespace

nlohmann::ordered_json BuildStudyReport(Database& db, const StudyOptions& options) {
  static const std::set<std::string> kPeakMetrics = {"probe_accuracy", "fisher_ratio", "mean_cosine"};
  if (!kPeakMetrics.count(options.peak_metric)) {
    Fail("peak metric '{}' is not probe_accuracy, fisher_ratio or mean_cosine", options.peak_metric);
  }
  if (options.resamples < 0) Fail("resamples must be 0 or more, got {}", options.resamples);
  if (!(options.level > 0 && options.level < 1)) Fail("level must be in (0, 1), got {}", options.level);

  const CampaignInfo campaign = LoadCampaign(db, options.campaign);
  const std::vector<ModelInfo> models = LoadModels(db, campaign);
  Json notes = Json::array();
  std::vector<ModelMethod> all;
  for (const ModelInfo& model : models) {
    for (const std::string& method : LoadMethods(db, campaign, model.id)) {
      ModelMethod mm;
      mm.model = &model;
      mm.method = method;
      mm.curve = LoadCurve(db, campaign, model.id, method);
      all.push_back(std::move(mm));
    }
  }
  if (all.empty()) notes.push_back("no layer metrics: the campaign has no finished metrics tasks");

  // Localization curve and peak depth, U-fit.
  Json localization = Json::array();
  Json peaks = Json::array();
  Json ufits = Json::array();
  for (ModelMethod& mm : all) {
    std::vector<int64_t> layers;
    std::vector<double> peak_values;
    std::vector<double> fit_r;
    std::vector<double> fit_y;
    for (const CurvePoint& point : mm.curve) {
      Json row = {{"model", mm.model->name}, {"family", mm.model->family}, {"method", mm.method},
                  {"layer", point.layer}, {"relative_depth", Num(point.relative_depth)}};
      for (const std::string& name : CurveMetricNames()) row[name] = Num(point.metrics.at(name));
      localization.push_back(std::move(row));
      layers.push_back(point.layer);
      peak_values.push_back(point.metrics.at(options.peak_metric));
      const double cosine = point.metrics.at("mean_cosine");
      if (std::isfinite(cosine) && std::isfinite(point.relative_depth)) {
        fit_r.push_back(point.relative_depth);
        fit_y.push_back(cosine);
      }
    }
    const int64_t peak = PeakIndex(layers, peak_values, options.peak_metric);
    if (peak >= 0) {
      mm.peak_layer = layers[static_cast<size_t>(peak)];
      mm.peak_depth = mm.curve[static_cast<size_t>(peak)].relative_depth;
    }
    const analysis::UFit fit = fit_r.size() >= 3 ? analysis::FitU(fit_r, fit_y) : analysis::UFit{kNaN, kNaN, kNaN, kNaN};

    BootstrapResult boot;
    std::string skipped;
    const std::optional<MetricsSettings> settings = LoadMetricsSettings(db, campaign, mm.model->id, mm.method);
    if (options.resamples == 0) {
      skipped = "resamples = 0";
    } else if (!settings) {
      skipped = "no metrics task settings";
    } else if (peak >= 0) {
      boot = Bootstrap(db, campaign, mm, *settings, options, &skipped);
    } else {
      skipped = "no peak";
    }
    if (!skipped.empty()) notes.push_back(fmt::format("bootstrap of {} / {} skipped: {}", mm.model->name, mm.method, skipped));
    const Interval depth_ci = Percentile(boot.peak_depths, options.level);
    const Interval r0_ci = Percentile(boot.r0, options.level);
    const Interval a_ci = Percentile(boot.a, options.level);
    peaks.push_back({{"model", mm.model->name}, {"family", mm.model->family}, {"method", mm.method},
                     {"peak_metric", options.peak_metric}, {"peak_layer", mm.peak_layer >= 0 ? Json(mm.peak_layer) : Json(nullptr)},
                     {"layers", mm.model->layers},
                     {"peak_relative_depth", Num(mm.peak_depth)},
                     {"peak_value", peak >= 0 ? Num(peak_values[static_cast<size_t>(peak)]) : Json(nullptr)},
                     {"ci_lower", Num(depth_ci.lower)}, {"ci_upper", Num(depth_ci.upper)},
                     {"resamples", static_cast<int64_t>(boot.peak_depths.size())},
                     {"valid_resamples", static_cast<int64_t>(depth_ci.valid)}});
    ufits.push_back({{"model", mm.model->name}, {"family", mm.model->family}, {"method", mm.method},
                     {"metric", "mean_cosine"}, {"points", static_cast<int64_t>(fit_r.size())},
                     {"r0", Num(fit.r0)}, {"a", Num(fit.a)}, {"c", Num(fit.c)}, {"r_squared", Num(fit.r_squared)},
                     {"u_shaped", std::isfinite(fit.a) ? Json(fit.a > 0) : Json(nullptr)},
                     {"r0_ci_lower", Num(r0_ci.lower)}, {"r0_ci_upper", Num(r0_ci.upper)},
                     {"a_ci_lower", Num(a_ci.lower)}, {"a_ci_upper", Num(a_ci.upper)},
                     {"valid_resamples", static_cast<int64_t>(r0_ci.valid)}});
  }

  // Architecture invariance, per method.
  std::set<std::string> methods;
  for (const ModelMethod& mm : all) methods.insert(mm.method);
  Json invariance = Json::array();
  Json family_rows = Json::array();
  for (const std::string& method : methods) {
    std::vector<double> depths;
    std::map<std::string, std::vector<double>> by_family;
    for (const ModelMethod& mm : all) {
      if (mm.method != method || !std::isfinite(mm.peak_depth)) continue;
      depths.push_back(mm.peak_depth);
      by_family[mm.model->family].push_back(mm.peak_depth);
    }
    if (depths.empty()) continue;
    analysis::TTestResult test{kNaN, kNaN, kNaN};
    if (depths.size() >= 2) {
      test = analysis::OneSampleTTest(depths, options.null_depth);
    } else {
      notes.push_back(fmt::format("invariance test for {} needs at least two models", method));
    }
    const auto [low, high] = std::minmax_element(depths.begin(), depths.end());
    invariance.push_back({{"method", method}, {"models", static_cast<int64_t>(depths.size())},
                          {"families", static_cast<int64_t>(by_family.size())}, {"mean_relative_depth", Num(analysis::Mean(depths))},
                          {"sd", Num(analysis::SampleSd(depths))}, {"min", Num(*low)}, {"max", Num(*high)},
                          {"range", Num(*high - *low)}, {"null_depth", options.null_depth},
                          {"t", Num(test.statistic)}, {"df", Num(test.df)}, {"p_value", Num(test.p_value)}});
    for (const auto& [family, values] : by_family) {
      family_rows.push_back({{"method", method}, {"family", family}, {"models", static_cast<int64_t>(values.size())},
                             {"mean_relative_depth", Num(analysis::Mean(values))}});
    }
  }

  // Representational similarity, per method, at each model's peak layer.
  Json similarity = Json::array();
  for (const std::string& method : methods) {
    std::vector<const ModelMethod*> members;
    std::vector<std::map<std::string, std::vector<double>>> vectors;
    for (const ModelMethod& mm : all) {
      if (mm.method != method || mm.peak_layer < 0) continue;
      auto loaded = LoadEmotionVectors(db, campaign, mm.model->id, method, mm.peak_layer);
      if (loaded.empty()) continue;
      members.push_back(&mm);
      vectors.push_back(std::move(loaded));
    }
    if (members.size() < 2) continue;
    std::vector<std::string> common;  // sorted by name: std::map order
    for (const auto& [emotion, vector] : vectors.front()) {
      bool everywhere = true;
      for (const auto& other : vectors) everywhere = everywhere && other.count(emotion) > 0;
      if (everywhere) common.push_back(emotion);
    }
    if (common.size() < 3) {
      notes.push_back(fmt::format("similarity for {} needs 3 emotions common to the models, has {}", method, common.size()));
      continue;
    }
    std::vector<std::vector<double>> triangles;
    for (const auto& model_vectors : vectors) {
      std::vector<double> triangle;
      for (size_t i = 0; i < common.size(); ++i) {
        for (size_t j = i + 1; j < common.size(); ++j) {
          const std::vector<double>& a = model_vectors.at(common[i]);
          const std::vector<double>& b = model_vectors.at(common[j]);
          triangle.push_back(1.0 - analysis::Cosine(a.data(), b.data(), std::min(a.size(), b.size())));
        }
      }
      triangles.push_back(std::move(triangle));
    }
    for (size_t a = 0; a < members.size(); ++a) {
      for (size_t b = a + 1; b < members.size(); ++b) {
        similarity.push_back({{"method", method}, {"model_a", members[a]->model->name}, {"model_b", members[b]->model->name},
                              {"layer_a", members[a]->peak_layer}, {"layer_b", members[b]->peak_layer},
                              {"emotions", static_cast<int64_t>(common.size())},
                              {"spearman", Num(analysis::Spearman(triangles[a], triangles[b]))}});
      }
    }
  }

  // Method comparison: generation (x) vs comprehension (y), one pair per (model, emotion).
  Json comparison = Json::array();
  Json pairs = Json::array();
  {
    std::vector<double> x;
    std::vector<double> y;
    for (const ModelInfo& model : models) {
      const ModelMethod* generation = nullptr;
      const ModelMethod* comprehension = nullptr;
      for (const ModelMethod& mm : all) {
        if (mm.model != &model || mm.peak_layer < 0) continue;
        if (mm.method == "generation") generation = &mm;
        if (mm.method == "comprehension") comprehension = &mm;
      }
      if (!generation || !comprehension) continue;
      const auto gen = LoadSeparation(db, campaign, model.id, "generation", generation->peak_layer);
      const auto comp = LoadSeparation(db, campaign, model.id, "comprehension", comprehension->peak_layer);
      for (const auto& [emotion, value] : gen) {
        auto other = comp.find(emotion);
        if (other == comp.end() || !std::isfinite(value) || !std::isfinite(other->second)) continue;
        x.push_back(value);
        y.push_back(other->second);
        pairs.push_back({{"model", model.name}, {"emotion", emotion}, {"generation_layer", generation->peak_layer},
                         {"comprehension_layer", comprehension->peak_layer}, {"generation", value},
                         {"comprehension", other->second}});
      }
    }
    if (x.size() >= 2) {
      const analysis::MannWhitneyResult mwu = analysis::MannWhitneyU(x, y);
      analysis::WilcoxonResult wilcoxon{kNaN, kNaN, analysis::TestMethod::kAuto};
      try {
        wilcoxon = analysis::Wilcoxon(x, y);
      } catch (const Error& error) {
        notes.push_back(std::string("Wilcoxon test undefined: ") + error.what());
      }
      auto method_name = [](analysis::TestMethod method) {
        return method == analysis::TestMethod::kExact ? "exact" : method == analysis::TestMethod::kAsymptotic ? "asymptotic" : "n/a";
      };
      comparison.push_back({{"metric", "emotion_separation"}, {"x", "generation"}, {"y", "comprehension"},
                            {"pairs", static_cast<int64_t>(x.size())}, {"mean_x", Num(analysis::Mean(x))},
                            {"mean_y", Num(analysis::Mean(y))}, {"mann_whitney_u", Num(mwu.u1)},
                            {"mann_whitney_p", Num(mwu.p_value)}, {"mann_whitney_method", method_name(mwu.method)},
                            {"cohen_d", Num(analysis::CohenD(x, y))}, {"wilcoxon_statistic", Num(wilcoxon.statistic)},
                            {"wilcoxon_p", Num(wilcoxon.p_value)}, {"wilcoxon_method", method_name(wilcoxon.method)}});
    } else {
      notes.push_back("method comparison needs generation and comprehension metrics of at least two (model, emotion) pairs");
    }
  }

  // Steering.
  Json steering = ViewRows(db,
                           "SELECT model_path AS model, family, layer, relative_depth, alpha, mode, estimator, generations, surgical_share, "
                           "repetitive_collapse_share, explosive_share, ineffective_share, hit_rate, baseline_hit_rate, "
                           "hit_rate_gain, scenarios, successful_scenarios, success_rate FROM steering_summary "
                           "WHERE campaign = ?1 ORDER BY model_id, layer, mode, estimator, alpha",
                           campaign.name);
  for (Json& row : steering) {
    for (const ModelInfo& model : models) {
      if (row["model"] == model.path) row["model"] = model.name;
    }
  }
  const std::string steer_join =
      "JOIN campaign_tasks ct ON ct.task_id = g.task_id JOIN campaigns c ON c.id = ct.campaign_id AND c.name = ?1 ";
  Json by_coefficient = ViewRows(
      db,
      "SELECT g.alpha, g.mode, g.estimator, COUNT(*) AS generations, AVG(g.regime = 'surgical') AS surgical_share, "
      "AVG(g.regime = 'repetitive_collapse') AS repetitive_collapse_share, AVG(g.regime = 'explosive') AS explosive_share, "
      "AVG(g.regime = 'ineffective') AS ineffective_share, AVG(g.hit) AS hit_rate, "
      "(SELECT COUNT(*) FROM steering_scenarios s JOIN campaign_tasks ct ON ct.task_id = s.task_id "
      " JOIN campaigns c ON c.id = ct.campaign_id AND c.name = ?1 WHERE s.alpha = g.alpha AND s.mode = g.mode AND s.estimator = g.estimator) AS scenarios, "
      "(SELECT AVG(s.success) FROM steering_scenarios s JOIN campaign_tasks ct ON ct.task_id = s.task_id "
      " JOIN campaigns c ON c.id = ct.campaign_id AND c.name = ?1 WHERE s.alpha = g.alpha AND s.mode = g.mode AND s.estimator = g.estimator) AS success_rate "
      "FROM steering_generations g " + steer_join + "GROUP BY g.alpha, g.mode, g.estimator ORDER BY g.mode, g.estimator, g.alpha",
      campaign.name);
  Json overall = ViewRows(db,
                          "SELECT COUNT(*) AS scenarios, COALESCE(SUM(s.success), 0) AS successful_scenarios, "
                          "AVG(s.success) AS success_rate FROM steering_scenarios s JOIN campaign_tasks ct ON ct.task_id = s.task_id "
                          "JOIN campaigns c ON c.id = ct.campaign_id AND c.name = ?1 WHERE s.alpha <> 0",
                          campaign.name);
  if (steering.empty()) notes.push_back("no steering results in this campaign");

  Json report = Json::object();
  report["report"] = "emoscope analyze";
  report["format_version"] = 1;
  report["manifest"] = Manifest(db, campaign, models, options);
  Json sections = Json::object();
  sections["localization"] = localization;
  sections["peak_depth"] = peaks;
  sections["u_fit"] = ufits;
  sections["architecture_invariance"] = invariance;
  sections["family_peak_depth"] = family_rows;
  sections["representational_similarity"] = similarity;
  sections["method_comparison"] = comparison;
  sections["method_comparison_pairs"] = pairs;
  sections["steering"] = steering;
  sections["steering_by_coefficient"] = by_coefficient;
  sections["steering_overall"] = overall;
  report["sections"] = sections;
  report["notes"] = notes;
  return report;
}

}  // namespace emoscope
