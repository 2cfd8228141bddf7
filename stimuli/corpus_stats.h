// Variety figures of a generated corpus, to show that a small model cannot simply memorize it.
// Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "stimuli/corpus.h"

namespace emoscope {

struct CorpusVariety {
  size_t documents = 0;
  size_t sentences = 0;           // sentences over all documents
  size_t distinct_sentences = 0;  // distinct among those
  size_t four_grams = 0;          // word 4-grams within documents
  size_t distinct_four_grams = 0;
  // Distinct sentences among the first 10,000 sentences (all of them when fewer), scaled to 10,000.
  double distinct_sentences_per_10k = 0;
  double distinct_four_gram_ratio = 0;  // distinct_four_grams / four_grams
};

// Sentence boundary: '.', '!' or '?', an optional closing quote, whitespace, and then an
// upper-case letter or an opening quote (so "\"Stop!\" she said." stays one sentence). Words: runs
// of letters, digits and apostrophes, lower-cased.
CorpusVariety MeasureVariety(const std::vector<CorpusDocument>& documents);

std::vector<std::string> SplitSentences(const std::string& text);
std::vector<std::string> SplitWords(const std::string& text);

}  // namespace emoscope
