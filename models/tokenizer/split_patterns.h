// The three most used pre-tokenizer regexes (GPT-2, Llama 3, Qwen2) as hand-written scanners
// over code points, 2.5-3.5x faster than the regex engine that runs every other pattern
// (pattern.h, regex.h) and tested against it; plus the delimiter behaviours of the tokenizers
// library's Split. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/tokenizer/regex.h"

namespace emoscope {

enum class KnownPattern {
  kGpt2,    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kLlama3,  // (?i:'s|...|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
            // ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kQwen2,   // as kLlama3 with \p{N} (one digit at a time) instead of \p{N}{1,3}
};

// The exact regex strings, as they appear in tokenizer.json.
const std::string& PatternString(KnownPattern pattern);
// The pattern whose string is exactly `regex`, or nullopt.
std::optional<KnownPattern> RecognizePattern(const std::string& regex);

// Successive non-overlapping matches of the pattern in `text`, as the regex would find them.
std::vector<Span> FindPatternMatches(KnownPattern pattern, std::string_view text);
// Successive non-overlapping occurrences of a literal (non-empty) string.
std::vector<Span> FindLiteralMatches(std::string_view literal, std::string_view text);

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };
std::optional<SplitBehavior> ParseSplitBehavior(const std::string& name);

// The pieces of a text of `length` bytes cut at `matches` with the given behaviour (matches and
// the text between them swap roles when `invert`). Empty pieces are dropped.
std::vector<Span> ApplySplitBehavior(size_t length, const std::vector<Span>& matches, SplitBehavior behavior,
                                     bool invert);

}  // namespace emoscope
