// calibrate: the largest steering coefficient whose steered continuations stay coherent (median
// ppl_ratio <= max_ppl_ratio on the calibration prompts), by bisection on a log scale
// (science/calibration.h), for one layer spec and one emotion or all of them; stores the window
// the steer tasks then sweep and the search trace (steering_calibrations).
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "common/file_util.h"
#include "jobs/task_params.h"
#include "science/calibration.h"
#include "science/steering_inputs.h"
#include "science/steering_outcome.h"
#include "science/steering_run.h"
#include "science/steering_stats.h"
#include "science/task_common.h"
#include "stimuli/stimuli.h"

namespace emoscope {
namespace {

using nlohmann::json;

// The median ppl_ratio over the cases at alpha; a steered continuation shorter than min_tokens
// counts as incoherent (+infinity), a case whose baseline stayed too short is left out.
std::optional<double> MedianRatio(CausalLm& model, const std::vector<SteeringCase>& cases,
                                  const SteeringTarget& target, double alpha, const SamplingOptions& sampling,
                                  int64_t min_tokens) {
  const std::vector<SteeredContinuation> steered =
      RunSteered(model, cases, target, alpha, sampling, min_tokens);
  std::vector<std::optional<double>> ratios;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (static_cast<int64_t>(cases[i].baseline.size()) < min_tokens) continue;
    const bool too_short = static_cast<int64_t>(steered[i].tokens.size()) < min_tokens;
    ratios.push_back(too_short ? std::numeric_limits<double>::infinity() : steered[i].ppl_ratio);
  }
  return MedianOfDefined(ratios);
}

json TraceJson(const CalibrationResult& result) {
  json trace = json::array();
  for (const CalibrationStep& step : result.trace) {
    const bool finite = step.median_ppl_ratio && std::isfinite(*step.median_ppl_ratio);
    trace.push_back({{"alpha", step.alpha},
                     {"median_ppl_ratio", finite ? json(*step.median_ppl_ratio) : json(nullptr)},
                     {"coherent", step.coherent}});
  }
  return trace;
}

}  // namespace

TaskOutput RunCalibrate(TaskContext& ctx) {
  const auto start = Clock::now();
  CalibrateParams params;
  try {
    params = CalibrateParamsFromJson(ctx.params);
  } catch (const Error& error) {
    throw TaskFailed(error.what(), false);
  }
  const SteeringCommon& steering = params.steering;
  std::vector<std::string> targets = {params.emotion};
  if (params.emotion.empty()) {
    targets = steering.emotions;
  } else if (std::find(steering.emotions.begin(), steering.emotions.end(), params.emotion) ==
             steering.emotions.end()) {
    throw TaskFailed("calibrate: the emotion '" + params.emotion + "' is not in parameter 'emotions'", false);
  }

  std::shared_ptr<LoadedModel> loaded = GetModel(ctx, steering.common.dtype, steering.common.device);
  CausalLm& model = *loaded->model;
  const std::vector<int64_t> layers = ResolveSteeringLayers(
      ctx, "calibrate", steering.layer, model.num_layers(), steering.vector_method, steering.peak_metric);
  std::vector<SteeringTarget> vectors;
  for (const std::string& emotion : targets)
    vectors.push_back(LoadTarget(ctx, "calibrate", steering, layers, emotion));

  // The last `prompts` of the file: apart from the steer tasks' first ones where the file allows.
  std::vector<Stimulus> prompts =
      LoadStimuliFile(JoinPath(StimuliDir(Params(ctx.params, "calibrate")), "steering_prompts.jsonl"));
  if (static_cast<int64_t>(prompts.size()) > params.prompts)
    prompts.erase(prompts.begin(), prompts.end() - params.prompts);
  const SamplingOptions sampling = SamplingFrom(ToJson(steering.generation), model);
  std::vector<SteeringCase> cases = MakeCases(*loaded->tokenizer, prompts, steering.seeds);
  const int64_t min_tokens = steering.thresholds.min_tokens;

  std::lock_guard<std::mutex> lock(loaded->mutex);
  RunBaselines(model, &cases, sampling, min_tokens, steering.max_resamples);
  CalibrationSearch search;
  search.low = params.search_low;
  search.high = params.search_high;
  search.resolution = params.resolution;
  search.max_ppl_ratio = params.max_ppl_ratio;
  search.span = params.span;
  int64_t steps = 0;
  // Every emotion must stay coherent: the worst (largest) of the emotions' medians.
  const CalibrationResult result = CalibrateAlpha(
      [&](double alpha) -> std::optional<double> {
        CheckCancel(ctx);
        if (ctx.progress) ctx.progress(std::min(0.95, static_cast<double>(++steps) / 12.0));
        std::optional<double> worst;
        for (const SteeringTarget& target : vectors) {
          const std::optional<double> median = MedianRatio(model, cases, target, alpha, sampling, min_tokens);
          if (!median) return std::nullopt;
          worst = std::max(worst.value_or(*median), *median);
        }
        return worst;
      },
      search);

  TaskOutput out;
  const json trace = TraceJson(result);
  out.rows["steering_calibrations"] = json::array(
      {{{"layer", layers.front()},
        {"layer_last", layers.back()},
        {"emotion", params.emotion},
        {"mode", steering.mode},
        {"estimator", steering.estimator},
        {"max_ppl_ratio", params.max_ppl_ratio},
        {"alpha_coherent", result.alpha_coherent ? json(*result.alpha_coherent) : json(nullptr)},
        {"alpha_incoherent", result.alpha_incoherent ? json(*result.alpha_incoherent) : json(nullptr)},
        {"window_low", result.window_low},
        {"window_high", result.window_high},
        {"points", params.points},
        {"prompts", static_cast<int64_t>(prompts.size())},
        {"trace", trace.dump()}}});
  int64_t resamples = 0;
  for (const SteeringCase& c : cases) resamples += c.resamples;
  json settings = ToJson(params);
  settings.update({{"layer_spec", steering.layer}, {"layers", layers}, {"baseline_resamples", resamples}});
  out.rows["task_runs"] = json::array({TaskRunRow(ctx, steering.common.device, steering.common.dtype,
                                                  steering.seeds.front(), settings, start)});
  return out;
}

}  // namespace emoscope
