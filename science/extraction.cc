#include "science/extraction.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"

namespace emoscope {
namespace {

// One sequence to read: its ids and the positions whose mean is taken.
struct ReadoutJob {
  size_t item = 0;
  std::vector<int64_t> ids;
  int64_t begin = 0;
  int64_t end = 0;
};

// Runs the jobs in length-sorted batches of at most tokens_per_batch padded tokens (right padding)
// and stores each job's mean activations in out[job.item].
void RunReadouts(CausalLm& model, std::vector<ReadoutJob> jobs, int64_t tokens_per_batch,
                 std::vector<SampleReadout>* out, const std::function<void(int64_t)>& progress,
                 int64_t* done) {
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const ReadoutJob& a, const ReadoutJob& b) { return a.ids.size() < b.ids.size(); });
  const int64_t points = model.num_layers() + 1;
  const int64_t hidden = model.hidden_size();
  size_t start = 0;
  while (start < jobs.size()) {
    // Grow the batch while the padded size (count x longest) fits; a single long job always runs.
    size_t stop = start + 1;
    while (stop < jobs.size() &&
           static_cast<int64_t>((stop - start + 1) * jobs[stop].ids.size()) <= tokens_per_batch) {
      ++stop;
    }
    const auto batch = static_cast<int64_t>(stop - start);
    const auto width = static_cast<int64_t>(jobs[stop - 1].ids.size());
    std::vector<int64_t> ids(static_cast<size_t>(batch * width), 0);
    std::vector<int64_t> mask(ids.size(), 0);
    std::vector<float> weights(ids.size(), 0.0f);
    for (int64_t b = 0; b < batch; ++b) {
      const ReadoutJob& job = jobs[start + static_cast<size_t>(b)];
      for (size_t t = 0; t < job.ids.size(); ++t) {
        ids[static_cast<size_t>(b * width) + t] = job.ids[t];
        mask[static_cast<size_t>(b * width) + t] = 1;
      }
      const float weight = 1.0f / static_cast<float>(job.end - job.begin);
      for (int64_t t = job.begin; t < job.end; ++t) weights[static_cast<size_t>(b * width + t)] = weight;
    }
    ForwardRequest request;
    request.input_ids = at::tensor(ids, at::kLong).view({batch, width});
    request.attention_mask = at::tensor(mask, at::kLong).view({batch, width});
    request.readout_weights = at::tensor(weights, at::kFloat).view({batch, width});
    request.readout_norms = true;
    request.logits = LogitsMode::kNone;
    const ForwardResult result = model.Forward(request);
    // [L+1, B, d] -> [B, L+1, d] on the CPU, one contiguous block per sample.
    const at::Tensor readout = result.readout.transpose(0, 1).contiguous().to(at::kCPU);
    const at::Tensor norms = result.norms.transpose(0, 1).contiguous().to(at::kCPU);  // [B, L+1]
    const float* data = readout.data_ptr<float>();
    const float* norm_data = norms.data_ptr<float>();
    for (int64_t b = 0; b < batch; ++b) {
      const ReadoutJob& job = jobs[start + static_cast<size_t>(b)];
      SampleReadout& sample = (*out)[job.item];
      sample.readout_tokens = job.end - job.begin;
      sample.activations.assign(data + b * points * hidden, data + (b + 1) * points * hidden);
      sample.norms.assign(norm_data + b * points, norm_data + (b + 1) * points);
    }
    *done += batch;
    if (progress) progress(*done);
    start = stop;
  }
}

}  // namespace

const char* ExtractionMethodName(ExtractionMethod method) {
  return method == ExtractionMethod::kComprehension ? "comprehension" : "generation";
}

ExtractionMethod ParseExtractionMethod(const std::string& name, const std::string& where) {
  if (name == "comprehension") return ExtractionMethod::kComprehension;
  if (name == "generation") return ExtractionMethod::kGeneration;
  Fail("{}: method '{}' is not 'comprehension' or 'generation'", where, name);
}

std::pair<int64_t, int64_t> SkipLeading(int64_t begin, int64_t end, double fraction) {
  const int64_t count = end - begin;
  if (count <= 0) return {begin, end};
  const auto skip =
      std::min<int64_t>(static_cast<int64_t>(std::floor(fraction * static_cast<double>(count))), count - 1);
  return {begin + skip, end};
}

