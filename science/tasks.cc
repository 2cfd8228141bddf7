#include "science/tasks.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/metrics.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/random.h"
#include "emoscope_version.h"
#include "models/runtime/generate.h"
#include "models/runtime/model.h"
#include "models/tokenizer/tokenizer.h"
#include "science/blob.h"
#include "science/extraction.h"
#include "science/lexicon.h"
#include "science/steering_outcome.h"
#include "stimuli/stimuli.h"
#include "worker/model_cache.h"
#include "worker/task_registry.h"

namespace emoscope {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---- parameters ---------------------------------------------------------------------------

// Typed access to a task's params, naming the kind and field in errors (a bad parameter is not
// retryable: running the task again would fail the same way).
class Params {
 public:
  Params(const json& params, std::string kind) : params_(params), kind_(std::move(kind)) {}
  template <typename T>
  T Get(const char* name, T fallback) const {
    if (!params_.contains(name) || params_.at(name).is_null()) return fallback;
    return As<T>(params_.at(name), name);
  }
  template <typename T>
  T Require(const char* name) const {
    if (!params_.contains(name)) throw TaskFailed(fmt::format("{}: parameter '{}' is missing", kind_, name), false);
    return As<T>(params_.at(name), name);
  }
  const json& Raw(const char* name) const {
    static const json kNull;
    return params_.contains(name) ? params_.at(name) : kNull;
  }
  const std::string& kind() const { return kind_; }

