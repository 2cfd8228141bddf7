// steer: steered generations against unsteered baselines, judged and sorted into regimes. The
// steps: read the typed params; resolve the layers and load each layer's vector; build the judge;
// draw the baselines (re-sampling too-short ones); per coefficient, steer every case, judge and
// classify each generation, and summarize the scenario; write the provenance row.
#include <ATen/ATen.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <optional>

#include "analysis/metrics.h"
#include "common/error.h"
#include "common/file_util.h"
#include "jobs/task_params.h"
#include "models/runtime/classifier.h"
#include "science/calibration.h"
#include "science/extraction.h"
#include "science/lexicon.h"
#include "science/steering_inputs.h"
#include "science/steering_outcome.h"
#include "science/steering_run.h"
#include "science/steering_stats.h"
#include "science/task_common.h"
#include "stimuli/stimuli.h"

namespace emoscope {
namespace {

using nlohmann::json;

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
    const auto samples =
        ExtractReadouts(*reader_.model, *reader_.tokenizer, {{"judge", "", text, 0, ""}}, options);
    const SampleReadout& sample = samples.front();
    if (sample.readout_tokens == 0) return out;
    const int64_t hidden = reader_.model->hidden_size();
    std::vector<double> a(sample.activations.begin() + layer_ * hidden,
                          sample.activations.begin() + (layer_ + 1) * hidden);
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

// The judge the params name, with what it resolved (its layer, the classifier's labels).
struct Judge {
  std::unique_ptr<ProbeJudge> probe;
  std::unique_ptr<SequenceClassifier> classifier;
  int64_t layer = -1;
  std::function<JudgeScores(const std::string&)> score;
};

Judge MakeJudge(const TaskContext& ctx, const SteerParams& params, LoadedModel& loaded) {
  const std::vector<std::string>& emotions = params.steering.emotions;
  Judge judge;
  if (params.judge.kind == "probe") {
    judge.layer = ResolveSteeringLayers(ctx, "steer", json("peak"), loaded.model->num_layers(),
                                        params.judge.method, params.steering.peak_metric)
                      .front();
    std::vector<std::vector<float>> centroids;
    for (const std::string& e : emotions) {
      centroids.push_back(InputVector(ctx, "steer", "activation_means", params.judge.method, judge.layer, e));
    }
    judge.probe = std::make_unique<ProbeJudge>(loaded, judge.layer, std::move(centroids));
    judge.score = [probe = judge.probe.get()](const std::string& text) { return probe->Judge(text); };
  } else if (params.judge.kind == "classifier") {
    judge.classifier = SequenceClassifier::Load(params.judge.path, params.steering.common.device);
    judge.score = [classifier = judge.classifier.get(), &emotions](const std::string& text) {
      return ClassifierJudge(*classifier, text, emotions);
    };
  } else {
    judge.score = [&emotions](const std::string& text) { return LexiconJudge(text, emotions); };
  }
  return judge;
}

// The sweep: the params' coefficients, or log-spaced points in the calibrated window (the
// steering_calibrations row among the inputs, of this emotion or of all emotions).
std::vector<double> SweepCoefficients(const TaskContext& ctx, const SteerParams& params) {
  if (!params.calibrated) return params.coefficients;
  for (const json& row : InputRows(ctx, "steering_calibrations")) {
    if (row.at("emotion") != params.emotion && row.at("emotion") != "") continue;
    return LogSpaced(row.at("window_low").get<double>(), row.at("window_high").get<double>(),
                     row.at("points").get<int64_t>());
  }
  throw TaskFailed("steer: coefficients are 'auto' but no steering_calibrations row is among the inputs",
                   false);
}

// Judges, measures and classifies generations, and collects the rows of a scenario.
class Recorder {
 public:
  Recorder(const SteerParams& params, const Tokenizer& tokenizer, const Judge& judge,
           const SteeringTarget& target, int64_t target_index, json* rows)
      : params_(params),
        tokenizer_(tokenizer),
        judge_(judge),
        target_(target),
        target_index_(target_index),
        rows_(*rows) {
    thresholds_.min_tokens = params.steering.thresholds.min_tokens;
    thresholds_.explosive_ppl_ratio = params.steering.thresholds.explosive_ppl_ratio;
    thresholds_.collapse_compression = params.steering.thresholds.collapse_compression;
    thresholds_.collapse_seq_rep4 = params.steering.thresholds.collapse_seq_rep4;
    thresholds_.collapse_distinct2 = params.steering.thresholds.collapse_distinct2;
    rows_["steering_generations"] = json::array();
    rows_["steering_scenarios"] = json::array();
  }

