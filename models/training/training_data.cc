#include "models/training/training_data.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/random.h"

namespace emoscope {
namespace {

constexpr int64_t kByteTokens = 256;

}  // namespace

CorpusSplit SplitCorpus(const std::vector<CorpusDocument>& documents, double validation_fraction) {
  if (validation_fraction < 0 || validation_fraction >= 1) {
    Fail("training: validation fraction {} is not in [0, 1)", validation_fraction);
  }
  const auto n = static_cast<int64_t>(documents.size());
  int64_t held = static_cast<int64_t>(std::ceil(validation_fraction * static_cast<double>(n)));
  if (validation_fraction > 0 && n >= 2) held = std::max<int64_t>(held, 1);
  held = std::min(held, n - 1 < 0 ? 0 : n - 1);
  CorpusSplit split;
  for (int64_t i = 0; i < n; ++i) {
    (i < n - held ? split.train : split.validation).push_back(documents[static_cast<size_t>(i)].text);
  }
  return split;
}

Tokenizer LearnTokenizer(const std::vector<std::string>& texts, int64_t vocab, int64_t max_documents,
                         const std::string& path) {
  if (vocab < kByteTokens + 2) Fail("training: --vocab {} must be at least {} (256 bytes, a merge, end-of-text)", vocab, kByteTokens + 2);
  const auto count = static_cast<size_t>(std::min<int64_t>(max_documents, static_cast<int64_t>(texts.size())));
  const std::vector<std::string> sample(texts.begin(), texts.begin() + static_cast<std::ptrdiff_t>(count));
  const auto merges = TrainByteLevelBpe(sample, static_cast<int>(vocab - kByteTokens - 1));
  WriteByteLevelBpeTokenizer(path, merges, {kEndOfText});
  return Tokenizer::FromFile(path);
}

at::Tensor TokenizeStream(const Tokenizer& tokenizer, const std::vector<std::string>& texts, int64_t end_of_text) {
  std::vector<int64_t> ids;
  for (const std::string& text : texts) {
    for (int32_t id : tokenizer.Encode(text, /*add_special_tokens=*/false)) ids.push_back(id);
    ids.push_back(end_of_text);
  }
  return at::tensor(ids, at::kLong);
}

at::Tensor SampleBatch(const at::Tensor& stream, int64_t batch, int64_t seq_len, uint64_t seed, int64_t step) {
  const int64_t window = seq_len + 1;
  const int64_t positions = stream.size(0) - window + 1;
  if (positions <= 0) {
    Fail("training: the training corpus has {} tokens, fewer than one window of --seq-len {} + 1; use more --documents",
         stream.size(0), seq_len);
  }
  // The batch depends on (seed, step) only: the step is the whole random state of the sampler.
  SplitMix64 random(Mix64(seed ^ Mix64(static_cast<uint64_t>(step) + 1)));
  std::vector<at::Tensor> rows;
  rows.reserve(static_cast<size_t>(batch));
  for (int64_t row = 0; row < batch; ++row) {
    const auto offset = static_cast<int64_t>(random.Below(static_cast<uint64_t>(positions)));
    rows.push_back(stream.narrow(0, offset, window));
  }
  return at::stack(rows);
}

at::Tensor EvaluationWindows(const at::Tensor& stream, int64_t seq_len, int64_t max_windows) {
  const int64_t window = seq_len + 1;
  const int64_t available = stream.size(0) >= window ? (stream.size(0) - 1) / seq_len : 0;
  const int64_t n = std::min(available, max_windows);
  if (n <= 0) {
    Fail("training: the validation corpus has {} tokens, fewer than one window of --seq-len {} + 1; use more --documents",
         stream.size(0), seq_len);
  }
  std::vector<at::Tensor> rows;
  for (int64_t i = 0; i < n; ++i) rows.push_back(stream.narrow(0, i * seq_len, window));
  return at::stack(rows);
}

double UnigramCrossEntropy(const at::Tensor& train_stream, const at::Tensor& targets, int64_t vocab) {
  const at::Tensor counts = at::bincount(train_stream, /*weights=*/{}, /*minlength=*/vocab).to(at::kDouble) + 1.0;
  const at::Tensor log_probs = counts.log() - std::log(counts.sum().item<double>());
  return -log_probs.index_select(0, targets.flatten()).mean().item<double>();
}

}  // namespace emoscope