 private:
  template <typename T>
  T As(const json& value, const char* name) const {
    try {
      return value.get<T>();
    } catch (const json::exception&) {
      throw TaskFailed(fmt::format("{}: parameter '{}' has the wrong type: {}", kind_, name, value.dump()), false);
    }
  }
  const json& params_;
  std::string kind_;
};

// ---- models in the worker's cache ----------------------------------------------------------

struct LoadedModel {
  std::unique_ptr<CausalLm> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::mutex mutex;  // one forward pass at a time per model
};

std::shared_ptr<LoadedModel> GetModel(TaskContext& ctx, const std::string& dtype, const std::string& device) {
  if (!ctx.model) throw TaskFailed(ctx.kind + ": the task names no model", false);
  const ModelRef model = *ctx.model;
  auto load = [&]() -> std::shared_ptr<void> {
    auto loaded = std::make_shared<LoadedModel>();
    LoadOptions options;
    options.dtype = dtype;
    options.device = device;
    loaded->model = LoadModel(model.path, options);
    loaded->tokenizer = std::make_unique<Tokenizer>(Tokenizer::FromFolder(model.path));
    return loaded;
  };
  const std::string key = model.checksum + ":" + dtype + ":" + device;
  if (ctx.models == nullptr) return std::static_pointer_cast<LoadedModel>(load());
  return std::static_pointer_cast<LoadedModel>(ctx.models->Get(key, load));
}

// ---- provenance ------------------------------------------------------------------------------

json LibraryVersions() {
  return {{"libtorch", fmt::format("{}.{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH)},
          {"threads", at::get_num_threads()}};
}

// The task_runs row every science task writes: how its numbers were computed.
json TaskRunRow(const TaskContext& ctx, const std::string& device, const std::string& dtype, uint64_t seed,
                const json& settings, Clock::time_point start) {
  return {{"code_version", EMOSCOPE_CODE_VERSION},
          {"libraries", LibraryVersions().dump()},
          {"device", device},
          {"dtype", dtype},
          {"seed", static_cast<int64_t>(seed)},
          {"model_checksum", ctx.model ? ctx.model->checksum : ""},
          {"worker", ctx.worker},
          {"settings", settings.dump()},
          {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()}};
}

void CheckCancel(const TaskContext& ctx) {
  if (ctx.cancel != nullptr && ctx.cancel->load()) throw TaskFailed(ctx.kind + ": lease revoked", true);
}

// FNV-1a: a stable 64-bit hash of a stimulus id, for per-sample seeds.
uint64_t HashId(const std::string& id) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : id) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string StimuliDir(const Params& params) {
  const std::string dir = params.Get<std::string>("stimuli_dir", "builtin");
  return dir == "builtin" ? BuiltinStimuliDir() : dir;
}

SamplingOptions SamplingFrom(const json& settings, const CausalLm& model) {
  SamplingOptions sampling;
  sampling.max_new_tokens = settings.value("max_new_tokens", 64);
  sampling.temperature = settings.value("temperature", 0.7);
  sampling.top_p = settings.value("top_p", 0.9);
  sampling.top_k = settings.value("top_k", 0);
  sampling.stop_tokens = model.config().eos_token_ids;
  return sampling;
}

// ---- extract ---------------------------------------------------------------------------------

// The items one extract task reads: its method's stimuli of the emotion set, capped per emotion,
// then its shard.
std::vector<ExtractionItem> ExtractionItems(const Params& params, const std::string& method,
                                            const std::vector<std::string>& emotions, uint64_t seed) {
  const std::string dir = StimuliDir(params);
  const int shard = params.Get<int>("shard", 0);
  const int shards = params.Get<int>("shards", 1);
  std::vector<Stimulus> chosen;
  if (method == "neutral") {
    std::vector<Stimulus> all = LoadStimuliFile(JoinPath(dir, "neutral.jsonl"));
    const auto count = static_cast<size_t>(params.Get<int64_t>("neutral_count", 100));
    if (all.size() > count) all.resize(count);
    chosen = all;
  } else {
    const std::string file = method == "generation" ? "generation_prompts.jsonl" : "comprehension.jsonl";
    const std::vector<Stimulus> all = LoadStimuliFile(JoinPath(dir, file));
    const auto per_emotion = params.Get<int64_t>("per_emotion", 40);
    std::map<std::string, int64_t> taken;
    const std::set<std::string> wanted(emotions.begin(), emotions.end());
    for (const Stimulus& stimulus : all) {
      if (wanted.count(stimulus.emotion) && taken[stimulus.emotion]++ < per_emotion) chosen.push_back(stimulus);
    }
    for (const std::string& emotion : emotions) {
      if (taken[emotion] == 0) {
        throw TaskFailed(fmt::format("extract: {} has no {} stimuli for emotion '{}'", dir, method, emotion), false);
      }
    }
  }
  chosen = ShardStimuli(chosen, shard, shards);
  std::vector<ExtractionItem> items;
  const int64_t per_prompt = method == "generation" ? params.Get<int64_t>("generations_per_prompt", 1) : 1;
  for (const Stimulus& stimulus : chosen) {
    for (int64_t copy = 0; copy < per_prompt; ++copy) {
      ExtractionItem item;
      item.id = per_prompt > 1 ? fmt::format("{}#{}", stimulus.id, copy) : stimulus.id;
      item.emotion = stimulus.emotion;
      item.text = stimulus.text;
      item.seed = Mix64(seed ^ HashId(stimulus.id)) + static_cast<uint64_t>(copy);
      items.push_back(std::move(item));
    }
  }
  return items;
}

TaskOutput RunExtract(TaskContext& ctx) {
  const auto start = Clock::now();
  const Params params(ctx.params, "extract");
  const std::string method = params.Require<std::string>("method");
  if (method != "comprehension" && method != "generation" && method != "neutral") {
    throw TaskFailed("extract: parameter 'method' must be comprehension, generation or neutral, got '" + method + "'", false);
  }
  const auto emotions = params.Get<std::vector<std::string>>("emotions", {});
  const auto seed = params.Get<uint64_t>("seed", 0);
  const std::string dtype = params.Get<std::string>("dtype", "float32");
  const std::string device = params.Get<std::string>("device", "cpu");
  const std::vector<ExtractionItem> items = ExtractionItems(params, method, emotions, seed);
  if (items.empty()) throw TaskFailed("extract: this shard selects no stimuli", false);

  std::shared_ptr<LoadedModel> loaded = GetModel(ctx, dtype, device);
  ExtractionOptions options;
  options.method = method == "generation" ? ExtractionMethod::kGeneration : ExtractionMethod::kComprehension;
  options.tokens_per_batch = params.Get<int64_t>("batch_tokens", 2048);
  options.skip_leading_fraction = params.Get<double>("skip_leading_fraction", 0.0);
  options.sampling = SamplingFrom(params.Raw("generation").is_object() ? params.Raw("generation") : json::object(),
                                  *loaded->model);
  std::vector<SampleReadout> samples;
  {
    std::lock_guard<std::mutex> lock(loaded->mutex);
    samples = ExtractReadouts(*loaded->model, *loaded->tokenizer, items, options,
                              [&](int64_t) { CheckCancel(ctx); });
  }
  const int64_t points = loaded->model->num_layers() + 1;
  const int64_t hidden = loaded->model->hidden_size();

  TaskOutput out;
  json& rows = out.rows;
  rows["samples"] = json::array();
  for (size_t i = 0; i < samples.size(); ++i) {
    const SampleReadout& sample = samples[i];
    rows["samples"].push_back({{"sample_index", static_cast<int64_t>(i)},
                               {"stimulus_id", sample.id},
                               {"emotion", sample.emotion},
                               {"method", method},
                               {"seed", static_cast<int64_t>(sample.seed)},
                               {"readout_tokens", sample.readout_tokens},
                               {"generated_text", sample.generated_text}});
  }
  // One blob per hook point: (samples, hidden) float32, samples in sample_index order; a sample
  // with nothing to read (readout_tokens 0) holds zeros.
  rows["sample_activations"] = json::array();
  const auto count = static_cast<int64_t>(samples.size());
  for (int64_t layer = 0; layer < points; ++layer) {
    std::vector<float> data(static_cast<size_t>(count * hidden), 0.0f);
    std::vector<float> norms(static_cast<size_t>(count), 0.0f);
    for (int64_t i = 0; i < count; ++i) {
      const SampleReadout& sample = samples[static_cast<size_t>(i)];
      if (sample.readout_tokens == 0) continue;
      std::copy_n(sample.activations.begin() + layer * hidden, hidden, data.begin() + i * hidden);
      norms[static_cast<size_t>(i)] = sample.norms[static_cast<size_t>(layer)];
    }
    rows["sample_activations"].push_back({{"layer", layer},
                                          {"method", method},
                                          {"rows", count},
                                          {"dim", hidden},
                                          {"data", out.AddBlob(FloatsToBlob(data.data(), data.size()))},
                                          {"norms", out.AddBlob(FloatsToBlob(norms.data(), norms.size()))}});
  }
  const json settings = {{"method", method},
                         {"emotions", emotions},
                         {"samples", count},
                         {"skip_leading_fraction", options.skip_leading_fraction},
                         {"batch_tokens", options.tokens_per_batch},
                         {"generation", {{"max_new_tokens", options.sampling.max_new_tokens},
                                         {"temperature", options.sampling.temperature},
                                         {"top_p", options.sampling.top_p}}}};
  rows["task_runs"] = json::array({TaskRunRow(ctx, device, dtype, seed, settings, start)});
  return out;
}

// ---- inputs from dependencies ---------------------------------------------------------------

const json& InputRows(const TaskContext& ctx, const std::string& table) {
  static const json kEmpty = json::array();
  if (!ctx.inputs.is_object() || !ctx.inputs.contains(table)) return kEmpty;
  return ctx.inputs.at(table);
}

const std::string& InputBlob(const TaskContext& ctx, const json& ref, const std::string& what) {
  if (!ref.is_object() || !ref.contains("$blob")) throw TaskFailed(what + ": expected a blob", false);
  const auto index = ref.at("$blob").get<size_t>();
  if (index >= ctx.input_blobs.size()) throw TaskFailed(what + ": blob index out of range", false);
  return ctx.input_blobs[index];
}

// ---- metrics ---------------------------------------------------------------------------------

// Activations of one hook point gathered from the extract tasks this task depends on.
struct LayerSamples {
  analysis::Matrix emotion_rows;  // (n, d)
  std::vector<int> labels;
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
    const std::vector<float> norms = BlobToFloats(InputBlob(ctx, row.at("norms"), what), static_cast<size_t>(rows), what);
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
    }
  }
  if (dim < 0 || out.labels.empty()) {
    throw TaskFailed(fmt::format("metrics: no {} activations of layer {} among the inputs", method, layer), false);
  }
  const auto d = static_cast<size_t>(dim);
  out.emotion_rows = {std::move(emotion_data), out.labels.size(), d};
  out.neutral_rows = {std::move(neutral_data), out.neutral_norms.size(), d};
  return out;
}

