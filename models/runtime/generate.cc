#include "models/runtime/generate.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"
#include "common/random.h"

namespace emoscope {
namespace {

// [B, width] token ids and mask of first[i] followed by second[i] (when given), padded with 0 on
// the left or the right.
std::pair<at::Tensor, at::Tensor> PackBatch(const std::vector<std::vector<int64_t>>& first,
                                            const std::vector<std::vector<int64_t>>& second, int64_t width,
                                            bool left_pad) {
  const auto batch = static_cast<int64_t>(first.size());
  std::vector<int64_t> ids(static_cast<size_t>(batch * width), 0);
  std::vector<int64_t> mask(ids.size(), 0);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int64_t> row = first[static_cast<size_t>(b)];
    if (!second.empty())
      row.insert(row.end(), second[static_cast<size_t>(b)].begin(), second[static_cast<size_t>(b)].end());
    const int64_t offset = left_pad ? width - static_cast<int64_t>(row.size()) : 0;
    for (size_t t = 0; t < row.size(); ++t) {
      const auto at = static_cast<size_t>(b * width + offset + static_cast<int64_t>(t));
      ids[at] = row[t];
      mask[at] = 1;
    }
  }
  return {at::tensor(ids, at::kLong).view({batch, width}), at::tensor(mask, at::kLong).view({batch, width})};
}

}  // namespace

int64_t SampleToken(const float* logits, int64_t vocab, const SamplingOptions& options, double u) {
  if (options.temperature <= 0) {
    return std::max_element(logits, logits + vocab) - logits;  // first maximum: lowest id on ties
  }
  std::vector<int64_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  // Most likely first; ties by id so the order never depends on the sort's stability.
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return logits[a] != logits[b] ? logits[a] > logits[b] : a < b; });
  size_t keep = order.size();
  if (options.top_k > 0) keep = std::min(keep, static_cast<size_t>(options.top_k));
  const double top = static_cast<double>(logits[order[0]]) / options.temperature;
  std::vector<double> probs(keep);
  double total = 0;
  for (size_t i = 0; i < keep; ++i) {
    probs[i] = std::exp(static_cast<double>(logits[order[i]]) / options.temperature - top);
    total += probs[i];
  }
  if (options.top_p < 1.0) {
    double mass = 0;
    size_t nucleus = 0;
    while (nucleus < keep) {
      mass += probs[nucleus] / total;
      ++nucleus;
      if (mass >= options.top_p) break;
    }
    keep = nucleus;
    total = std::accumulate(probs.begin(), probs.begin() + static_cast<std::ptrdiff_t>(keep), 0.0);
  }
  double target = u * total;
  for (size_t i = 0; i < keep; ++i) {
    target -= probs[i];
    if (target < 0) return order[i];
  }
  return order[keep - 1];
}

GenerationResult Generate(CausalLm& model, const GenerationRequest& request) {
  const auto batch = static_cast<int64_t>(request.prompts.size());
  if (batch == 0) Fail("generate: no prompts");
  if (!request.seeds.empty() && static_cast<int64_t>(request.seeds.size()) != batch) {
    Fail("generate: {} seeds for {} prompts", request.seeds.size(), batch);
  }
  for (const SteeringVector& steer : request.steering) {
    if (steer.positions.defined())
      Fail("generate: steering applies to every position; positions must be unset");
  }
  int64_t longest = 0;
  for (const auto& prompt : request.prompts) {
    if (prompt.empty()) Fail("generate: a prompt has no tokens");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompt.size()));
  }
  // Left padding: every sequence's next token is predicted from the last column.
  auto [ids, mask] = PackBatch(request.prompts, {}, longest, /*left_pad=*/true);
  std::vector<SplitMix64> rngs;
  for (int64_t b = 0; b < batch; ++b) {
    rngs.emplace_back(request.seeds.empty() ? 0 : request.seeds[static_cast<size_t>(b)]);
  }
  GenerationResult result;
  result.tokens.resize(static_cast<size_t>(batch));
  result.stopped.assign(static_cast<size_t>(batch), false);
  const SamplingOptions& sampling = request.sampling;
  KvCache cache;
  ForwardRequest forward;
  forward.input_ids = ids;
  forward.attention_mask = mask;
  forward.logits = LogitsMode::kLast;
  forward.steering = request.steering;
  forward.cache = &cache;
  int64_t active = batch;
  for (int64_t step = 0; step < sampling.max_new_tokens && active > 0; ++step) {
    const at::Tensor logits = model.Forward(forward).logits.to(at::kCPU).contiguous();  // [B, V]
    const int64_t row = logits.size(1);
    const int64_t vocab = std::min(row, model.sampling_vocab());  // ids the tokenizer can decode
    std::vector<int64_t> next(static_cast<size_t>(batch), 0);
    std::vector<int64_t> next_mask(static_cast<size_t>(batch), 0);
    for (int64_t b = 0; b < batch; ++b) {
      const auto index = static_cast<size_t>(b);
      if (result.stopped[index]) continue;
      const double u = rngs[index].NextDouble();
      const int64_t token = SampleToken(logits.data_ptr<float>() + b * row, vocab, sampling, u);
      if (std::find(sampling.stop_tokens.begin(), sampling.stop_tokens.end(), token) !=
          sampling.stop_tokens.end()) {
        result.stopped[index] = true;
        --active;
        continue;
      }
      result.tokens[index].push_back(token);
      next[index] = token;
      next_mask[index] = 1;
    }
    forward.input_ids = at::tensor(next, at::kLong).view({batch, 1});
    forward.attention_mask =
        at::tensor(next_mask, at::kLong).view({batch, 1});  // finished: masked placeholder
  }
  return result;
}

std::vector<std::vector<double>> ContinuationLogProbs(CausalLm& model,
                                                      const std::vector<std::vector<int64_t>>& prompts,
                                                      const std::vector<std::vector<int64_t>>& continuations,
                                                      const std::vector<SteeringVector>& steering) {
  if (prompts.size() != continuations.size())
    Fail("log-probs: {} prompts for {} continuations", prompts.size(), continuations.size());
  const auto batch = static_cast<int64_t>(prompts.size());
  std::vector<std::vector<double>> out(prompts.size());
  if (batch == 0) return out;
  int64_t longest = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].empty()) Fail("log-probs: prompt {} has no tokens", i);
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompts[i].size() + continuations[i].size()));
  }
  auto [ids, mask] = PackBatch(prompts, continuations, longest, /*left_pad=*/false);
  ForwardRequest forward;
  forward.input_ids = ids;
  forward.attention_mask = mask;
  forward.steering = steering;
  const at::Tensor log_probs = at::log_softmax(model.Forward(forward).logits.to(at::kDouble), -1)
                                   .to(at::kCPU)
                                   .contiguous();  // [B, T, V]
  const int64_t vocab = log_probs.size(2);
  const double* data = log_probs.data_ptr<double>();
  for (int64_t b = 0; b < batch; ++b) {
    const auto& prompt = prompts[static_cast<size_t>(b)];
    const auto& continuation = continuations[static_cast<size_t>(b)];
    const auto start = static_cast<int64_t>(prompt.size());
    for (size_t i = 0; i < continuation.size(); ++i) {
      const int64_t t = start + static_cast<int64_t>(i);
      out[static_cast<size_t>(b)].push_back(data[(b * longest + t - 1) * vocab + continuation[i]]);
    }
  }
  return out;
}

}  // namespace emoscope
