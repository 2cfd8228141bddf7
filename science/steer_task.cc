// steer: steered generations against unsteered baselines, judged and sorted into regimes.
#include <ATen/ATen.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "analysis/metrics.h"
#include "common/file_util.h"
#include "science/blob.h"
#include "science/extraction.h"
#include "models/runtime/classifier.h"
#include "science/lexicon.h"
#include "science/steering_outcome.h"
#include "science/task_common.h"
#include "stimuli/stimuli.h"

namespace emoscope {
namespace {

using nlohmann::json;

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

// The classifier judge: the label probabilities of the emotions of the set (matched by name,
// case-insensitively); the judged emotion is the most probable label overall, when it is one of them.
JudgeScores ClassifierJudge(SequenceClassifier& classifier, const std::string& text,
                            const std::vector<std::string>& emotions) {
  JudgeScores out;
  out.scores.assign(emotions.size(), 0.0);
  const std::vector<double> probs = classifier.Classify({text}).front();
  auto lower = [](std::string value) {
    for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return value;
  };
  const auto best = std::max_element(probs.begin(), probs.end()) - probs.begin();
  for (size_t label = 0; label < probs.size(); ++label) {
    const std::string name = lower(classifier.labels()[label]);
    for (size_t e = 0; e < emotions.size(); ++e) {
      if (lower(emotions[e]) != name) continue;
      out.scores[e] = probs[label];
      if (static_cast<std::ptrdiff_t>(label) == best) out.judged = static_cast<int>(e);
    }
  }
  return out;
}

double Perplexity(const std::vector<double>& log_probs) {
  if (log_probs.empty()) return std::nan("");
  double total = 0;
  for (double lp : log_probs) total += lp;
  return std::exp(-total / static_cast<double>(log_probs.size()));
}

}  // namespace

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
  std::unique_ptr<SequenceClassifier> classifier;
  int64_t judge_layer = -1;
  std::string judge_method;
  if (judge_kind == "probe") {
    judge_method = judge_spec.value("method", vector_method);
    judge_layer = ResolveLayer(ctx, judge_spec.contains("layer") ? judge_spec.at("layer") : json("peak"),
                               model.num_layers(), judge_method, peak_metric);
    std::vector<std::vector<float>> centroids;
    for (const std::string& e : emotions) centroids.push_back(InputVector(ctx, "activation_means", judge_method, judge_layer, e));
    probe = std::make_unique<ProbeJudge>(*loaded, judge_layer, std::move(centroids));
  } else if (judge_kind == "classifier") {
    const std::string path = judge_spec.value("path", "");
    if (path.empty()) throw TaskFailed("steer: the classifier judge needs judge.path (a classifier model folder)", false);
    classifier = SequenceClassifier::Load(path, device);
  } else if (judge_kind != "lexicon") {
    throw TaskFailed("steer: judge kind '" + judge_kind + "' is not probe, lexicon or classifier", false);
  }
  auto judge = [&](const std::string& text) {
    if (probe) return probe->Judge(text);
    if (classifier) return ClassifierJudge(*classifier, text, emotions);
    return LexiconJudge(text, emotions);
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
  for (size_t coefficient = 0; coefficient < coefficients.size(); ++coefficient) {
    const double alpha = coefficients[coefficient];
    CheckCancel(ctx);
    if (ctx.progress) ctx.progress(static_cast<double>(coefficient + 1) / static_cast<double>(coefficients.size() + 1));
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
                         {"judge", {{"kind", judge_kind}, {"method", judge_method}, {"layer", judge_layer},
                                    {"path", judge_spec.value("path", "")},
                                    {"labels", classifier ? json(classifier->labels()) : json(nullptr)}}},
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


}  // namespace emoscope
