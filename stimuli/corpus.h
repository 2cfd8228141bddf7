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

// What a document is made of.
enum class CorpusForm {
  kStory,      // the situation told through body, thought and speech cues (training text)
  kSituation,  // only what happens (and the dream before it, if any): no cue, no ending; stimuli
               // whose emotion must be read from the situation rather than from cue words
  kPrompt,     // one situation followed by the character's pronoun ("... Her"): a continuation
               // prompt for generation-based extraction or steering
  kContext,    // `context` holds the situation (and the dream), `text` one sentence shared by every
               // document ("After that, the day went on, ..."): a comprehension stimulus whose
               // readout tokens are the same words whatever the emotion, so only what a model
               // carried over from the context it was fed can tell them apart
};

struct CorpusOptions {
  uint64_t seed = 1;              // same seed, same corpus
  int64_t num_documents = 1000;   // >= 0
  EmotionSet emotions;            // each must be in CorpusEmotions(); empty only if all neutral
  double neutral_fraction = 0.2;  // in [0, 1]; neutral documents = llround(fraction * n)
  // In [0, 1]: the share of emotional documents (llround) that open with a dream of another
  // emotion of the set ("Maria dreamt that <a situation of fear>. Then she woke up.") before their
  // own situation. The dream's words belong to another emotion, so what the document feels is
  // carried by its order, not by which words it holds: a bag-of-words reading (the embedding
  // layer) cannot tell it, a model that follows the story can. Needs two or more emotions. 0 keeps
  // every document as it was before the option existed.
  double dream_fraction = 0.0;
  // In [0, 1]: of the documents with a dream, the share (llround per emotion) whose dream comes
  // after their own situation ("<situation>. That night she dreamt that <another emotion's>. Then
  // she woke up." and then, in a story, the cues of the document's own emotion). With dreams on
  // both sides, neither the first nor the most recent situation tells the emotion: only the dream
  // frame does.
  double dream_after_share = 0.0;
  CorpusForm form = CorpusForm::kStory;
};

struct CorpusDocument {
  std::string emotion;       // an emotion of the set, or "neutral"
  std::string text;          // one to seven sentences, single spaces, no newline
  std::string dream;         // the emotion of its dream, or "" (CorpusOptions::dream_fraction)
  bool dream_after = false;  // the dream comes after the document's own situation
  std::string context;       // kContext only: what comes before `text` (fed to a model, not read)
};

// The emotions the templates cover (the twenty of emotions20), in the order of emotions20.
std::vector<std::string> CorpusEmotions();

// num_documents documents. Exactly llround(neutral_fraction * num_documents) are neutral; the
// others cycle through the set's emotions (so counts differ by at most one, and every emotion is
// present once there are at least as many emotional documents as emotions); the order is then
// shuffled. Document i depends only on (seed, i, its emotion, its dream), not on the other
// documents. Dreams go to every emotion equally often (llround(dream_fraction * k) of each
// emotion's k documents), each dream's emotion drawn uniformly from the
// other emotions of the set.
// Throws Error for an emotion the templates do not cover (naming it and listing the covered
// ones), a fraction outside [0, 1], a negative count, an empty set with emotional documents, or
// dreams asked of a set with fewer than two emotions.
std::vector<CorpusDocument> GenerateCorpus(const CorpusOptions& options);

// One document of `emotion` ("neutral" allowed) from its own stream `seed`. `dream` names the
// emotion of an opening dream (nullptr or "" for none; never "neutral").
CorpusDocument WriteCorpusDocument(const std::string& emotion, uint64_t seed,
                                   CorpusForm form = CorpusForm::kStory, const char* dream = nullptr,
                                   bool dream_after = false);

// The same document as one string (a context-form document's context, a space, its text).
std::string GenerateDocument(const std::string& emotion, uint64_t seed, CorpusForm form = CorpusForm::kStory,
                             const char* dream = nullptr);

}  // namespace emoscope
