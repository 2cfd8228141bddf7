// The template pieces the synthetic corpus is built from (the data itself is in
// corpus_templates.cc, written as a readable table). Static, immutable, safe to share.
//
// Slots, replaced by the generator:
//   {he} {him} {his} {himself}  the main character: "I/me/my/myself", "she/her/her/herself" or
//                               "he/him/his/himself"; the first mention in a document is the
//                               character's name instead ("Maria", "Maria's")
//   {friend}                    another character's name
//   {relative} {item}           "sister", "bicycle", ...
//   {place} {time}              "at the bus station", "on Tuesday morning" (openers only)
//   {thought}                   a thought clause (thought frames only)
// The narration is in the past tense, so first and third person share every verb form.
// A sentence's first letter is capitalized by the generator; write pieces in lower case.
#pragma once

#include <vector>

namespace emoscope {

struct EmotionTemplates {
  const char* emotion;
  std::vector<const char*> situations;    // sentences: what happens to the character
  std::vector<const char*> body;          // clauses, no final period: "{his} jaw tightened"
  std::vector<const char*> thoughts;      // clauses that complete "... that": "nobody had asked {him}"
  std::vector<const char*> speech;        // spoken lines with their final punctuation, no quotes
  std::vector<const char*> speech_verbs;  // past tense: "snapped"
  std::vector<const char*> endings;       // sentences: what the character does next
};

struct SharedTemplates {
  std::vector<const char*> female_names;
  std::vector<const char*> male_names;
  std::vector<const char*> places;          // prepositional phrases: "at the bus station"
  std::vector<const char*> times;           // "on Tuesday morning"
  std::vector<const char*> relatives;       // "sister"
  std::vector<const char*> items;           // "bicycle"
  std::vector<const char*> openers;         // sentences with {he}, {place}, {time}
  std::vector<const char*> thought_frames;  // sentences with {thought}
  std::vector<const char*> connectives;     // put before a sentence: "Then", "After a moment,"
  std::vector<const char*> body_tails;      // appended to a body clause: "as {friend} watched"
  std::vector<const char*> speech_tails;    // appended after the speech verb: "without looking up"
};

// Templates for every emotion of emotions20, then "neutral" last.
const std::vector<EmotionTemplates>& CorpusEmotionTemplates();
const SharedTemplates& CorpusSharedTemplates();

}  // namespace emoscope
