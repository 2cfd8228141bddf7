// A seeded synthetic emotional corpus: short stories and sentences in which characters meet
// situations that evoke an emotion, told through body, thought and speech cues (mostly without
// naming the emotion), plus neutral text. It exists to train tiny language models that learn
// emotional language when no dataset can be downloaded. Template data: stimuli/corpus_templates.cc.
//
// Deterministic: the same options give byte-identical documents on every platform (integer-only
// SplitMix64, no std distributions, no floating point in the choices). Pure functions; safe to
// call from several threads at once. Errors: emoscope::Error for invalid options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stimuli/stimuli.h"

namespace emoscope {

struct CorpusOptions {
  uint64_t seed = 1;              // same seed, same corpus
  int64_t num_documents = 1000;   // >= 0
  EmotionSet emotions;            // each must be in CorpusEmotions(); empty only if all neutral
  double neutral_fraction = 0.2;  // in [0, 1]; neutral documents = llround(fraction * n)
};

struct CorpusDocument {
  std::string emotion;  // an emotion of the set, or "neutral"
  std::string text;     // one to seven sentences, single spaces, no newline
};

// The emotions the templates cover (the twenty of emotions20), in the order of emotions20.
std::vector<std::string> CorpusEmotions();

// num_documents documents. Exactly llround(neutral_fraction * num_documents) are neutral; the
// others cycle through the set's emotions (so counts differ by at most one, and every emotion is
// present once there are at least as many emotional documents as emotions); the order is then
// shuffled. Document i depends only on (seed, i, its emotion), not on the other documents.
// Throws Error for an emotion the templates do not cover (naming it and listing the covered
// ones), a fraction outside [0, 1], a negative count, or an empty set with emotional documents.
std::vector<CorpusDocument> GenerateCorpus(const CorpusOptions& options);

// One document of `emotion` ("neutral" allowed) from its own stream `seed`.
std::string GenerateDocument(const std::string& emotion, uint64_t seed);

}  // namespace emoscope
