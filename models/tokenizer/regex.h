// A compiled regular expression as tokenizer.json's {"Regex": ...} patterns are read by the
// tokenizers library: Oniguruma, its default (Oniguruma) syntax, UTF-8, no options. The same
// engine and settings give the same matches for \p{...} classes, \s, (?i:...), look-ahead and
// possessive quantifiers.
//
// Ownership and threading: a Regex owns its Oniguruma object (move-only); FindAll does not
// modify it and may be called from several threads at once.
// Invalid UTF-8: the engine is only run over maximal valid runs of the text; an undecodable byte
// is never part of a match (it stays in the text between matches).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emoscope {

using Span = std::pair<size_t, size_t>;  // [begin, end) byte offsets

class Regex {
 public:
  // The compiled pattern, or nullopt with Oniguruma's message in *error.
  static std::optional<Regex> Compile(const std::string& pattern, std::string* error);

  // Successive non-overlapping matches, as the library's find_iter gives them: each search
  // starts where the previous match ended (look-behind sees the text before it); an empty match
  // right after the previous match is skipped by one character. Error (naming the pattern)
  // only when the engine gives up, e.g. on its backtracking limit.
  std::vector<Span> FindAll(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Deleter {
    void operator()(void* regex) const;
  };
  Regex(std::string pattern, void* regex) : pattern_(std::move(pattern)), regex_(regex) {}
  void FindInValidRun(std::string_view text, size_t begin, size_t end, std::vector<Span>* out) const;

  std::string pattern_;
  std::unique_ptr<void, Deleter> regex_;  // an OnigRegex (regex_t*), opaque here
};

}  // namespace emoscope
