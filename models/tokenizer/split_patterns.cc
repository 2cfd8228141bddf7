#include "models/tokenizer/split_patterns.h"

#include <algorithm>

#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

const std::string kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const std::string kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const std::string kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The text as code points, with the byte offset of each (and one past the end).
struct CodePoints {
  std::vector<uint32_t> cps;
  std::vector<size_t> offsets;
};

CodePoints Decode(std::string_view text) {
  CodePoints out;
  out.cps.reserve(text.size());
  out.offsets.reserve(text.size() + 1);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 0;
    out.offsets.push_back(pos);
    out.cps.push_back(unicode::DecodeAt(text, pos, &length));
    pos += length;
  }
  out.offsets.push_back(text.size());
  return out;
}

bool IsOther(uint32_t cp) { return !unicode::IsSpace(cp) && !unicode::IsLetter(cp) && !unicode::IsNumber(cp); }
bool IsNewline(uint32_t cp) { return cp == '\r' || cp == '\n'; }

// Simple case folding for the contraction letters under (?i): ASCII, plus U+017F (long s), which
// folds to 's' in both the Oniguruma and the Rust regex engines.
uint32_t FoldContractionLetter(uint32_t cp, bool ignore_case) {
  if (!ignore_case) return cp;
  if (cp >= 'A' && cp <= 'Z') return cp + ('a' - 'A');
  if (cp == 0x17F) return 's';
  return cp;
}

// Length in code points of 's|'t|'re|'ve|'m|'ll|'d at i, or 0.
size_t MatchContraction(const std::vector<uint32_t>& cps, size_t i, bool ignore_case) {
  if (cps[i] != '\'' || i + 1 >= cps.size()) return 0;
  const uint32_t a = FoldContractionLetter(cps[i + 1], ignore_case);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= cps.size()) return 0;
  const uint32_t b = FoldContractionLetter(cps[i + 2], ignore_case);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

template <typename Predicate>
size_t RunEnd(const std::vector<uint32_t>& cps, size_t i, Predicate predicate) {
  while (i < cps.size() && predicate(cps[i])) ++i;
  return i;
}

// \s+(?!\S)|\s+ at a whitespace character i: the run of whitespace, less its last character
// when a non-space follows and the run is longer than one (that character then goes with the
// next word).
size_t MatchTrailingSpaces(const std::vector<uint32_t>& cps, size_t i) {
  const size_t end = RunEnd(cps, i, unicode::IsSpace);
  if (end == cps.size() || end - i == 1) return end;
  return end - 1;
}

// End (code point index) of the GPT-2 pattern's match at i.
size_t MatchGpt2(const std::vector<uint32_t>& cps, size_t i) {
  const size_t n = cps.size();
  if (const size_t length = MatchContraction(cps, i, /*ignore_case=*/false)) return i + length;
  const size_t after_space = cps[i] == ' ' ? i + 1 : i;
  if (after_space < n) {
    const uint32_t c = cps[after_space];
    if (unicode::IsLetter(c)) return RunEnd(cps, after_space, unicode::IsLetter);
    if (unicode::IsNumber(c)) return RunEnd(cps, after_space, unicode::IsNumber);
    if (IsOther(c)) return RunEnd(cps, after_space, IsOther);
  }
  if (unicode::IsSpace(cps[i])) return MatchTrailingSpaces(cps, i);
  return i + 1;  // Unreachable: every character is a letter, number, space or other.
}

// End (code point index) of the Llama 3 / Qwen2 pattern's match at i.
size_t MatchLlama3(const std::vector<uint32_t>& cps, size_t i, size_t max_digits) {
  const size_t n = cps.size();
  const uint32_t c = cps[i];
  if (const size_t length = MatchContraction(cps, i, /*ignore_case=*/true)) return i + length;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (unicode::IsLetter(c)) return RunEnd(cps, i, unicode::IsLetter);
  if (!IsNewline(c) && !unicode::IsNumber(c) && i + 1 < n && unicode::IsLetter(cps[i + 1])) {
    return RunEnd(cps, i + 1, unicode::IsLetter);
  }
  // \p{N}{1,max_digits}
  if (unicode::IsNumber(c)) {
    size_t end = i;
    while (end < n && end - i < max_digits && unicode::IsNumber(cps[end])) ++end;
    return end;
  }
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  const size_t after_space = c == ' ' ? i + 1 : i;
  if (after_space < n && IsOther(cps[after_space])) {
    return RunEnd(cps, RunEnd(cps, after_space, IsOther), IsNewline);
  }
  if (unicode::IsSpace(c)) {
    // \s*[\r\n]+ : the whitespace run up to and including its last line break.
    const size_t end = RunEnd(cps, i, unicode::IsSpace);
    for (size_t j = end; j > i; --j) {
      if (IsNewline(cps[j - 1])) return j;
    }
    return MatchTrailingSpaces(cps, i);
  }
  return i + 1;  // Unreachable, as above.
}

}  // namespace

