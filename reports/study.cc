#include "reports/study.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "analysis/equal_counts.h"
#include "analysis/peak_bootstrap.h"
#include "analysis/peak_rule.h"
#include "analysis/random.h"
#include "analysis/rank_tests.h"
#include "analysis/stats.h"
#include "analysis/u_fit.h"
#include "common/error.h"
#include "emoscope_version.h"
#include "reports/study_data.h"
#include "schema/database.h"
#include "schema/migrations.h"

namespace emoscope {
namespace {

using Json = nlohmann::ordered_json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// JSON has no NaN or infinity: an undefined value is null.
Json Num(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

// One (model, method): its curve and what the later sections need from it.
struct ModelMethod {
  const ModelInfo* model = nullptr;
  std::string method;
  std::vector<CurvePoint> curve;
  int64_t peak_layer = -1;
  double peak_depth = kNaN;
};

// The bootstrap of one (model, method) through analysis::BootstrapPeak, reading each layer's
// stored per-sample activations once. Sets *skipped (and returns nothing) when it cannot run.
analysis::PeakBootstrapResult Bootstrap(Database& db, const CampaignInfo& campaign, const ModelMethod& mm,
                                        const MetricsSettings& settings, const StudyOptions& options,
                                        const std::string& peak_metric, std::string* skipped) {
  const SampleActivations activations(db, campaign, mm.model->id, mm.method, settings.emotions);
  std::vector<size_t> rows_of(settings.emotions.size(), 0);
  for (int label : activations.labels()) ++rows_of[static_cast<size_t>(label)];
  for (size_t e = 0; e < rows_of.size(); ++e) {
    if (rows_of[e] == 0) {
      *skipped = fmt::format("emotion '{}' has no stored samples", settings.emotions[e]);
      return {};
    }
  }
  analysis::PeakBootstrapInput input;
  for (const CurvePoint& point : mm.curve) {
    input.layers.push_back(point.layer);
    input.depths.push_back(point.relative_depth);
  }
  input.labels = activations.labels();
  input.groups = activations.groups();
  input.num_classes = static_cast<int>(settings.emotions.size());
  input.layer = [&](size_t index) { return activations.Layer(input.layers[index]); };
  analysis::PeakBootstrapOptions boot;
  boot.peak_metric = peak_metric;
  boot.resamples = options.resamples;
  boot.seed = options.bootstrap_seed;
  boot.probe.folds = settings.probe_folds;
  boot.probe.seed = settings.seed;
  boot.permutations = options.bootstrap_permutations;
  return analysis::BootstrapPeak(input, boot);
}

// emotion_separation of both methods of one model at their peak layers, each from the same number
// of samples per emotion (analysis/equal_counts.h), appending what was used to *equal_counts. Falls
// back to the stored (unequal-count) values, with a note, when the per-sample activations or the
// metrics settings are missing.
std::pair<std::map<std::string, double>, std::map<std::string, double>> EqualCountSeparations(
    Database& db, const CampaignInfo& campaign, const ModelInfo& model, const ModelMethod& generation,
    const ModelMethod& comprehension, uint64_t seed, Json* equal_counts, Json* notes) {
  const std::optional<MetricsSettings> gen_settings =
      LoadMetricsSettings(db, campaign, model.id, "generation");
  const std::optional<MetricsSettings> comp_settings =
      LoadMetricsSettings(db, campaign, model.id, "comprehension");
  auto stored = [&](const std::string& why) {
    notes->push_back(
        fmt::format("method comparison of {}: stored emotion_separation used, sample counts may "
                    "differ ({})",
                    model.name, why));
    return std::make_pair(LoadSeparation(db, campaign, model.id, "generation", generation.peak_layer),
                          LoadSeparation(db, campaign, model.id, "comprehension", comprehension.peak_layer));
  };
  if (!gen_settings || !comp_settings) return stored("no metrics task settings");
  std::vector<std::string> common;
  for (const std::string& emotion : gen_settings->emotions) {
    if (std::find(comp_settings->emotions.begin(), comp_settings->emotions.end(), emotion) !=
        comp_settings->emotions.end()) {
      common.push_back(emotion);
    }
  }
  if (common.size() < 2) return stored("fewer than two emotions in common");
  const SampleActivations gen(db, campaign, model.id, "generation", common);
  const SampleActivations comp(db, campaign, model.id, "comprehension", common);
  if (gen.labels().empty() || comp.labels().empty()) return stored("no stored per-sample activations");
  analysis::EqualCountSeparation result;
  try {
    const analysis::Matrix gen_rows = gen.Layer(generation.peak_layer);
    const analysis::Matrix comp_rows = comp.Layer(comprehension.peak_layer);
    result = analysis::EqualCountEmotionSeparation(gen_rows.View(), gen.labels(), comp_rows.View(),
                                                   comp.labels(), static_cast<int>(common.size()), seed);
  } catch (const Error& error) {
    return stored(error.what());
  }
  std::map<std::string, double> gen_out;
  std::map<std::string, double> comp_out;
  for (size_t e = 0; e < common.size(); ++e) {
    gen_out[common[e]] = result.separation_a[e];
    comp_out[common[e]] = result.separation_b[e];
    equal_counts->push_back({{"model", model.name},
                             {"emotion", common[e]},
                             {"generation_samples", static_cast<int64_t>(result.rows_a[e])},
                             {"comprehension_samples", static_cast<int64_t>(result.rows_b[e])},
                             {"used", static_cast<int64_t>(result.used[e])}});
  }
  return {gen_out, comp_out};
}

Json Strings(Database& db, const std::string& sql, int64_t campaign_id) {
  Statement statement = db.Prepare(sql);
  statement.Bind(1, campaign_id);
  Json out = Json::array();
  while (statement.Step()) {
    if (statement.ColumnIsNull(0)) continue;
    out.push_back(statement.ColumnType(0) == SQLITE_INTEGER ? Json(statement.ColumnInt(0))
                                                            : Json(statement.ColumnText(0)));
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
        case SQLITE_INTEGER:
          row[name] = statement.ColumnInt(column);
          break;
        case SQLITE_FLOAT:
          row[name] = Num(statement.ColumnDouble(column));
          break;
        case SQLITE_TEXT:
          row[name] = statement.ColumnText(column);
          break;
        default:
          row[name] = nullptr;
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Json Manifest(Database& db, const CampaignInfo& campaign, const std::vector<ModelInfo>& models,
              const StudyOptions& options, const std::string& peak_metric,
              const std::string& peak_metric_source, const Json& equal_counts) {
  Json manifest = Json::object();
  manifest["campaign"] = {{"name", campaign.name}, {"spec_hash", campaign.spec_hash}};
  Json model_rows = Json::array();
  for (const ModelInfo& model : models) {
    model_rows.push_back({{"name", model.name},
                          {"path", model.path},
                          {"architecture", model.architecture},
                          {"family", model.family},
                          {"layers", model.layers},
                          {"checksum", model.checksum}});
  }
  manifest["models"] = model_rows;
  manifest["code_version"] = EMOSCOPE_CODE_VERSION;
  const std::string runs =
      "FROM task_runs r JOIN campaign_tasks ct ON ct.task_id = r.task_id AND ct.campaign_id = ?1 ";
  manifest["task_code_versions"] =
      Strings(db, "SELECT DISTINCT r.code_version " + runs + "ORDER BY 1", campaign.id);
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
  manifest["parameters"] = {
      {"peak_metric", peak_metric},
      {"peak_metric_source", peak_metric_source},
      {"peak_layers", "1..L (ties to the shallower layer)"},
      {"u_fit_metric", "mean_cosine"},
      {"u_fit_layers", "0..L"},
      {"resamples", options.resamples},
      {"resampling",
       "source groups (stimuli; generation prompts with their continuations) with "
       "replacement within each emotion; probe_accuracy: the drawn rows' out-of-fold outcomes "
       "under a fresh fold deal of the original rows per resample (the probe is not retrained "
       "on copies)"},
      {"bootstrap_permutations", options.bootstrap_permutations},
      {"level", options.level},
      {"null_depth", options.null_depth},
      {"invariance_test", "one-sample t-test of the models' r* against null_depth"},
      {"similarity", "Spearman of upper triangles of 1 - cos(v_e, v_e') at each model's peak layer"},
      {"method_comparison",
       "generation vs comprehension, emotion_separation at each method's peak "
       "layer from equal sample counts per emotion"},
      {"wilcoxon_exact_max_n", analysis::defaults::kWilcoxonExactMaxN},
      {"equal_count_seed", options.bootstrap_seed}};
  manifest["equal_counts"] = equal_counts;
  manifest["schema_version"] = db.UserVersion();
  Statement tasks = db.Prepare(
      "SELECT kind, COUNT(*), SUM(state = 'done') FROM tasks t JOIN campaign_tasks ct ON ct.task_id = t.id "
      "AND ct.campaign_id = ?1 GROUP BY kind ORDER BY kind");
  tasks.Bind(1, campaign.id);
  Json counts = Json::object();
  while (tasks.Step())
    counts[tasks.ColumnText(0)] = {{"tasks", tasks.ColumnInt(1)}, {"done", tasks.ColumnInt(2)}};
  manifest["tasks"] = counts;
  return manifest;
}

}  // namespace

nlohmann::ordered_json BuildStudyReport(Database& file, const StudyOptions& options) {
  // A file of an older schema (opened read-only, so not migrated) is analysed on a migrated
  // in-memory copy; the manifest still says which version the file is at.
  const int file_version = file.UserVersion();
  std::unique_ptr<Database> migrated;
  if (file_version < LatestSchemaVersion()) migrated = Database::MigratedCopy(file);
  Database& db = migrated ? *migrated : file;
  if (options.peak_metric) analysis::RequirePeakMetric(*options.peak_metric, "option --peak-metric");
  if (options.bootstrap_permutations < 1)
    Fail("bootstrap permutations must be 1 or more, got {}", options.bootstrap_permutations);
  if (options.resamples < 0) Fail("resamples must be 0 or more, got {}", options.resamples);
  if (!(options.level > 0 && options.level < 1)) Fail("level must be in (0, 1), got {}", options.level);

  const CampaignInfo campaign = LoadCampaign(db, options.campaign);
  const std::vector<ModelInfo> models = LoadModels(db, campaign);
  Json notes = Json::array();
  // The peak metric: the option, else the campaign's (science.metrics.peak_metric), else the default.
  std::string peak_metric = analysis::defaults::kPeakMetric;
  std::string peak_metric_source = "default";
  if (options.peak_metric) {
    peak_metric = *options.peak_metric;
    peak_metric_source = "option";
  } else if (const std::optional<std::string> chosen = LoadCampaignPeakMetric(db, campaign)) {
    analysis::RequirePeakMetric(*chosen, db.path() + ": the campaign's peak_metric");
    peak_metric = *chosen;
    peak_metric_source = "campaign";
  }
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
  for (const ModelMethod& mm : all) {
    bool has_null = false;
    for (const CurvePoint& point : mm.curve)
      has_null = has_null || std::isfinite(point.metrics.at("null_mean_cosine"));
    if (!has_null) {
      notes.push_back(
          fmt::format("{} / {}: no permutation null stored (metrics computed before it existed): "
                      "separation_gap there is anisotropy - mean_cosine, not null_mean_cosine - mean_cosine",
                      mm.model->name, mm.method));
    }
  }

  // Localization curve and peak depth, U-fit.
  Json localization = Json::array();
  Json peaks = Json::array();
  Json ufits = Json::array();
  for (ModelMethod& mm : all) {
    std::vector<int64_t> layers;
    std::vector<double> depths;
    std::vector<double> peak_values;
    std::vector<double> fit_r;
    std::vector<double> fit_y;
    for (const CurvePoint& point : mm.curve) {
      Json row = {{"model", mm.model->name},
                  {"family", mm.model->family},
                  {"method", mm.method},
                  {"layer", point.layer},
                  {"relative_depth", Num(point.relative_depth)}};
      for (const std::string& name : CurveMetricNames()) row[name] = Num(point.metrics.at(name));
      localization.push_back(std::move(row));
      layers.push_back(point.layer);
      depths.push_back(point.relative_depth);
      peak_values.push_back(point.metrics.at(peak_metric));
      const double cosine = point.metrics.at("mean_cosine");
      if (std::isfinite(cosine) && std::isfinite(point.relative_depth)) {
        fit_r.push_back(point.relative_depth);
        fit_y.push_back(cosine);
      }
    }
    const std::optional<size_t> peak = analysis::PeakIndex(peak_metric, layers, peak_values);
    if (peak) {
      mm.peak_layer = layers[*peak];
      mm.peak_depth = mm.curve[*peak].relative_depth;
    }
    const double location = analysis::PeakLocation(peak_metric, layers, depths, peak_values).value_or(kNaN);
    const analysis::UFit fit =
        fit_r.size() >= 3 ? analysis::FitU(fit_r, fit_y) : analysis::UFit{kNaN, kNaN, kNaN, kNaN};

    analysis::PeakBootstrapResult boot;
    std::string skipped;
    const std::optional<MetricsSettings> settings =
        LoadMetricsSettings(db, campaign, mm.model->id, mm.method);
    if (options.resamples == 0) {
      skipped = "resamples = 0";
    } else if (!settings) {
      skipped = "no metrics task settings";
    } else if (peak) {
      boot = Bootstrap(db, campaign, mm, *settings, options, peak_metric, &skipped);
    } else {
      skipped = "no peak";
    }
    if (!skipped.empty())
      notes.push_back(fmt::format("bootstrap of {} / {} skipped: {}", mm.model->name, mm.method, skipped));
    const analysis::PercentileSummary depth_ci =
        analysis::PercentileOfFinite(boot.peak_depths, options.level);
    const analysis::PercentileSummary location_ci =
        analysis::PercentileOfFinite(boot.peak_locations, options.level);
    const analysis::PercentileSummary r0_ci = analysis::PercentileOfFinite(boot.r0, options.level);
    const analysis::PercentileSummary a_ci = analysis::PercentileOfFinite(boot.a, options.level);
    if (boot.failed > 0) {
      notes.push_back(
          fmt::format("bootstrap of {} / {}: {} of {} replicates had no computable peak (counted, "
                      "left out of the interval)",
                      mm.model->name, mm.method, boot.failed, boot.peak_depths.size()));
    }
    const bool inverted = std::isfinite(fit.a) && fit.a <= 0;
    if (inverted) {
      notes.push_back(
          fmt::format("u_fit of {} / {}: a = {:.4g} <= 0, an inverted U: r0 is the depth of LEAST "
                      "separation, not a peak",
                      mm.model->name, mm.method, fit.a));
    }
    peaks.push_back({{"model", mm.model->name},
                     {"family", mm.model->family},
                     {"method", mm.method},
                     {"peak_metric", peak_metric},
                     {"peak_layer", mm.peak_layer >= 0 ? Json(mm.peak_layer) : Json(nullptr)},
                     {"layers", mm.model->layers},
                     {"peak_relative_depth", Num(mm.peak_depth)},
                     {"peak_value", peak ? Num(peak_values[*peak]) : Json(nullptr)},
                     {"ci_lower", Num(depth_ci.lower)},
                     {"ci_upper", Num(depth_ci.upper)},
                     {"peak_location", Num(location)},
                     {"location_ci_lower", Num(location_ci.lower)},
                     {"location_ci_upper", Num(location_ci.upper)},
                     {"resamples", static_cast<int64_t>(boot.peak_depths.size())},
                     {"valid_resamples", static_cast<int64_t>(depth_ci.finite)},
                     {"failed_resamples", static_cast<int64_t>(boot.failed)}});
    ufits.push_back(
        {{"model", mm.model->name},
         {"family", mm.model->family},
         {"method", mm.method},
         {"metric", "mean_cosine"},
         {"points", static_cast<int64_t>(fit_r.size())},
         {"r0", Num(fit.r0)},
         {"a", Num(fit.a)},
         {"c", Num(fit.c)},
         {"r_squared", Num(fit.r_squared)},
         {"u_shaped", std::isfinite(fit.a) ? Json(fit.a > 0) : Json(nullptr)},
         {"shape", !std::isfinite(fit.a) ? Json(nullptr) : Json(inverted ? "inverted_u" : "u")},
         {"r0_is", !std::isfinite(fit.a)
                       ? Json(nullptr)
                       : Json(inverted ? "least separated depth (maximum of mean_cosine); not a peak"
                                       : "most separated depth (minimum of mean_cosine)")},
         {"r0_ci_lower", Num(r0_ci.lower)},
         {"r0_ci_upper", Num(r0_ci.upper)},
         {"a_ci_lower", Num(a_ci.lower)},
         {"a_ci_upper", Num(a_ci.upper)},
         {"valid_resamples", static_cast<int64_t>(r0_ci.finite)},
         {"inverted_resamples", static_cast<int64_t>(boot.inverted)}});
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
    invariance.push_back({{"method", method},
                          {"models", static_cast<int64_t>(depths.size())},
                          {"families", static_cast<int64_t>(by_family.size())},
                          {"mean_relative_depth", Num(analysis::Mean(depths))},
                          {"sd", Num(analysis::SampleSd(depths))},
                          {"min", Num(*low)},
                          {"max", Num(*high)},
                          {"range", Num(*high - *low)},
                          {"null_depth", options.null_depth},
                          {"t", Num(test.statistic)},
                          {"df", Num(test.df)},
                          {"p_value", Num(test.p_value)}});
    for (const auto& [family, values] : by_family) {
      family_rows.push_back({{"method", method},
                             {"family", family},
                             {"models", static_cast<int64_t>(values.size())},
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
      notes.push_back(fmt::format("similarity for {} needs 3 emotions common to the models, has {}", method,
                                  common.size()));
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
        similarity.push_back({{"method", method},
                              {"model_a", members[a]->model->name},
                              {"model_b", members[b]->model->name},
                              {"layer_a", members[a]->peak_layer},
                              {"layer_b", members[b]->peak_layer},
                              {"emotions", static_cast<int64_t>(common.size())},
                              {"spearman", Num(analysis::Spearman(triangles[a], triangles[b]))}});
      }
    }
  }

  // Method comparison: generation (x) vs comprehension (y), one pair per (model, emotion).
  Json comparison = Json::array();
  Json pairs = Json::array();
  Json equal_counts = Json::array();
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
      const auto [gen, comp] = EqualCountSeparations(db, campaign, model, *generation, *comprehension,
                                                     options.bootstrap_seed, &equal_counts, &notes);
      for (const auto& [emotion, value] : gen) {
        auto other = comp.find(emotion);
        if (other == comp.end() || !std::isfinite(value) || !std::isfinite(other->second)) continue;
        x.push_back(value);
        y.push_back(other->second);
        pairs.push_back({{"model", model.name},
                         {"emotion", emotion},
                         {"generation_layer", generation->peak_layer},
                         {"comprehension_layer", comprehension->peak_layer},
                         {"generation", value},
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
        return method == analysis::TestMethod::kExact        ? "exact"
               : method == analysis::TestMethod::kAsymptotic ? "asymptotic"
                                                             : "n/a";
      };
      const double cohen_d = analysis::CohenD(x, y);
      if (std::isnan(cohen_d)) {
        notes.push_back(
            "Cohen's d undefined: the pooled variance of emotion_separation is zero (both samples constant)");
      }
      comparison.push_back({{"metric", "emotion_separation"},
                            {"x", "generation"},
                            {"y", "comprehension"},
                            {"pairs", static_cast<int64_t>(x.size())},
                            {"mean_x", Num(analysis::Mean(x))},
                            {"mean_y", Num(analysis::Mean(y))},
                            {"mann_whitney_u", Num(mwu.u1)},
                            {"mann_whitney_p", Num(mwu.p_value)},
                            {"mann_whitney_method", method_name(mwu.method)},
                            {"cohen_d", Num(cohen_d)},
                            {"wilcoxon_statistic", Num(wilcoxon.statistic)},
                            {"wilcoxon_p", Num(wilcoxon.p_value)},
                            {"wilcoxon_method", method_name(wilcoxon.method)}});
    } else {
      notes.push_back(
          "method comparison needs generation and comprehension metrics of at least two (model, emotion) "
          "pairs");
    }
  }

  // Steering.
  Json steering =
      ViewRows(db,
               "SELECT model_path AS model, family, layer, relative_depth, alpha, mode, estimator, "
               "generations, surgical_share, "
               "repetitive_collapse_share, explosive_share, ineffective_share, empty_share, hit_rate, "
               "baseline_hit_rate, "
               "hit_rate_gain, scenarios, successful_scenarios, success_rate FROM steering_summary "
               "WHERE campaign = ?1 ORDER BY model_id, layer, mode, estimator, alpha",
               campaign.name);
  // Rows of the steering views name a model by its path; the report names it as the campaign does.
  const auto name_models = [&models](Json& rows) {
    for (Json& row : rows) {
      for (const ModelInfo& model : models) {
        if (row["model"] == model.path) row["model"] = model.name;
      }
    }
  };
  name_models(steering);
  const std::string steer_join =
      "JOIN campaign_tasks ct ON ct.task_id = g.task_id JOIN campaigns c ON c.id = ct.campaign_id AND c.name "
      "= ?1 ";
  Json by_coefficient = ViewRows(
      db,
      "SELECT g.alpha, g.mode, g.estimator, COUNT(*) AS generations, AVG(g.regime = 'surgical') AS "
      "surgical_share, "
      "AVG(g.regime = 'repetitive_collapse') AS repetitive_collapse_share, AVG(g.regime = 'explosive') AS "
      "explosive_share, "
      "AVG(g.regime = 'ineffective') AS ineffective_share, AVG(g.regime = 'empty') AS empty_share, "
      "AVG(g.hit) AS hit_rate, "
      "(SELECT COUNT(*) FROM steering_scenarios s JOIN campaign_tasks ct ON ct.task_id = s.task_id "
      " JOIN campaigns c ON c.id = ct.campaign_id AND c.name = ?1 WHERE s.alpha = g.alpha AND s.mode = "
      "g.mode AND s.estimator = g.estimator) AS scenarios, "
      "(SELECT AVG(s.success) FROM steering_scenarios s JOIN campaign_tasks ct ON ct.task_id = s.task_id "
      " JOIN campaigns c ON c.id = ct.campaign_id AND c.name = ?1 WHERE s.alpha = g.alpha AND s.mode = "
      "g.mode AND s.estimator = g.estimator) AS success_rate "
      "FROM steering_generations g " +
          steer_join + "GROUP BY g.alpha, g.mode, g.estimator ORDER BY g.mode, g.estimator, g.alpha",
      campaign.name);
  Json overall =
      ViewRows(db,
               "SELECT COUNT(*) AS scenarios, COALESCE(SUM(s.success), 0) AS successful_scenarios, "
               "AVG(s.success) AS success_rate FROM steering_scenarios s JOIN campaign_tasks ct ON "
               "ct.task_id = s.task_id "
               "JOIN campaigns c ON c.id = ct.campaign_id AND c.name = ?1 WHERE s.alpha <> 0",
               campaign.name);
  // The dose-response per (model, estimator, layer range, mode): every alpha of the sweep, the
  // unsteered baseline (alpha 0) included, and whether alpha lies in the calibrated window.
  Json dose =
      ViewRows(db,
               "SELECT model_path AS model, estimator, layer, layer_last, mode, alpha, generations, "
               "hit_rate, surgical_share, repetitive_collapse_share, explosive_share, ineffective_share, "
               "empty_share, median_ppl_ratio, window_low, window_high, in_calibrated_window "
               "FROM steering_dose_response WHERE campaign = ?1 "
               "ORDER BY model_id, estimator, layer, layer_last, mode, alpha",
               campaign.name);
  name_models(dose);
  if (steering.empty()) notes.push_back("no steering results in this campaign");

  Json report = Json::object();
  report["report"] = "emoscope analyze";
  report["format_version"] = 1;
  report["manifest"] = Manifest(db, campaign, models, options, peak_metric, peak_metric_source, equal_counts);
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
  sections["steering_dose_response"] = dose;
  sections["steering_overall"] = overall;
  report["sections"] = sections;
  report["notes"] = notes;
  report["manifest"]["schema_version"] = file_version;
  return report;
}

}  // namespace emoscope
