// Text generation with a KV cache, seeded sampling, steering; and the log-probabilities of given
// continuations (for perplexity).
#pragma once

#include <cstdint>
#include <vector>

#include "models/runtime/model.h"

namespace emoscope {

struct SamplingOptions {
  int64_t max_new_tokens = 64;
  double temperature = 0.0;          // 0: greedy (ties to the lowest token id)
  double top_p = 1.0;                // nucleus: the smallest set of most likely tokens with mass >= top_p
  int64_t top_k = 0;                 // 0: off
  std::vector<int64_t> stop_tokens;  // generation of a sequence ends at any of these
};

struct GenerationRequest {
  std::vector<std::vector<int64_t>> prompts;  // token ids; each non-empty
  // One seed per prompt (each sequence draws from its own stream, so a sequence's continuation
  // does not depend on what else is in the batch). Empty: all use seed 0.
  std::vector<uint64_t> seeds;
  SamplingOptions sampling;
  // Added at every position of prompt and continuation. `positions` must be undefined.
  std::vector<SteeringVector> steering;
};

struct GenerationResult {
  std::vector<std::vector<int64_t>> tokens;  // new tokens per prompt, the stop token excluded
  std::vector<bool> stopped;                 // ended on a stop token (rather than max_new_tokens)
};

// Prompts are left-padded into one batch; one forward pass per new token. Tokens are drawn from
// ids below model.sampling_vocab() only (the distribution renormalized over them; greedy takes
// their argmax), so every generated id decodes.
GenerationResult Generate(CausalLm& model, const GenerationRequest& request);

// Natural-log probability of each continuation token given everything before it, in one batched
// forward pass (right padding). prompts[i] must be non-empty. Steering as in Generate. Softmax over
// every embedding row, as Hugging Face's log-probabilities are.
std::vector<std::vector<double>> ContinuationLogProbs(CausalLm& model,
                                                      const std::vector<std::vector<int64_t>>& prompts,
                                                      const std::vector<std::vector<int64_t>>& continuations,
                                                      const std::vector<SteeringVector>& steering = {});

// Picks the next token from one row of logits with the sampling options and a uniform draw u in
// [0, 1): temperature, then top-k, then top-p, as Hugging Face's warpers order them.
int64_t SampleToken(const float* logits, int64_t vocab, const SamplingOptions& options, double u);

}  // namespace emoscope
