#include "science/steering_run.h"

#include <map>

#include "common/error.h"
#include "science/steering_outcome.h"

namespace emoscope {
namespace {

GenerationRequest RequestFor(const std::vector<const SteeringCase*>& cases, const SamplingOptions& sampling) {
  GenerationRequest request;
  request.sampling = sampling;
  for (const SteeringCase* c : cases) {
    request.prompts.push_back(c->prompt);
    request.seeds.push_back(c->seed);
  }
  return request;
}

std::vector<const SteeringCase*> Pointers(const std::vector<SteeringCase>& cases) {
  std::vector<const SteeringCase*> out;
  for (const SteeringCase& c : cases) out.push_back(&c);
  return out;
}

}  // namespace

std::vector<SteeringVector> SteeringTarget::At(double alpha) const {
  std::vector<SteeringVector> out;
  for (size_t i = 0; i < layers.size(); ++i) {
    SteeringVector vector;
    vector.layer = layers[i];
    vector.vector = at::tensor(units[i], at::kFloat) * (alpha * scales[i]);
    out.push_back(std::move(vector));
  }
  return out;
}

std::vector<SteeringCase> MakeCases(const Tokenizer& tokenizer, const std::vector<Stimulus>& prompts,
                                    const std::vector<uint64_t>& seeds) {
  std::vector<SteeringCase> cases;
  for (const Stimulus& prompt : prompts) {
    std::vector<int64_t> ids;
    for (int32_t id : tokenizer.Encode(prompt.text)) ids.push_back(id);
    if (ids.empty()) Fail("steering prompt '{}' encodes to no tokens", prompt.id);
    for (uint64_t seed : seeds) {
      SteeringCase c;
      c.prompt_id = prompt.id;
      c.prompt = ids;
      c.seed = seed;
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

uint64_t NextFreeSeed(uint64_t seed, const std::set<uint64_t>& used) {
  uint64_t next = seed + 1;
  while (used.count(next)) ++next;
  return next;
}

void DrawBaselines(std::vector<SteeringCase>* cases, const GenerateCases& generate, int64_t min_tokens,
                   int64_t max_resamples) {
  std::map<std::string, std::set<uint64_t>> used;  // per prompt: every seed drawn or listed
  for (const SteeringCase& c : *cases) used[c.prompt_id].insert(c.seed);
  std::vector<SteeringCase*> pending;
  for (SteeringCase& c : *cases) pending.push_back(&c);
  for (int64_t round = 0; !pending.empty(); ++round) {
    const std::vector<const SteeringCase*> asked(pending.begin(), pending.end());
    const std::vector<std::vector<int64_t>> drawn = generate(asked);
    if (drawn.size() != pending.size())
      Fail("steering: {} continuations for {} cases", drawn.size(), pending.size());
    std::vector<SteeringCase*> still_short;
    for (size_t i = 0; i < pending.size(); ++i) {
      pending[i]->baseline = drawn[i];
      if (static_cast<int64_t>(drawn[i].size()) < min_tokens && round < max_resamples)
        still_short.push_back(pending[i]);
    }
    for (SteeringCase* c : still_short) {
      c->seed = NextFreeSeed(c->seed, used[c->prompt_id]);
      used[c->prompt_id].insert(c->seed);
      ++c->resamples;
    }
    pending = still_short;
  }
}

void RunBaselines(CausalLm& model, std::vector<SteeringCase>* cases, const SamplingOptions& sampling,
                  int64_t min_tokens, int64_t max_resamples) {
  DrawBaselines(
      cases,
      [&](const std::vector<const SteeringCase*>& asked) {
        return Generate(model, RequestFor(asked, sampling)).tokens;
      },
      min_tokens, max_resamples);
  std::vector<std::vector<int64_t>> prompts;
  std::vector<std::vector<int64_t>> continuations;
  for (const SteeringCase& c : *cases) {
    prompts.push_back(c.prompt);
    continuations.push_back(c.baseline);
  }
  const std::vector<std::vector<double>> log_probs = ContinuationLogProbs(model, prompts, continuations);
  for (size_t i = 0; i < cases->size(); ++i) (*cases)[i].baseline_log_probs = log_probs[i];
}

std::vector<SteeredContinuation> RunSteered(CausalLm& model, const std::vector<SteeringCase>& cases,
                                            const SteeringTarget& target, double alpha,
                                            const SamplingOptions& sampling, int64_t min_tokens) {
  GenerationRequest request = RequestFor(Pointers(cases), sampling);
  request.steering = target.At(alpha);
  const GenerationResult result = Generate(model, request);
  // Perplexity under the unsteered model, relative to the same prompt and seed unsteered.
  const std::vector<std::vector<double>> log_probs =
      ContinuationLogProbs(model, request.prompts, result.tokens);
  std::vector<SteeredContinuation> out;
  for (size_t i = 0; i < cases.size(); ++i) {
    out.push_back({result.tokens[i], PerplexityRatio(log_probs[i], cases[i].baseline_log_probs, min_tokens)});
  }
  return out;
}

}  // namespace emoscope