const std::string& PatternString(KnownPattern pattern) {
  switch (pattern) {
    case KnownPattern::kGpt2:
      return kGpt2Pattern;
    case KnownPattern::kLlama3:
      return kLlama3Pattern;
    case KnownPattern::kQwen2:
      return kQwen2Pattern;
  }
  return kGpt2Pattern;
}

std::optional<KnownPattern> RecognizePattern(const std::string& regex) {
  for (KnownPattern pattern : {KnownPattern::kGpt2, KnownPattern::kLlama3, KnownPattern::kQwen2}) {
    if (regex == PatternString(pattern)) return pattern;
  }
  return std::nullopt;
}

std::vector<Span> FindPatternMatches(KnownPattern pattern, std::string_view text) {
  const CodePoints decoded = Decode(text);
  std::vector<Span> matches;
  size_t i = 0;
  while (i < decoded.cps.size()) {
    size_t end = 0;
    switch (pattern) {
      case KnownPattern::kGpt2:
        end = MatchGpt2(decoded.cps, i);
        break;
      case KnownPattern::kLlama3:
        end = MatchLlama3(decoded.cps, i, /*max_digits=*/3);
        break;
      case KnownPattern::kQwen2:
        end = MatchLlama3(decoded.cps, i, /*max_digits=*/1);
        break;
    }
    matches.emplace_back(decoded.offsets[i], decoded.offsets[end]);
    i = end;
  }
  return matches;
}

std::vector<Span> FindLiteralMatches(std::string_view literal, std::string_view text) {
  std::vector<Span> matches;
  if (literal.empty()) return matches;
  size_t pos = text.find(literal);
  while (pos != std::string_view::npos) {
    matches.emplace_back(pos, pos + literal.size());
    pos = text.find(literal, pos + literal.size());
  }
  return matches;
}

std::optional<SplitBehavior> ParseSplitBehavior(const std::string& name) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  return std::nullopt;
}

std::vector<Span> ApplySplitBehavior(size_t length, const std::vector<Span>& matches, SplitBehavior behavior,
                                     bool invert) {
  // The whole text as alternating segments, each marked as a match or not.
  struct Segment {
    Span span;
    bool is_match;
  };
  std::vector<Segment> segments;
  size_t previous = 0;
  for (const Span& match : matches) {
    if (previous != match.first) segments.push_back({{previous, match.first}, invert});
    segments.push_back({match, !invert});
    previous = match.second;
  }
  if (previous != length) segments.push_back({{previous, length}, invert});

  std::vector<Span> pieces;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const Segment& s : segments) {
        if (!s.is_match) pieces.push_back(s.span);
      }
      break;
    case SplitBehavior::kIsolated:
      for (const Segment& s : segments) pieces.push_back(s.span);
      break;
    case SplitBehavior::kContiguous: {
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.is_match && previous_match && !pieces.empty()) {
          pieces.back().second = s.span.second;
        } else {
          pieces.push_back(s.span);
        }
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithPrevious: {
      // A match joins the piece before it, unless that piece is itself a match.
      bool previous_match = false;
      for (const Segment& s : segments) {
        if (s.is_match && !previous_match && !pieces.empty()) {
          pieces.back().second = s.span.second;
        } else {
          pieces.push_back(s.span);
        }
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      // A match joins the piece after it, unless that piece is itself a match.
      bool next_match = false;
      for (size_t k = segments.size(); k-- > 0;) {
        const Segment& s = segments[k];
        if (s.is_match && !next_match && !pieces.empty()) {
          pieces.back().first = s.span.first;
        } else {
          pieces.push_back(s.span);
        }
        next_match = s.is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
    }
  }
  std::vector<Span> non_empty;
  for (const Span& piece : pieces) {
    if (piece.second > piece.first) non_empty.push_back(piece);
  }
  return non_empty;
}

}  // namespace emoscope