TaskOutput RunMetrics(TaskContext& ctx) {
  const auto start = Clock::now();
  const Params params(ctx.params, "metrics");
  const std::string method = params.Require<std::string>("method");
  const auto layer = params.Require<int64_t>("layer");
  const auto emotions = params.Require<std::vector<std::string>>("emotions");
  const double pc_share = params.Get<double>("neutral_pc_share", 0.5);
  analysis::ProbeOptions probe;
  probe.folds = params.Get<int>("probe_folds", 5);
  probe.seed = params.Get<uint64_t>("seed", 0);
  if (emotions.size() < 2) throw TaskFailed("metrics: parameter 'emotions' needs at least two emotions", false);

  const LayerSamples samples = GatherLayer(ctx, layer, method, emotions);
  const int num_classes = static_cast<int>(emotions.size());
  std::vector<int> counts(emotions.size(), 0);
  for (int label : samples.labels) ++counts[static_cast<size_t>(label)];
  for (size_t e = 0; e < emotions.size(); ++e) {
    if (counts[e] == 0) throw TaskFailed(fmt::format("metrics: emotion '{}' has no samples at layer {}", emotions[e], layer), false);
  }
  const std::optional<analysis::MatrixView> neutral =
      samples.neutral_rows.rows > 0 ? std::optional<analysis::MatrixView>(samples.neutral_rows.View()) : std::nullopt;
  const analysis::Matrix means = analysis::ClassMeans(samples.emotion_rows.View(), samples.labels, num_classes);
  analysis::EmotionVectorOptions vector_options;
  vector_options.neutral_variance_share = neutral ? pc_share : 0.0;
  const analysis::EmotionVectors vectors = analysis::ComputeEmotionVectors(means, neutral, vector_options);
  const analysis::LayerMetrics metrics =
      analysis::ComputeLayerMetrics(samples.emotion_rows.View(), samples.labels, num_classes, neutral, probe);
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
    rows["activation_means"].push_back({{"layer", layer}, {"emotion", emotions[e]}, {"method", method},
                                         {"dtype", "float32"}, {"dim", static_cast<int64_t>(d)},
                                         {"samples", counts[e]}, {"data", out.AddBlob(DoublesToFloatBlob(mean))}});
    const std::vector<double> unit(vectors.unit.Row(e), vectors.unit.Row(e) + d);
    rows["emotion_vectors"].push_back({{"layer", layer}, {"emotion", emotions[e]}, {"method", method},
                                        {"dim", static_cast<int64_t>(d)}, {"norm", vectors.norms[e]},
                                        {"removed_components", static_cast<int64_t>(vectors.removed_components)},
                                        {"removed_share", vectors.removed_share},
                                        {"data", out.AddBlob(DoublesToFloatBlob(unit))}});
  }
  auto metric = [&](const char* name, double value, const std::string& emotion = "") {
    rows["layer_metrics"].push_back({{"layer", layer}, {"method", method}, {"metric", name}, {"emotion", emotion},
                                     {"value", std::isfinite(value) ? json(value) : json(nullptr)}});
  };
  metric("mean_cosine", metrics.mean_cosine);
  metric("anisotropy", metrics.anisotropy);
  metric("separation_gap", metrics.separation_gap);
  metric("fisher_ratio", metrics.fisher_ratio);
  metric("probe_accuracy", metrics.probe_accuracy);
  metric("chance", 1.0 / num_classes);
  metric("neutral_norm", neutral_norm);
  metric("samples", static_cast<double>(samples.labels.size()));
  metric("neutral_samples", static_cast<double>(samples.neutral_norms.size()));
  for (size_t e = 0; e < emotions.size(); ++e) metric("emotion_separation", metrics.emotion_separation[e], emotions[e]);
  const json settings = {{"method", method}, {"layer", layer}, {"emotions", emotions},
                         {"neutral_pc_share", vector_options.neutral_variance_share},
                         {"probe_folds", probe.folds}, {"removed_components", vectors.removed_components}};
  rows["task_runs"] = json::array({TaskRunRow(ctx, "cpu", "float64", probe.seed, settings, start)});
  return out;
}

