// How one steered generation turned out (docs/science.md): repetition measures of the
// continuation, and the regime rule that sorts generations into surgical, repetitive collapse,
// explosive and ineffective.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace emoscope {

// Unique bigrams / bigrams of the continuation's token ids; 1 when it has fewer than 2 tokens.
double Distinct2(const std::vector<int64_t>& tokens);
// 1 - unique 4-grams / 4-grams; 0 when it has fewer than 4 tokens.
double SeqRep4(const std::vector<int64_t>& tokens);
// Bytes of the text / bytes of its zlib compression (default level, as Python's zlib.compress);
// 0 for an empty text.
double CompressionRatio(const std::string& text);

enum class Regime { kSurgical, kRepetitiveCollapse, kExplosive, kIneffective };
const char* RegimeName(Regime regime);

// Thresholds of the regime rule; their values are stored with every result they produced.
struct RegimeThresholds {
  double explosive_ppl_ratio = 4.0;     // ppl_ratio above: explosive
  double collapse_compression = 2.4;    // compression ratio above: repetitive collapse
  double collapse_seq_rep4 = 0.5;       // seq-rep-4 above: repetitive collapse
  double collapse_distinct2 = 0.3;      // distinct-2 below: repetitive collapse
};

struct GenerationOutcome {
  double ppl_ratio = 1.0;
  double distinct2 = 1.0;
  double seq_rep4 = 0.0;
  double compression_ratio = 0.0;
  bool hit = false;  // the judge's emotion is the target
};

// explosive if ppl_ratio > t; else repetitive_collapse if any repetition threshold is crossed;
// else surgical if hit; else ineffective. A NaN ppl_ratio counts as explosive.
Regime ClassifyRegime(const GenerationOutcome& outcome, const RegimeThresholds& thresholds = {});

}  // namespace emoscope
