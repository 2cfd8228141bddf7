// The `lexicon` judge: built-in emotion word lists. A continuation's score for emotion e is the
// share of its words (lower-cased runs of letters and apostrophes) that are in e's list; the judged
// emotion is the highest score (ties to the emotion listed first), or none when no word matches.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace emoscope {

// The built-in word list of an emotion of the emotions20 set; empty for other names.
const std::vector<std::string>& LexiconWords(const std::string& emotion);

struct JudgeScores {
  std::vector<double> scores;  // per emotion of the judged set, in its order
  int judged = -1;             // index of the judged emotion, -1: none
};

JudgeScores LexiconJudge(const std::string& text, const std::vector<std::string>& emotions);

// Lower-cased words of a text: runs of ASCII letters and apostrophes.
std::vector<std::string> Words(const std::string& text);

}  // namespace emoscope
