#include "stimuli/corpus_stats.h"

#include <cctype>
#include <unordered_set>

namespace emoscope {
namespace {

// Sentences counted for the per-10,000 figure.
constexpr size_t kSentenceWindow = 10000;

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '\''; }

}  // namespace

std::vector<std::string> SplitSentences(const std::string& text) {
  std::vector<std::string> sentences;
  size_t start = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c != '.' && c != '!' && c != '?') continue;
    size_t end = pos + 1;
    if (end < text.size() && text[end] == '"') ++end;
    if (end >= text.size() || text[end] != ' ') continue;
    const size_t next = end + 1;
    if (next < text.size() &&
        (std::isupper(static_cast<unsigned char>(text[next])) != 0 || text[next] == '"')) {
      sentences.push_back(text.substr(start, end - start));
      start = next;
      pos = end;
    }
  }
  if (start < text.size()) sentences.push_back(text.substr(start));
  return sentences;
}

std::vector<std::string> SplitWords(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : text) {
    if (IsWordChar(c)) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

CorpusVariety MeasureVariety(const std::vector<CorpusDocument>& documents) {
  CorpusVariety variety;
  variety.documents = documents.size();
  std::unordered_set<std::string> distinct_sentences;
  std::unordered_set<std::string> window_sentences;
  size_t window_count = 0;
  std::unordered_set<std::string> distinct_four_grams;
  for (const auto& document : documents) {
    for (auto& sentence : SplitSentences(document.text)) {
      ++variety.sentences;
      if (window_count < kSentenceWindow) {
        ++window_count;
        window_sentences.insert(sentence);
      }
      distinct_sentences.insert(std::move(sentence));
    }
    const auto words = SplitWords(document.text);
    for (size_t k = 0; k + 4 <= words.size(); ++k) {
      ++variety.four_grams;
      distinct_four_grams.insert(words[k] + ' ' + words[k + 1] + ' ' + words[k + 2] + ' ' + words[k + 3]);
    }
  }
  variety.distinct_sentences = distinct_sentences.size();
  variety.distinct_four_grams = distinct_four_grams.size();
  if (window_count > 0) {
    variety.distinct_sentences_per_10k =
        static_cast<double>(window_sentences.size()) * static_cast<double>(kSentenceWindow) / window_count;
  }
  if (variety.four_grams > 0) {
    variety.distinct_four_gram_ratio = static_cast<double>(variety.distinct_four_grams) / variety.four_grams;
  }
  return variety;
}

}  // namespace emoscope