EncodedText EncodeForReadout(const Tokenizer& tokenizer, const std::string& text, const std::string& context,
                             const std::string& id) {
  EncodedText encoded;
  if (!context.empty()) {
    // The text's tokens must close what is fed: the last occurrence, ending at the template's end
    // (at most the special tokens a template appends come after it).
    for (int32_t token : tokenizer.Encode(context + " " + text, /*add_special_tokens=*/true))
      encoded.ids.push_back(token);
    std::vector<int64_t> own;
    for (int32_t token : tokenizer.Encode(" " + text, /*add_special_tokens=*/false)) own.push_back(token);
    std::vector<int64_t> with_context;
    for (int32_t token : tokenizer.Encode(context + " " + text, /*add_special_tokens=*/false))
      with_context.push_back(token);
    const bool closes =
        !own.empty() && with_context.size() > own.size() &&
        std::equal(own.begin(), own.end(), with_context.end() - static_cast<std::ptrdiff_t>(own.size()));
    const auto found = closes ? std::find_end(encoded.ids.begin(), encoded.ids.end(), own.begin(), own.end())
                              : encoded.ids.end();
    if (found == encoded.ids.end()) {
      Fail(
          "extraction: stimulus '{}': the tokenizer merges its context and text across the space between "
          "them, so "
          "the text's own tokens cannot be read alone",
          id);
    }
    encoded.begin = found - encoded.ids.begin();
    encoded.end = encoded.begin + static_cast<int64_t>(own.size());
    return encoded;
  }
  for (int32_t token : tokenizer.Encode(text, /*add_special_tokens=*/true)) encoded.ids.push_back(token);
  std::vector<int64_t> plain;
  for (int32_t token : tokenizer.Encode(text, /*add_special_tokens=*/false)) plain.push_back(token);
  // The template (BOS, ...) wraps the text's own tokens: find them inside what is fed.
  const auto found = std::search(encoded.ids.begin(), encoded.ids.end(), plain.begin(), plain.end());
  if (!plain.empty() && found != encoded.ids.end()) {
    encoded.begin = found - encoded.ids.begin();
    encoded.end = encoded.begin + static_cast<int64_t>(plain.size());
  } else {
    encoded.begin = 0;
    encoded.end = static_cast<int64_t>(encoded.ids.size());
  }
  return encoded;
}

std::vector<SampleReadout> ExtractReadouts(CausalLm& model, const Tokenizer& tokenizer,
                                           const std::vector<ExtractionItem>& items,
                                           const ExtractionOptions& options,
                                           const std::function<void(int64_t done)>& progress) {
  if (!(options.skip_leading_fraction >= 0 && options.skip_leading_fraction < 1)) {
    Fail("extraction: skip_leading_fraction must be in [0, 1), got {}", options.skip_leading_fraction);
  }
  if (options.tokens_per_batch <= 0) Fail("extraction: tokens_per_batch must be positive");
  std::vector<SampleReadout> out(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    out[i].id = items[i].id;
    out[i].emotion = items[i].emotion;
    out[i].seed = items[i].seed;
  }
  std::vector<ReadoutJob> jobs;
  int64_t done = 0;
  if (options.method == ExtractionMethod::kComprehension) {
    for (size_t i = 0; i < items.size(); ++i) {
      EncodedText encoded = EncodeForReadout(tokenizer, items[i].text, items[i].context, items[i].id);
      if (encoded.end <= encoded.begin) Fail("extraction: stimulus '{}' has no tokens", items[i].id);
      const auto [begin, end] = SkipLeading(encoded.begin, encoded.end, options.skip_leading_fraction);
      jobs.push_back({i, std::move(encoded.ids), begin, end});
    }
    RunReadouts(model, std::move(jobs), options.tokens_per_batch, &out, progress, &done);
    return out;
  }

  // Generation: continue every prompt with its own seed, in batches, then read the continuations.
  const int64_t per_sequence = options.sampling.max_new_tokens + 64;
  const int64_t batch_size =
      std::max<int64_t>(1, options.tokens_per_batch / std::max<int64_t>(1, per_sequence));
  std::vector<std::vector<int64_t>> prompts(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    for (int32_t id : tokenizer.Encode(items[i].text)) prompts[i].push_back(id);
    if (prompts[i].empty()) Fail("extraction: prompt '{}' has no tokens", items[i].id);
  }
  for (size_t start = 0; start < items.size(); start += static_cast<size_t>(batch_size)) {
    const size_t stop = std::min(items.size(), start + static_cast<size_t>(batch_size));
    GenerationRequest request;
    request.sampling = options.sampling;
    for (size_t i = start; i < stop; ++i) {
      request.prompts.push_back(prompts[i]);
      request.seeds.push_back(items[i].seed);
    }
    const GenerationResult generated = Generate(model, request);
    for (size_t i = start; i < stop; ++i) {
      const std::vector<int64_t>& continuation = generated.tokens[i - start];
      std::vector<int32_t> text_ids(continuation.begin(), continuation.end());
      out[i].generated_text = tokenizer.Decode(text_ids, /*skip_special_tokens=*/true);
      if (continuation.empty()) continue;  // nothing generated: nothing to read
      ReadoutJob job;
      job.item = i;
      job.ids = prompts[i];
      job.ids.insert(job.ids.end(), continuation.begin(), continuation.end());
      std::tie(job.begin, job.end) =
          SkipLeading(static_cast<int64_t>(prompts[i].size()), static_cast<int64_t>(job.ids.size()),
                      options.skip_leading_fraction);
      jobs.push_back(std::move(job));
    }
  }
  RunReadouts(model, std::move(jobs), options.tokens_per_batch, &out, progress, &done);
  return out;
}

}  // namespace emoscope