// ---- steer -----------------------------------------------------------------------------------

// Per-layer values of one metric for one method, from the inputs' layer_metrics rows.
std::map<int64_t, double> MetricByLayer(const TaskContext& ctx, const std::string& method, const std::string& metric) {
  std::map<int64_t, double> out;
  for (const json& row : InputRows(ctx, "layer_metrics")) {
    if (row.at("method") != method || row.at("metric") != metric || row.at("emotion") != "") continue;
    if (row.at("value").is_null()) continue;
    out[row.at("layer").get<int64_t>()] = row.at("value").get<double>();
  }
  return out;
}

// The best layer 1..L by the metric (mean_cosine: lowest; others: highest); ties to the shallower.
int64_t PeakLayer(const std::map<int64_t, double>& values, const std::string& metric) {
  const bool lower_is_better = metric == "mean_cosine";
  int64_t best = -1;
  double best_value = 0;
  for (const auto& [layer, value] : values) {
    if (layer == 0) continue;
    const bool better = lower_is_better ? value < best_value : value > best_value;
    if (best < 0 || better) {
      best = layer;
      best_value = value;
    }
  }
  return best;
}

// Resolves the steering layer: an absolute layer, a relative depth in (0, 1), or "peak".
int64_t ResolveLayer(const TaskContext& ctx, const json& spec, int64_t num_layers, const std::string& method,
                     const std::string& peak_metric) {
  if (spec.is_string() && spec.get<std::string>() == "peak") {
    const int64_t peak = PeakLayer(MetricByLayer(ctx, method, peak_metric), peak_metric);
    if (peak < 0) throw TaskFailed("steer: no " + peak_metric + " metrics among the inputs to find the peak", false);
    return peak;
  }
  if (spec.is_number_integer()) {
    const auto layer = spec.get<int64_t>();
    if (layer < 0 || layer > num_layers) throw TaskFailed(fmt::format("steer: layer {} is outside 0..{}", layer, num_layers), false);
    return layer;
  }
  if (spec.is_number()) {
    const double depth = spec.get<double>();
    if (!(depth > 0 && depth <= 1)) throw TaskFailed(fmt::format("steer: relative depth {} is outside (0, 1]", depth), false);
    return std::clamp<int64_t>(std::llround(depth * static_cast<double>(num_layers)), 1, num_layers);
  }
  throw TaskFailed("steer: parameter 'layer' must be an integer, a depth in (0, 1] or \"peak\"", false);
}

