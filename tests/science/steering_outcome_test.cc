#include "science/steering_outcome.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

using emoscope::ClassifyRegime;
using emoscope::GenerationOutcome;
using emoscope::Regime;

TEST_CASE("distinct-2 and seq-rep-4 count repeated n-grams of token ids", "[steering][outcome]") {
  CHECK(emoscope::Distinct2({1, 2, 3, 4}) == Approx(1.0));
  CHECK(emoscope::Distinct2({1, 1, 1, 1, 1}) == Approx(0.25));  // 4 bigrams, 1 unique
  CHECK(emoscope::Distinct2({1, 2, 1, 2, 1}) == Approx(0.5));   // (1,2) (2,1) x2
  CHECK(emoscope::Distinct2({7}) == 1.0);                       // no bigram: not repetitive
  CHECK(emoscope::SeqRep4({1, 2, 3, 4, 1, 2, 3, 4}) == Approx(1.0 - 4.0 / 5.0));
  CHECK(emoscope::SeqRep4({1, 2, 3}) == 0.0);
  CHECK(emoscope::SeqRep4({5, 5, 5, 5, 5, 5}) == Approx(1.0 - 1.0 / 3.0));
}

TEST_CASE("the compression ratio equals Python's len(text) / len(zlib.compress(text))",
          "[steering][outcome]") {
  CHECK(emoscope::CompressionRatio("") == 0.0);
  CHECK(emoscope::CompressionRatio(std::string(200, 'a')) == Approx(200.0 / 12.0));
  CHECK(
      emoscope::CompressionRatio("The weather report for tomorrow says rain in the morning and sun later.") ==
      Approx(1.0142857142857142));
}

TEST_CASE("the regime rule checks explosive, then collapse, then the hit", "[steering][regime]") {
  GenerationOutcome o;
  o.tokens = 10;
  o.ppl_ratio = 1.0;
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
  o.ppl_ratio = std::nullopt;  // the baseline stayed too short: only the explosive test is skipped
  CHECK(ClassifyRegime(o) == Regime::kSurgical);
  emoscope::RegimeThresholds strict;
  strict.explosive_ppl_ratio = 0.5;
  o.ppl_ratio = 1.0;
  CHECK(ClassifyRegime(o, strict) == Regime::kExplosive);
}

TEST_CASE("a continuation shorter than min_tokens is empty and never succeeds", "[steering][regime]") {
  emoscope::RegimeThresholds thresholds;  // min_tokens 4
  for (int64_t tokens : {0, 1, 3}) {
    INFO(tokens << " tokens");
    GenerationOutcome o;
    o.tokens = tokens;
    o.hit = true;       // the judge's verdict does not rescue it
    o.ppl_ratio = 1.0;  // nor a coherent-looking ratio
    CHECK(ClassifyRegime(o, thresholds) == Regime::kEmpty);
    o.ppl_ratio = 100.0;  // nor does it count as explosive
    CHECK(ClassifyRegime(o, thresholds) == Regime::kEmpty);
  }
  GenerationOutcome four;
  four.tokens = 4;
  four.ppl_ratio = 1.0;
  four.hit = true;
  CHECK(ClassifyRegime(four, thresholds) == Regime::kSurgical);
  thresholds.min_tokens = 5;
  CHECK(ClassifyRegime(four, thresholds) == Regime::kEmpty);
  CHECK(std::string(emoscope::RegimeName(Regime::kEmpty)) == "empty");
}

TEST_CASE("the perplexity ratio is undefined when either continuation is shorter than min_tokens, never 1",
          "[steering][outcome]") {
  const std::vector<double> four = {-1, -1, -1, -1};      // perplexity e
  const std::vector<double> five = {-2, -2, -2, -2, -2};  // perplexity e^2
  CHECK_FALSE(emoscope::PerplexityRatio({}, {}, 4).has_value());
  CHECK_FALSE(emoscope::PerplexityRatio({}, four, 4).has_value());
  CHECK_FALSE(emoscope::PerplexityRatio(five, {-1, -1, -1}, 4).has_value());
  REQUIRE(emoscope::PerplexityRatio(five, four, 4).has_value());
  CHECK(*emoscope::PerplexityRatio(five, four, 4) == Approx(std::exp(1.0)));
  CHECK_FALSE(emoscope::PerplexityRatio(four, five, 5).has_value());
  CHECK(*emoscope::PerplexityRatio(four, four, 1) == Approx(1.0));
}

TEST_CASE("repetition is measured on token ids, so a script without spaces collapses too",
          "[steering][outcome]") {
  // "猫猫猫猫..." has no spaces: a word-based measure would see one word. Its token ids repeat.
  const std::vector<int64_t> repeated(12, 4711);
  CHECK(emoscope::Distinct2(repeated) < 0.3);
  CHECK(emoscope::SeqRep4(repeated) > 0.5);
  std::string text;
  for (int i = 0; i < 40; ++i) text += "\xE7\x8C\xAB";  // U+732B, three bytes
  CHECK(emoscope::CompressionRatio(text) > 2.4);
  GenerationOutcome o;
  o.tokens = 12;
  o.ppl_ratio = 1.0;
  o.hit = true;
  o.distinct2 = emoscope::Distinct2(repeated);
  o.seq_rep4 = emoscope::SeqRep4(repeated);
  o.compression_ratio = emoscope::CompressionRatio(text);
  CHECK(ClassifyRegime(o) == Regime::kRepetitiveCollapse);
}
