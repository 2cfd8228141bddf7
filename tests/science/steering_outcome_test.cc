#include <catch2/catch.hpp>

#include "science/steering_outcome.h"

using emoscope::ClassifyRegime;
using emoscope::GenerationOutcome;
using emoscope::Regime;

TEST_CASE("distinct-2 and seq-rep-4 count repeated n-grams of token ids", "[steering][outcome]") {
  CHECK(emoscope::Distinct2({1, 2, 3, 4}) == Approx(1.0));
  CHECK(emoscope::Distinct2({1, 1, 1, 1, 1}) == Approx(0.25));     // 4 bigrams, 1 unique
  CHECK(emoscope::Distinct2({1, 2, 1, 2, 1}) == Approx(0.5));      // (1,2) (2,1) x2
  CHECK(emoscope::Distinct2({7}) == 1.0);                          // no bigram: not repetitive
  CHECK(emoscope::SeqRep4({1, 2, 3, 4, 1, 2, 3, 4}) == Approx(1.0 - 4.0 / 5.0));
  CHECK(emoscope::SeqRep4({1, 2, 3}) == 0.0);
  CHECK(emoscope::SeqRep4({5, 5, 5, 5, 5, 5}) == Approx(1.0 - 1.0 / 3.0));
}

TEST_CASE("the compression ratio equals Python's len(text) / len(zlib.compress(text))", "[steering][outcome]") {
  CHECK(emoscope::CompressionRatio("") == 0.0);
  CHECK(emoscope::CompressionRatio(std::string(200, 'a')) == Approx(200.0 / 12.0));
  CHECK(emoscope::CompressionRatio("The weather report for tomorrow says rain in the morning and sun later.") ==
        Approx(1.0142857142857142));
}

TEST_CASE("the regime rule checks explosive, then collapse, then the hit", "[steering][regime]") {
  GenerationOutcome o;
  o.hit = true;
  CHECK(ClassifyRegime(o) == Regime::kSurgical);
  o.hit = false;
  CHECK(ClassifyRegime(o) == Regime::kIneffective);
  o.hit = true;
  o.ppl_ratio = 4.0;  // at the threshold: not explosive
  CHECK(ClassifyRegime(o) == Regime::kSurgical);
  o.ppl_ratio = 4.01;
  o.compression_ratio = 3.0;  // explosive wins over collapse
  CHECK(ClassifyRegime(o) == Regime::kExplosive);
  o.ppl_ratio = 1.0;
  CHECK(ClassifyRegime(o) == Regime::kRepetitiveCollapse);
  o.compression_ratio = 2.4;  // at the threshold: not collapse
  CHECK(ClassifyRegime(o) == Regime::kSurgical);
  o.seq_rep4 = 0.51;
  CHECK(ClassifyRegime(o) == Regime::kRepetitiveCollapse);
  o.seq_rep4 = 0.0;
  o.distinct2 = 0.29;
  CHECK(ClassifyRegime(o) == Regime::kRepetitiveCollapse);
  o.distinct2 = 0.3;
  CHECK(ClassifyRegime(o) == Regime::kSurgical);
  o.ppl_ratio = std::nan("");
  CHECK(ClassifyRegime(o) == Regime::kExplosive);
  emoscope::RegimeThresholds strict;
  strict.explosive_ppl_ratio = 0.5;
  o.ppl_ratio = 1.0;
  CHECK(ClassifyRegime(o, strict) == Regime::kExplosive);
}