std::vector<float> InputVector(const TaskContext& ctx, const std::string& table, const std::string& method,
                               int64_t layer, const std::string& emotion) {
  for (const json& row : InputRows(ctx, table)) {
    if (row.at("method") == method && row.at("layer") == layer && row.at("emotion") == emotion) {
      const auto dim = row.at("dim").get<size_t>();
      const std::string what = fmt::format("steer: {} {} layer {} {}", table, method, layer, emotion);
      return BlobToFloats(InputBlob(ctx, row.at("data"), what), dim, what);
    }
  }
  throw TaskFailed(fmt::format("steer: no {} row for method {}, layer {}, emotion '{}' among the inputs", table,
                               method, layer, emotion), false);
}

// The probe judge: the unsteered model reads the continuation; nearest class mean by cosine.
class ProbeJudge {
 public:
  ProbeJudge(LoadedModel& reader, int64_t layer, std::vector<std::vector<float>> centroids)
      : reader_(reader), layer_(layer), centroids_(std::move(centroids)) {}

  JudgeScores Judge(const std::string& text) const {
    JudgeScores out;
    out.scores.assign(centroids_.size(), 0.0);
    if (text.empty()) return out;
    ExtractionOptions options;
    const auto samples = ExtractReadouts(*reader_.model, *reader_.tokenizer, {{"judge", "", text, 0}}, options);
    const SampleReadout& sample = samples.front();
    if (sample.readout_tokens == 0) return out;
    const int64_t hidden = reader_.model->hidden_size();
    std::vector<double> a(sample.activations.begin() + layer_ * hidden, sample.activations.begin() + (layer_ + 1) * hidden);
    double best = -2;
    for (size_t e = 0; e < centroids_.size(); ++e) {
      std::vector<double> c(centroids_[e].begin(), centroids_[e].end());
      out.scores[e] = analysis::Cosine(a.data(), c.data(), a.size());
      if (out.scores[e] > best) {
        best = out.scores[e];
        out.judged = static_cast<int>(e);
      }
    }
    return out;
  }