  struct Scenario {
    int64_t generations = 0;
    int64_t hits = 0;
    int64_t successes = 0;
    int64_t empty = 0;
    std::vector<std::optional<double>> ppl_ratios;
  };

  // One generation's row; adds it to the scenario's counts.
  void Record(double alpha, const SteeringCase& c, const std::vector<int64_t>& tokens,
              const std::optional<double>& ppl_ratio, Scenario* scenario) {
    const std::vector<int32_t> ids(tokens.begin(), tokens.end());
    const std::string text = tokenizer_.Decode(ids, /*skip_special_tokens=*/true);
    const JudgeScores scores = judge_.score(text);
    GenerationOutcome outcome;
    outcome.tokens = static_cast<int64_t>(tokens.size());
    outcome.ppl_ratio = ppl_ratio;
    outcome.distinct2 = Distinct2(tokens);
    outcome.seq_rep4 = SeqRep4(tokens);
    outcome.compression_ratio = CompressionRatio(text);
    outcome.hit = scores.judged == target_index_;
    const Regime regime = ClassifyRegime(outcome, thresholds_);
    json score_map = json::object();
    const std::vector<std::string>& emotions = params_.steering.emotions;
    for (size_t e = 0; e < emotions.size(); ++e) score_map[emotions[e]] = scores.scores[e];
    rows_["steering_generations"].push_back(
        {{"generation_index", generation_index_++},
         {"layer", target_.layers.front()},
         {"layer_last", target_.layers.back()},
         {"emotion", params_.emotion},
         {"alpha", alpha},
         {"mode", params_.steering.mode},
         {"estimator", params_.steering.estimator},
         {"scale", target_.scales.front()},
         {"prompt_id", c.prompt_id},
         {"seed", static_cast<int64_t>(c.seed)},
         {"baseline_resamples", c.resamples},
         {"text", text},
         {"tokens", outcome.tokens},
         {"judged_emotion",
          scores.judged >= 0 ? json(emotions[static_cast<size_t>(scores.judged)]) : json(nullptr)},
         {"judge_scores", score_map.dump()},
         {"hit", outcome.hit},
         {"ppl_ratio", ppl_ratio && std::isfinite(*ppl_ratio) ? json(*ppl_ratio) : json(nullptr)},
         {"distinct2", outcome.distinct2},
         {"seq_rep4", outcome.seq_rep4},
         {"compression_ratio", outcome.compression_ratio},
         {"regime", RegimeName(regime)},
         {"success", regime == Regime::kSurgical}});
    ++scenario->generations;
    scenario->hits += outcome.hit ? 1 : 0;
    scenario->successes += regime == Regime::kSurgical ? 1 : 0;
    scenario->empty += regime == Regime::kEmpty ? 1 : 0;
    scenario->ppl_ratios.push_back(ppl_ratio);
  }

  // The scenario row of one coefficient, against the baseline's counts.
  void Summarize(double alpha, const Scenario& s, const Scenario& baseline) {
    const ProportionInterval interval = ClopperPearson(s.successes, s.generations);
    const std::optional<double> median = MedianOfDefined(s.ppl_ratios);
    rows_["steering_scenarios"].push_back(
        {{"layer", target_.layers.front()},
         {"layer_last", target_.layers.back()},
         {"emotion", params_.emotion},
         {"alpha", alpha},
         {"mode", params_.steering.mode},
         {"estimator", params_.steering.estimator},
         {"generations", s.generations},
         {"successes", s.successes},
         {"success_low", interval.low},
         {"success_high", interval.high},
         {"empty", s.empty},
         {"hit_rate", Share(s.hits, s.generations)},
         {"baseline_hit_rate", Share(baseline.hits, baseline.generations)},
         {"hit_p_value", FisherExactGreater(s.hits, s.generations, baseline.hits, baseline.generations)},
         {"median_ppl_ratio", median ? json(*median) : json(nullptr)},
         {"success",
          static_cast<double>(s.successes) >= params_.success_share * static_cast<double>(s.generations)}});
  }

  const RegimeThresholds& thresholds() const { return thresholds_; }

 private:
  static double Share(int64_t part, int64_t whole) {
    return static_cast<double>(part) / static_cast<double>(whole);
  }

