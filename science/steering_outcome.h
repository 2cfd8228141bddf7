// How one steered generation turned out (docs/science.md): repetition measures of the
// continuation, its perplexity ratio against the same prompt and seed unsteered, and the regime
// rule that sorts generations into empty, explosive, repetitive collapse, surgical and ineffective.
// Pure functions; no model, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emoscope {

// Unique bigrams / bigrams of the continuation's token ids; 1 when it has fewer than 2 tokens.
double Distinct2(const std::vector<int64_t>& tokens);
// 1 - unique 4-grams / 4-grams; 0 when it has fewer than 4 tokens.
double SeqRep4(const std::vector<int64_t>& tokens);
// Bytes of the text / bytes of its zlib compression (default level, as Python's zlib.compress);
// 0 for an empty text. Over bytes, so scripts written without spaces are measured too.
double CompressionRatio(const std::string& text);

// exp(-mean log-probability); NaN for no tokens.
double Perplexity(const std::vector<double>& log_probs);

// Perplexity of the steered continuation / perplexity of the baseline continuation, both under the
// unsteered model; nullopt (stored as NULL) when either has fewer than min_tokens tokens: a ratio
// of near-empty texts says nothing about coherence, and is never 1 by convention.
std::optional<double> PerplexityRatio(const std::vector<double>& steered_log_probs,
                                      const std::vector<double>& baseline_log_probs, int64_t min_tokens);

enum class Regime { kSurgical, kRepetitiveCollapse, kExplosive, kIneffective, kEmpty };
const char* RegimeName(Regime regime);

// Thresholds of the regime rule; their values are stored with every result they produced.
struct RegimeThresholds {
  int64_t min_tokens = 4;             // continuation shorter: empty (and no ppl_ratio)
  double explosive_ppl_ratio = 4.0;   // ppl_ratio above: explosive
  double collapse_compression = 2.4;  // compression ratio above: repetitive collapse
  double collapse_seq_rep4 = 0.5;     // seq-rep-4 above: repetitive collapse
  double collapse_distinct2 = 0.3;    // distinct-2 below: repetitive collapse
};

struct GenerationOutcome {
  int64_t tokens = 0;               // continuation length in tokens
  std::optional<double> ppl_ratio;  // nullopt: undefined (see PerplexityRatio)
  double distinct2 = 1.0;
  double seq_rep4 = 0.0;
  double compression_ratio = 0.0;
  bool hit = false;  // the judge's emotion is the target
};

// empty if tokens < min_tokens (a degradation, never a success); else explosive if ppl_ratio >
// t; else repetitive_collapse if any repetition threshold is crossed; else surgical if hit; else
// ineffective. An undefined ppl_ratio of a long-enough continuation (its baseline stayed too short
// after every re-sample) skips only the explosive test; a NaN ratio counts as explosive.
Regime ClassifyRegime(const GenerationOutcome& outcome, const RegimeThresholds& thresholds = {});

}  // namespace emoscope
