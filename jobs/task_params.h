// The parameters of the science task kinds (extract, metrics, calibrate, steer), typed, with
// every default defined here once. The campaign expansion (jobs/science_spec.cc) fills these
// structs and writes them whole into the tasks' params (ToJson), so the values used are stored
// with every result; the tasks read them back (FromJson) and never restate a default. The analysis
// defaults (probe folds, permutations, peak metric, neutral share) come from analysis/peak_rule.h,
// their one home, which analyze and the views also read.
// FromJson throws Error naming the kind and the field ("steer: parameter 'alpha' ...").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/peak_rule.h"

namespace emoscope {

// Sampling for generation (extraction and steering).
struct GenerationParams {
  int64_t max_new_tokens = 64;
  double temperature = 0.7;
  double top_p = 0.9;
  int64_t top_k = 0;  // 0: off
};

// What every science task shares.
struct CommonParams {
  std::string stimuli_dir = "builtin";  // "builtin" or an absolute folder
  std::string dtype = "float32";
  std::string device = "cpu";
  int64_t batch_tokens = 2048;  // padded tokens per forward pass
  uint64_t seed = 0;
};

struct ExtractParams {
  CommonParams common;
  std::string method;  // comprehension, generation or neutral
  int64_t shard = 0;
  int64_t shards = 1;
  int64_t neutral_count = 100;         // neutral: passages read
  std::vector<std::string> emotions;   // not neutral
  int64_t per_emotion = 40;            // comprehension passages / generation prompts per emotion
  int64_t generations_per_prompt = 1;  // generation
  double skip_leading_fraction = 0.0;
  GenerationParams generation;  // generation
};

// The campaign's default of per_emotion for method generation (prompts per emotion).
constexpr int64_t kDefaultPromptsPerEmotion = 10;

// Vector estimators (science/vector_estimators.h, docs/science.md): the names a campaign and the
// emotion_vectors.estimator column use, and the default (today's emotion vectors).
const std::vector<std::string>& VectorEstimatorNames();  // mean_difference, pca_diff, logistic
inline const char* const kDefaultEstimator = "mean_difference";
// The canonical name of an estimator a campaign names ("pca" is pca_diff); "" when unknown.
std::string CanonicalEstimator(const std::string& name);

struct MetricsParams {
  uint64_t seed = 0;
  std::string method;
  int64_t layer = 0;
  std::vector<std::string> emotions;
  double neutral_pc_share = analysis::defaults::kNeutralPcShare;
  int64_t probe_folds = analysis::defaults::kProbeFolds;
  int64_t permutations = analysis::defaults::kPermutations;   // label permutations of the separation null
  std::string peak_metric = analysis::defaults::kPeakMetric;  // recorded with the metrics
  std::vector<std::string> estimators = {kDefaultEstimator};  // vectors stored per estimator
};

// A steering layer or layer range as the campaign names it (docs/science.md):
//   "peak" | integer layer | relative depth in (0, 1] (a JSON float) | "all" | {"from": x, "to": y}
// with from/to each an integer layer or a relative depth. Resolved by the steer task.
using LayerSpec = nlohmann::json;

struct RegimeParams {
  int64_t min_tokens = 4;  // continuation shorter: empty; ppl_ratio undefined
  double explosive_ppl_ratio = 4.0;
  double collapse_compression = 2.4;
  double collapse_seq_rep4 = 0.5;
  double collapse_distinct2 = 0.3;
};

struct JudgeParams {
  std::string kind = "probe";  // probe | lexicon | classifier
  std::string method;          // probe: whose class means (default: the vector method)
  std::string path;            // classifier: the model folder
};

// What steering shares between calibrate and steer.
struct SteeringCommon {
  CommonParams common;
  LayerSpec layer = "peak";
  std::vector<std::string> emotions;  // the set (the judge scores all of them)
  std::string mode = "relative";      // relative: scale = n_l; absolute: scale = 1
  std::string vector_method = "generation";
  std::string estimator = kDefaultEstimator;  // whose vectors steer
  std::string peak_metric = analysis::defaults::kPeakMetric;
  std::vector<uint64_t> seeds = {0, 1};
  int64_t max_resamples = 8;  // re-samples of a too-short baseline (next seed) at most
  GenerationParams generation = {48, 0.7, 0.9, 0};
  RegimeParams thresholds;
};

// The default sweep (relative mode): log-spaced, sub-unit (docs/science.md).
std::vector<double> DefaultCoefficients();

// `coefficients: auto`: the calibrate task's search.
struct CalibrateParams {
  SteeringCommon steering;
  std::string emotion;         // "": every emotion of the set must stay coherent
  double max_ppl_ratio = 4.0;  // coherent: median ppl_ratio <= this
  int64_t prompts = 4;         // calibration prompts (the last ones of the file)
  double search_low = 0.01;    // the search range of alpha (log scale)
  double search_high = 16.0;
  double resolution = 1.1;  // stop when high / low <= this
  int64_t points = 5;       // sweep points the steer tasks get
  double span = 20.0;       // the window: [alpha_coherent / span, alpha_coherent]
};

struct SteerParams {
  SteeringCommon steering;
  std::string emotion;                                       // target
  std::vector<double> coefficients = DefaultCoefficients();  // ignored when calibrated
  bool calibrated = false;     // coefficients from the calibrate task among the inputs
  int64_t prompts = 8;         // neutral steering prompts (the first ones of the file)
  double success_share = 0.5;  // a scenario succeeds when this share of generations do
  JudgeParams judge;
};

nlohmann::json ToJson(const GenerationParams& params);
nlohmann::json ToJson(const ExtractParams& params);
nlohmann::json ToJson(const MetricsParams& params);
nlohmann::json ToJson(const CalibrateParams& params);
nlohmann::json ToJson(const SteerParams& params);
ExtractParams ExtractParamsFromJson(const nlohmann::json& params);
MetricsParams MetricsParamsFromJson(const nlohmann::json& params);
CalibrateParams CalibrateParamsFromJson(const nlohmann::json& params);
SteerParams SteerParamsFromJson(const nlohmann::json& params);

}  // namespace emoscope