  const SteerParams& params_;
  const Tokenizer& tokenizer_;
  const Judge& judge_;
  const SteeringTarget& target_;
  const int64_t target_index_;
  json& rows_;
  RegimeThresholds thresholds_;
  int64_t generation_index_ = 0;
};

json Settings(const SteerParams& params, const std::vector<int64_t>& layers, const SteeringTarget& target,
              const std::vector<double>& coefficients, const Judge& judge, size_t prompts,
              const std::vector<SteeringCase>& cases) {
  int64_t resamples = 0;
  for (const SteeringCase& c : cases) resamples += c.resamples;
  json settings = ToJson(params);
  settings.update({{"layer_spec", params.steering.layer},
                   {"layers", layers},
                   {"scales", target.scales},
                   {"coefficients", coefficients},
                   {"prompts", prompts},
                   {"baseline_resamples", resamples}});
  settings["judge"]["layer"] = judge.layer;
  settings["judge"]["labels"] = judge.classifier ? json(judge.classifier->labels()) : json(nullptr);
  return settings;
}

}  // namespace

TaskOutput RunSteer(TaskContext& ctx) {
  const auto start = Clock::now();
  SteerParams params;
  try {
    params = SteerParamsFromJson(ctx.params);
  } catch (const Error& error) {
    throw TaskFailed(error.what(), false);
  }
  const SteeringCommon& steering = params.steering;
  const std::vector<std::string>& emotions = steering.emotions;
  const auto target_index = std::find(emotions.begin(), emotions.end(), params.emotion) - emotions.begin();
  if (target_index == static_cast<std::ptrdiff_t>(emotions.size())) {
    throw TaskFailed("steer: the target emotion '" + params.emotion + "' is not in parameter 'emotions'",
                     false);
  }

  std::shared_ptr<LoadedModel> loaded = GetModel(ctx, steering.common.dtype, steering.common.device);
  CausalLm& model = *loaded->model;
  const std::vector<int64_t> layers = ResolveSteeringLayers(ctx, "steer", steering.layer, model.num_layers(),
                                                            steering.vector_method, steering.peak_metric);
  const SteeringTarget target = LoadTarget(ctx, "steer", steering, layers, params.emotion);
  const std::vector<double> coefficients = SweepCoefficients(ctx, params);
  const Judge judge = MakeJudge(ctx, params, *loaded);

  std::vector<Stimulus> prompts =
      LoadStimuliFile(JoinPath(StimuliDir(Params(ctx.params, "steer")), "steering_prompts.jsonl"));
  if (static_cast<int64_t>(prompts.size()) > params.prompts)
    prompts.resize(static_cast<size_t>(params.prompts));
  const SamplingOptions sampling = SamplingFrom(ToJson(steering.generation), model);
  std::vector<SteeringCase> cases = MakeCases(*loaded->tokenizer, prompts, steering.seeds);

  std::lock_guard<std::mutex> lock(loaded->mutex);
  const int64_t min_tokens = steering.thresholds.min_tokens;
  RunBaselines(model, &cases, sampling, min_tokens, steering.max_resamples);

  TaskOutput out;
  Recorder recorder(params, *loaded->tokenizer, judge, target, target_index, &out.rows);
  Recorder::Scenario baseline;
  for (const SteeringCase& c : cases) {
    recorder.Record(0.0, c, c.baseline,
                    PerplexityRatio(c.baseline_log_probs, c.baseline_log_probs, min_tokens), &baseline);
  }
  for (size_t k = 0; k < coefficients.size(); ++k) {
    CheckCancel(ctx);
    if (ctx.progress) ctx.progress(static_cast<double>(k + 1) / static_cast<double>(coefficients.size() + 1));
    const std::vector<SteeredContinuation> steered =
        RunSteered(model, cases, target, coefficients[k], sampling, min_tokens);
    Recorder::Scenario scenario;
    for (size_t i = 0; i < cases.size(); ++i)
      recorder.Record(coefficients[k], cases[i], steered[i].tokens, steered[i].ppl_ratio, &scenario);
    recorder.Summarize(coefficients[k], scenario, baseline);
  }
  const json settings = Settings(params, layers, target, coefficients, judge, prompts.size(), cases);
  out.rows["task_runs"] = json::array({TaskRunRow(ctx, steering.common.device, steering.common.dtype,
                                                  steering.seeds.front(), settings, start)});
  return out;
}

}  // namespace emoscope
