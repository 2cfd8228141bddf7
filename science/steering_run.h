// The steps steering shares between the calibrate and steer tasks (docs/science.md): the cases
// (prompt x seed), their unsteered baselines with re-sampling of too-short ones, and the steered
// continuations of every case at one coefficient with their perplexity ratios. The caller holds
// the model's lock for the calls that run the model.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/runtime/generate.h"
#include "models/runtime/model.h"
#include "models/tokenizer/tokenizer.h"
#include "stimuli/stimuli.h"

namespace emoscope {

// What is added where: each layer with its own unit vector v_l and scale (n_l or 1).
struct SteeringTarget {
  std::vector<int64_t> layers;            // increasing
  std::vector<std::vector<float>> units;  // per layer, [hidden]
  std::vector<double> scales;             // per layer
  // h_l += alpha * scale_l * v_l at every listed layer.
  std::vector<SteeringVector> At(double alpha) const;
};

// One prompt continued with one seed: unsteered (the baseline) and at every coefficient.
struct SteeringCase {
  std::string prompt_id;
  std::vector<int64_t> prompt;             // token ids
  uint64_t seed = 0;                       // the seed used (after re-samples)
  int64_t resamples = 0;                   // times the baseline was too short and re-drawn
  std::vector<int64_t> baseline;           // the unsteered continuation
  std::vector<double> baseline_log_probs;  // per token, under the unsteered model
};

// Every (prompt, seed) pair, prompts outer.
std::vector<SteeringCase> MakeCases(const Tokenizer& tokenizer, const std::vector<Stimulus>& prompts,
                                    const std::vector<uint64_t>& seeds);

// The smallest seed above `seed` not in `used`.
uint64_t NextFreeSeed(uint64_t seed, const std::set<uint64_t>& used);

// Continuations of the given cases (each with its own prompt and seed), in order.
using GenerateCases =
    std::function<std::vector<std::vector<int64_t>>(const std::vector<const SteeringCase*>& cases)>;

// Fills every case's baseline. A baseline shorter than min_tokens is drawn again with the next
// seed no other case of the same prompt uses (NextFreeSeed), at most max_resamples times; one
// still short then stays (its ratios are undefined). Counts go into SteeringCase::resamples.
// Pure but for `generate`; log-probabilities are not filled.
void DrawBaselines(std::vector<SteeringCase>* cases, const GenerateCases& generate, int64_t min_tokens,
                   int64_t max_resamples);

// DrawBaselines with the model, then the baselines' log-probabilities.
void RunBaselines(CausalLm& model, std::vector<SteeringCase>* cases, const SamplingOptions& sampling,
                  int64_t min_tokens, int64_t max_resamples);

struct SteeredContinuation {
  std::vector<int64_t> tokens;
  std::optional<double> ppl_ratio;  // PerplexityRatio against the case's baseline
};

// Every case continued with the target added at alpha, same prompt and seed as its baseline.
std::vector<SteeredContinuation> RunSteered(CausalLm& model, const std::vector<SteeringCase>& cases,
                                            const SteeringTarget& target, double alpha,
                                            const SamplingOptions& sampling, int64_t min_tokens);

}  // namespace emoscope
