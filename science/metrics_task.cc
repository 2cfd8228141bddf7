// metrics: emotion vectors and separation metrics of one layer (science/task_common.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "analysis/metrics.h"
#include "common/error.h"
#include "jobs/task_params.h"
#include "science/blob.h"
#include "science/task_common.h"
#include "science/vector_estimation.h"

namespace emoscope {
namespace {

using nlohmann::json;

// Activations of one hook point gathered from the extract tasks this task depends on.
struct LayerSamples {
  analysis::Matrix emotion_rows;  // (n, d)
  std::vector<int> labels;
  analysis::Groups groups;        // (n) source of each row: its stimulus, or its generation prompt
  analysis::Matrix neutral_rows;  // (m, d)
  std::vector<double> neutral_norms;
};

LayerSamples GatherLayer(const TaskContext& ctx, int64_t layer, const std::string& method,
                         const std::vector<std::string>& emotions) {
  // Sample metadata by (task, index).
  std::map<std::pair<int64_t, int64_t>, const json*> sample_rows;
  for (const json& row : InputRows(ctx, "samples")) {
    sample_rows[{row.at("task_id").get<int64_t>(), row.at("sample_index").get<int64_t>()}] = &row;
  }
  LayerSamples out;
  std::map<std::string, int64_t> group_ids;  // source name -> group number, in order of first row
  std::vector<double> emotion_data;
  std::vector<double> neutral_data;
  int64_t dim = -1;
  for (const json& row : InputRows(ctx, "sample_activations")) {
    if (row.at("layer").get<int64_t>() != layer) continue;
    const std::string row_method = row.at("method").get<std::string>();
    if (row_method != method && row_method != "neutral") continue;
    const int64_t task = row.at("task_id").get<int64_t>();
    const int64_t rows = row.at("rows").get<int64_t>();
    const int64_t d = row.at("dim").get<int64_t>();
    if (dim >= 0 && d != dim) throw TaskFailed("metrics: inputs disagree on the hidden size", false);
    dim = d;
    const std::string what = fmt::format("metrics: sample_activations of task {} layer {}", task, layer);
    const std::vector<float> data =
        BlobToFloats(InputBlob(ctx, row.at("data"), what), static_cast<size_t>(rows * d), what);
    const std::vector<float> norms =
        BlobToFloats(InputBlob(ctx, row.at("norms"), what), static_cast<size_t>(rows), what);
    for (int64_t i = 0; i < rows; ++i) {
      auto found = sample_rows.find({task, i});
      if (found == sample_rows.end()) throw TaskFailed(fmt::format("{}: no samples row {}", what, i), false);
      const json& sample = *found->second;
      if (sample.at("readout_tokens").get<int64_t>() == 0) continue;
      const float* values = data.data() + i * d;
      if (row_method == "neutral") {
        neutral_data.insert(neutral_data.end(), values, values + d);
        out.neutral_norms.push_back(norms[static_cast<size_t>(i)]);
        continue;
      }
      const std::string emotion = sample.at("emotion").get<std::string>();
      const auto label = std::find(emotions.begin(), emotions.end(), emotion) - emotions.begin();
      if (label == static_cast<std::ptrdiff_t>(emotions.size())) continue;  // not in this analysis's set
      emotion_data.insert(emotion_data.end(), values, values + d);
      out.labels.push_back(static_cast<int>(label));
      // The k-th continuation of prompt P has stimulus id "P#k": its source is P. Without a
      // stimulus id (inputs that did not select the column) each row is its own source.
      const std::string source =
          sample.contains("stimulus_id")
              ? analysis::SampleSource(row_method, sample.at("stimulus_id").get<std::string>())
              : fmt::format("task {} row {}", task, i);
      out.groups.push_back(group_ids.emplace(emotion + '\x1f' + source, group_ids.size()).first->second);
    }
  }
  if (dim < 0 || out.labels.empty()) {
    throw TaskFailed(fmt::format("metrics: no {} activations of layer {} among the inputs", method, layer),
                     false);
  }
  const auto d = static_cast<size_t>(dim);
  out.emotion_rows = {std::move(emotion_data), out.labels.size(), d};
  out.neutral_rows = {std::move(neutral_data), out.neutral_norms.size(), d};
  return out;
}

}  // namespace

TaskOutput RunMetrics(TaskContext& ctx) {
  const auto start = Clock::now();
  MetricsParams params;
  try {
    params = MetricsParamsFromJson(ctx.params);
  } catch (const Error& error) {
    throw TaskFailed(error.what(), false);
  }
  const std::string& method = params.method;
  const int64_t layer = params.layer;
  const std::vector<std::string>& emotions = params.emotions;
  const double pc_share = params.neutral_pc_share;
  analysis::LayerMetricsOptions options;
  analysis::ProbeOptions& probe = options.probe;
  probe.folds = static_cast<int>(params.probe_folds);
  probe.seed = params.seed;
  options.permutations = static_cast<int>(params.permutations);
  options.permutation_seed = probe.seed;
  if (probe.folds < 2) throw TaskFailed("metrics: parameter 'probe_folds' must be at least 2", false);
  if (options.permutations < 1)
    throw TaskFailed("metrics: parameter 'permutations' must be at least 1", false);
  if (emotions.size() < 2)
    throw TaskFailed("metrics: parameter 'emotions' needs at least two emotions", false);

  LayerSamples samples = GatherLayer(ctx, layer, method, emotions);
  options.groups = std::move(samples.groups);
  const int num_classes = static_cast<int>(emotions.size());
  std::vector<int> counts(emotions.size(), 0);
  for (int label : samples.labels) ++counts[static_cast<size_t>(label)];
  for (size_t e = 0; e < emotions.size(); ++e) {
    if (counts[e] == 0)
      throw TaskFailed(fmt::format("metrics: emotion '{}' has no samples at layer {}", emotions[e], layer),
                       false);
  }
  const std::optional<analysis::MatrixView> neutral =
      samples.neutral_rows.rows > 0 ? std::optional<analysis::MatrixView>(samples.neutral_rows.View())
                                    : std::nullopt;
  const analysis::Matrix means =
      analysis::ClassMeans(samples.emotion_rows.View(), samples.labels, num_classes);
  analysis::EmotionVectorOptions vector_options;
  vector_options.neutral_variance_share = neutral ? pc_share : 0.0;
  const analysis::EmotionVectors vectors = analysis::ComputeEmotionVectors(means, neutral, vector_options);
  const analysis::LayerMetrics metrics = analysis::ComputeLayerMetrics(
      samples.emotion_rows.View(), samples.labels, num_classes, neutral, options);
  double neutral_norm = std::nan("");
  if (!samples.neutral_norms.empty()) {
    double total = 0;
    for (double norm : samples.neutral_norms) total += norm;
    neutral_norm = total / static_cast<double>(samples.neutral_norms.size());
  }

  TaskOutput out;
  json& rows = out.rows;
  const size_t d = means.cols;
  for (size_t e = 0; e < emotions.size(); ++e) {
    const std::vector<double> mean(means.Row(e), means.Row(e) + d);
    rows["activation_means"].push_back({{"layer", layer},
                                        {"emotion", emotions[e]},
                                        {"method", method},
                                        {"dtype", "float32"},
                                        {"dim", static_cast<int64_t>(d)},
                                        {"samples", counts[e]},
                                        {"data", out.AddBlob(DoublesToFloatBlob(mean))}});
  }
  AddEmotionVectorRows({layer, method, &emotions, &samples.emotion_rows, &samples.labels, &means, &vectors},
                       params.estimators, &out);
  auto metric = [&](const char* name, double value, const std::string& emotion = "") {
    rows["layer_metrics"].push_back({{"layer", layer},
                                     {"method", method},
                                     {"metric", name},
                                     {"emotion", emotion},
                                     {"value", std::isfinite(value) ? json(value) : json(nullptr)}});
  };
  metric("mean_cosine", metrics.mean_cosine);
  metric("anisotropy", metrics.anisotropy);
  metric("null_mean_cosine", metrics.null.null_mean_cosine);
  metric("separation_z", metrics.null.separation_z);
  metric("permutation_p", metrics.null.permutation_p);
  metric("separation_gap", metrics.null.separation_gap);
  metric("permutations", static_cast<double>(metrics.null.permutations));
  metric("fisher_ratio", metrics.fisher_ratio);
  metric("probe_accuracy", metrics.probe_accuracy);
  metric("chance", 1.0 / num_classes);
  metric("neutral_norm", neutral_norm);
  metric("samples", static_cast<double>(samples.labels.size()));
  metric("neutral_samples", static_cast<double>(samples.neutral_norms.size()));
  for (size_t e = 0; e < emotions.size(); ++e)
    metric("emotion_separation", metrics.emotion_separation[e], emotions[e]);
  const json settings = {
      {"method", method},
      {"layer", layer},
      {"emotions", emotions},
      {"neutral_pc_share", vector_options.neutral_variance_share},
      {"probe_folds", probe.folds},
      {"permutations", options.permutations},
      {"fold_groups",
       static_cast<int64_t>(std::set<int64_t>(options.groups.begin(), options.groups.end()).size())},
      {"removed_components", vectors.removed_components}};
  rows["task_runs"] = json::array({TaskRunRow(ctx, "cpu", "float64", probe.seed, settings, start)});
  return out;
}

}  // namespace emoscope