 private:
  LoadedModel& reader_;
  int64_t layer_;
  std::vector<std::vector<float>> centroids_;
};

double Perplexity(const std::vector<double>& log_probs) {
  if (log_probs.empty()) return std::nan("");
  double total = 0;
  for (double lp : log_probs) total += lp;
  return std::exp(-total / static_cast<double>(log_probs.size()));
}

TaskOutput RunSteer(TaskContext& ctx) {
  const auto start = Clock::now();
  const Params params(ctx.params, "steer");
  const std::string emotion = params.Require<std::string>("emotion");
  const auto emotions = params.Require<std::vector<std::string>>("emotions");
  const auto coefficients = params.Require<std::vector<double>>("coefficients");
  const std::string mode = params.Get<std::string>("mode", "relative");
  const std::string vector_method = params.Get<std::string>("vector_method", "generation");
  const std::string peak_metric = params.Get<std::string>("peak_metric", "probe_accuracy");
  const auto seeds = params.Get<std::vector<uint64_t>>("seeds", {0});
  const auto prompt_count = params.Get<int64_t>("prompts", 8);
  const double success_share = params.Get<double>("success_share", 0.5);
  const std::string dtype = params.Get<std::string>("dtype", "float32");
  const std::string device = params.Get<std::string>("device", "cpu");
  const json judge_spec = params.Raw("judge").is_object() ? params.Raw("judge") : json{{"kind", "probe"}};
  const std::string judge_kind = judge_spec.value("kind", "probe");
  RegimeThresholds thresholds;
  if (params.Raw("thresholds").is_object()) {
    const json& t = params.Raw("thresholds");
    thresholds.explosive_ppl_ratio = t.value("explosive_ppl_ratio", thresholds.explosive_ppl_ratio);
    thresholds.collapse_compression = t.value("collapse_compression", thresholds.collapse_compression);
    thresholds.collapse_seq_rep4 = t.value("collapse_seq_rep4", thresholds.collapse_seq_rep4);
    thresholds.collapse_distinct2 = t.value("collapse_distinct2", thresholds.collapse_distinct2);
  }
  if (mode != "relative" && mode != "absolute") throw TaskFailed("steer: parameter 'mode' must be relative or absolute", false);
  const auto target = std::find(emotions.begin(), emotions.end(), emotion) - emotions.begin();
  if (target == static_cast<std::ptrdiff_t>(emotions.size())) {
    throw TaskFailed("steer: the target emotion '" + emotion + "' is not in parameter 'emotions'", false);
  }
  if (coefficients.empty()) throw TaskFailed("steer: parameter 'coefficients' is empty", false);

  std::shared_ptr<LoadedModel> loaded = GetModel(ctx, dtype, device);
  CausalLm& model = *loaded->model;
  const int64_t layer = ResolveLayer(ctx, params.Raw("layer"), model.num_layers(), vector_method, peak_metric);
  const std::vector<float> unit = InputVector(ctx, "emotion_vectors", vector_method, layer, emotion);
  double scale = 1.0;
  if (mode == "relative") {
    const auto norms = MetricByLayer(ctx, vector_method, "neutral_norm");
    auto found = norms.find(layer);
    if (found == norms.end()) throw TaskFailed(fmt::format("steer: relative mode needs neutral_norm of layer {}", layer), false);
    scale = found->second;
  }

  // The judge.
  std::unique_ptr<ProbeJudge> probe;
  int64_t judge_layer = -1;
  std::string judge_method;
  if (judge_kind == "probe") {
    judge_method = judge_spec.value("method", vector_method);
    judge_layer = ResolveLayer(ctx, judge_spec.contains("layer") ? judge_spec.at("layer") : json("peak"),
                               model.num_layers(), judge_method, peak_metric);
    std::vector<std::vector<float>> centroids;
    for (const std::string& e : emotions) centroids.push_back(InputVector(ctx, "activation_means", judge_method, judge_layer, e));
    probe = std::make_unique<ProbeJudge>(*loaded, judge_layer, std::move(centroids));
  } else if (judge_kind != "lexicon") {
    throw TaskFailed("steer: judge kind '" + judge_kind + "' is not probe or lexicon", false);
  }
  auto judge = [&](const std::string& text) {
    return probe ? probe->Judge(text) : LexiconJudge(text, emotions);
  };

  std::vector<Stimulus> prompts = LoadStimuliFile(JoinPath(StimuliDir(params), "steering_prompts.jsonl"));
  if (static_cast<int64_t>(prompts.size()) > prompt_count) prompts.resize(static_cast<size_t>(prompt_count));
  const SamplingOptions sampling = SamplingFrom(params.Raw("generation").is_object() ? params.Raw("generation") : json::object(), model);

  // Every (prompt, seed) pair, generated once unsteered and once per coefficient.
  struct Case {
    const Stimulus* prompt;
    uint64_t seed;
    std::vector<int64_t> ids;
  };
  std::vector<Case> cases;
  for (const Stimulus& prompt : prompts) {
    std::vector<int64_t> ids;
    for (int32_t id : loaded->tokenizer->Encode(prompt.text)) ids.push_back(id);
    for (uint64_t seed : seeds) cases.push_back({&prompt, seed, ids});
  }
  GenerationRequest request;
  request.sampling = sampling;
  for (const Case& c : cases) {
    request.prompts.push_back(c.ids);
    request.seeds.push_back(c.seed);
  }
  std::lock_guard<std::mutex> lock(loaded->mutex);
  const GenerationResult baseline = Generate(model, request);
  const std::vector<std::vector<double>> baseline_log_probs = ContinuationLogProbs(model, request.prompts, baseline.tokens);

  TaskOutput out;
  json& rows = out.rows;
  rows["steering_generations"] = json::array();
  int64_t generation_index = 0;
  auto record = [&](double alpha, const std::vector<int64_t>& tokens, const Case& c, double ppl_ratio) {
    std::vector<int32_t> ids(tokens.begin(), tokens.end());
    const std::string text = loaded->tokenizer->Decode(ids, /*skip_special_tokens=*/true);
    const JudgeScores scores = judge(text);
    GenerationOutcome outcome;
    outcome.ppl_ratio = ppl_ratio;
    outcome.distinct2 = Distinct2(tokens);
    outcome.seq_rep4 = SeqRep4(tokens);
    outcome.compression_ratio = CompressionRatio(text);
    outcome.hit = scores.judged == static_cast<int>(target);
    const Regime regime = ClassifyRegime(outcome, thresholds);
    json score_map = json::object();
    for (size_t e = 0; e < emotions.size(); ++e) score_map[emotions[e]] = scores.scores[e];
    rows["steering_generations"].push_back(
        {{"generation_index", generation_index++}, {"layer", layer}, {"emotion", emotion}, {"alpha", alpha},
         {"mode", mode}, {"scale", scale}, {"prompt_id", c.prompt->id}, {"seed", static_cast<int64_t>(c.seed)},
         {"text", text}, {"tokens", static_cast<int64_t>(tokens.size())},
         {"judged_emotion", scores.judged >= 0 ? json(emotions[static_cast<size_t>(scores.judged)]) : json(nullptr)},
         {"judge_scores", score_map.dump()}, {"hit", outcome.hit},
         {"ppl_ratio", std::isfinite(ppl_ratio) ? json(ppl_ratio) : json(nullptr)}, {"distinct2", outcome.distinct2},
         {"seq_rep4", outcome.seq_rep4}, {"compression_ratio", outcome.compression_ratio},
         {"regime", RegimeName(regime)}, {"success", regime == Regime::kSurgical}});
    return regime == Regime::kSurgical;
  };
  std::vector<double> baseline_ppl;
  for (size_t i = 0; i < cases.size(); ++i) {
    baseline_ppl.push_back(Perplexity(baseline_log_probs[i]));
    record(0.0, baseline.tokens[i], cases[i], 1.0);
  }
  rows["steering_scenarios"] = json::array();
  for (double alpha : coefficients) {
    CheckCancel(ctx);
    GenerationRequest steered = request;
    SteeringVector vector;
    vector.layer = layer;
    vector.vector = at::tensor(unit, at::kFloat) * (alpha * scale);
    steered.steering = {vector};
    const GenerationResult result = Generate(model, steered);
    // Perplexity under the unsteered model, relative to the same prompt and seed unsteered.
    const std::vector<std::vector<double>> log_probs = ContinuationLogProbs(model, request.prompts, result.tokens);
    int64_t successes = 0;
    int64_t hits = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
      const double steered_ppl = Perplexity(log_probs[i]);
      // An empty continuation gives no evidence of degradation: its ratio is 1.
      const double ratio = std::isnan(steered_ppl) || std::isnan(baseline_ppl[i]) ? 1.0 : steered_ppl / baseline_ppl[i];
      const size_t before = rows["steering_generations"].size();
      successes += record(alpha, result.tokens[i], cases[i], ratio) ? 1 : 0;
      hits += rows["steering_generations"][before].at("hit").get<bool>() ? 1 : 0;
    }
    const auto total = static_cast<int64_t>(cases.size());
    rows["steering_scenarios"].push_back(
        {{"layer", layer}, {"emotion", emotion}, {"alpha", alpha}, {"mode", mode}, {"generations", total},
         {"successes", successes}, {"hit_rate", static_cast<double>(hits) / static_cast<double>(total)},
         {"success", static_cast<double>(successes) >= success_share * static_cast<double>(total)}});
  }
  const json settings = {{"layer", layer}, {"layer_spec", params.Raw("layer")}, {"emotion", emotion},
                         {"coefficients", coefficients}, {"mode", mode}, {"scale", scale},
                         {"vector_method", vector_method}, {"peak_metric", peak_metric},
                         {"judge", {{"kind", judge_kind}, {"method", judge_method}, {"layer", judge_layer}}},
                         {"thresholds", {{"explosive_ppl_ratio", thresholds.explosive_ppl_ratio},
                                         {"collapse_compression", thresholds.collapse_compression},
                                         {"collapse_seq_rep4", thresholds.collapse_seq_rep4},
                                         {"collapse_distinct2", thresholds.collapse_distinct2}}},
                         {"success_share", success_share}, {"prompts", prompts.size()}, {"seeds", seeds},
                         {"generation", {{"max_new_tokens", sampling.max_new_tokens},
                                         {"temperature", sampling.temperature}, {"top_p", sampling.top_p}}}};
  rows["task_runs"] = json::array({TaskRunRow(ctx, device, dtype, seeds.empty() ? 0 : seeds.front(), settings, start)});
  return out;
}

}  // namespace

void RegisterScienceKinds(TaskRegistry& registry) {
  registry.Register("extract", RunExtract);
  registry.Register("metrics", RunMetrics);
  registry.Register("steer", RunSteer);
}

}  // namespace emoscope
