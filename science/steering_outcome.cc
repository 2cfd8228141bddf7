#include "science/steering_outcome.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "common/error.h"

namespace emoscope {
namespace {

double UniqueShare(const std::vector<int64_t>& tokens, size_t n) {
  const size_t grams = tokens.size() - n + 1;
  std::set<std::vector<int64_t>> unique;
  for (size_t i = 0; i < grams; ++i)
    unique.emplace(tokens.begin() + static_cast<std::ptrdiff_t>(i),
                   tokens.begin() + static_cast<std::ptrdiff_t>(i + n));
  return static_cast<double>(unique.size()) / static_cast<double>(grams);
}

}  // namespace

double Distinct2(const std::vector<int64_t>& tokens) {
  return tokens.size() < 2 ? 1.0 : UniqueShare(tokens, 2);
}

double SeqRep4(const std::vector<int64_t>& tokens) {
  return tokens.size() < 4 ? 0.0 : 1.0 - UniqueShare(tokens, 4);
}

double CompressionRatio(const std::string& text) {
  if (text.empty()) return 0.0;
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> buffer(size);
  const int status = compress2(buffer.data(), &size, reinterpret_cast<const Bytef*>(text.data()),
                               static_cast<uLong>(text.size()), Z_DEFAULT_COMPRESSION);
  if (status != Z_OK) Fail("zlib compress2 failed with status {}", status);
  return static_cast<double>(text.size()) / static_cast<double>(size);
}

double Perplexity(const std::vector<double>& log_probs) {
  if (log_probs.empty()) return std::nan("");
  double total = 0;
  for (double lp : log_probs) total += lp;
  return std::exp(-total / static_cast<double>(log_probs.size()));
}

std::optional<double> PerplexityRatio(const std::vector<double>& steered_log_probs,
                                      const std::vector<double>& baseline_log_probs, int64_t min_tokens) {
  const auto shortest = static_cast<int64_t>(std::min(steered_log_probs.size(), baseline_log_probs.size()));
  if (shortest < std::max<int64_t>(min_tokens, 1)) return std::nullopt;
  return Perplexity(steered_log_probs) / Perplexity(baseline_log_probs);
}

const char* RegimeName(Regime regime) {
  switch (regime) {
    case Regime::kSurgical:
      return "surgical";
    case Regime::kRepetitiveCollapse:
      return "repetitive_collapse";
    case Regime::kExplosive:
      return "explosive";
    case Regime::kIneffective:
      return "ineffective";
    case Regime::kEmpty:
      return "empty";
  }
  return "?";
}

Regime ClassifyRegime(const GenerationOutcome& o, const RegimeThresholds& t) {
  if (o.tokens < t.min_tokens) return Regime::kEmpty;
  if (o.ppl_ratio && (std::isnan(*o.ppl_ratio) || *o.ppl_ratio > t.explosive_ppl_ratio))
    return Regime::kExplosive;
  if (o.compression_ratio > t.collapse_compression || o.seq_rep4 > t.collapse_seq_rep4 ||
      o.distinct2 < t.collapse_distinct2) {
    return Regime::kRepetitiveCollapse;
  }
  return o.hit ? Regime::kSurgical : Regime::kIneffective;
}

}  // namespace emoscope
