#include "models/tokenizer/pre_tokenizers.h"

#include <optional>

#include "common/error.h"
#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/pattern.h"
#include "models/tokenizer/split_patterns.h"
#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

// The pattern ByteLevel applies with use_regex.
const Pattern& Gpt2Pattern() {
  static const Pattern pattern = [] {
    std::string error;
    std::optional<Pattern> compiled =
        Pattern::FromRegex(PatternString(KnownPattern::kGpt2), /*use_scanner=*/true, &error);
    if (!compiled) Fail("the GPT-2 pre-tokenizer regex does not compile: {}", error);
    return std::move(*compiled);
  }();
  return pattern;
}

void AppendSubPieces(const Piece& piece, const std::vector<Span>& spans, std::vector<Piece>* out) {
  for (const Span& span : spans) {
    out->push_back(
        {piece.text.substr(span.first, span.second - span.first), piece.at_start && span.first == 0});
  }
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  void PreTokenize(std::vector<Piece>* pieces) const override {
    for (const auto& part : parts_) part->PreTokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

// Optionally a leading space and the GPT-2 split, then every byte spelled in GPT-2's alphabet.
class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}
  void PreTokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    out.reserve(pieces->size());
    for (Piece& piece : *pieces) {
      if (add_prefix_space_ && !piece.text.empty() && piece.text[0] != ' ') piece.text.insert(0, 1, ' ');
      if (!use_regex_) {
        out.push_back({byte_level::Encode(piece.text), piece.at_start});
        continue;
      }
      for (const Span& span : Gpt2Pattern().FindAll(piece.text)) {
        out.push_back(
            {byte_level::Encode(std::string_view(piece.text).substr(span.first, span.second - span.first)),
             piece.at_start && span.first == 0});
      }
    }
    *pieces = std::move(out);
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void PreTokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (const Piece& piece : *pieces) {
      AppendSubPieces(piece,
                      ApplySplitBehavior(piece.text.size(), pattern_.FindAll(piece.text), behavior_, invert_),
                      &out);
    }
    *pieces = std::move(out);
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

// Spaces become the replacement character ("▁"); a leading one is added as the scheme says;
// with `split`, each replacement character starts a new piece.
class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void PreTokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (Piece& piece : *pieces) {
      piece.text = ReplaceAll(piece.text, " ", replacement_);
      const bool starts_with_replacement = piece.text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts_with_replacement &&
          (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && piece.at_start))) {
        piece.text.insert(0, replacement_);
      }
      if (!split_) {
        out.push_back(std::move(piece));
        continue;
      }
      const std::vector<Span> matches = FindLiteralMatches(replacement_, piece.text);
      AppendSubPieces(
          piece, ApplySplitBehavior(piece.text.size(), matches, SplitBehavior::kMergedWithNext, false), &out);
    }
    *pieces = std::move(out);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

// Numbers (\p{N}) apart from the rest: one piece per digit, or per run of digits.
class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void PreTokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (const Piece& piece : *pieces) {
      std::vector<Span> matches;
      size_t pos = 0;
      while (pos < piece.text.size()) {
        size_t length = 0;
        const uint32_t cp = unicode::DecodeAt(piece.text, pos, &length);
        if (unicode::IsNumber(cp)) matches.emplace_back(pos, pos + length);
        pos += length;
      }
      const SplitBehavior behavior = individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous;
      AppendSubPieces(piece, ApplySplitBehavior(piece.text.size(), matches, behavior, false), &out);
    }
    *pieces = std::move(out);
  }

 private:
  bool individual_;
};

// Each character for which `predicate` holds is a match of its own.
template <typename Predicate>
std::vector<Span> CharMatches(std::string_view text, Predicate predicate) {
  std::vector<Span> matches;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 0;
    if (predicate(unicode::DecodeAt(text, pos, &length))) matches.emplace_back(pos, pos + length);
    pos += length;
  }
  return matches;
}

// BERT's punctuation: ASCII punctuation (symbols such as $ + < = > ^ ` | ~ included) or P*.
bool IsBertPunctuation(uint32_t cp) {
  if (cp < 128)
    return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
           (cp >= 123 && cp <= 126);
  return unicode::CategoryGroupOf(cp) == unicode::CategoryGroup::kPunctuation;
}

// Splits at every character a predicate selects, with one behaviour; several in turn.
class CharSplitPreTokenizer : public PreTokenizer {
 public:
  using Predicate = bool (*)(uint32_t);
  explicit CharSplitPreTokenizer(std::vector<std::pair<Predicate, SplitBehavior>> steps)
      : steps_(std::move(steps)) {}
  void PreTokenize(std::vector<Piece>* pieces) const override {
    for (const auto& [predicate, behavior] : steps_) {
      std::vector<Piece> out;
      for (const Piece& piece : *pieces) {
        const std::vector<Span> matches = CharMatches(piece.text, predicate);
        AppendSubPieces(piece, ApplySplitBehavior(piece.text.size(), matches, behavior, false), &out);
      }
      *pieces = std::move(out);
    }
  }

 private:
  std::vector<std::pair<Predicate, SplitBehavior>> steps_;
};

// The library's Whitespace: the matches of \w+|[^\w\s]+ kept, whitespace dropped. That regex
// is compiled by Rust's regex crate there, not Oniguruma, and the two disagree on \w (Oniguruma
// counts every number, e.g. U+00B2 SUPERSCRIPT TWO, as a word character; the regex crate only
// Nd), so this scans with unicode::IsWordChar, the regex crate's \w.
class WhitespacePreTokenizer : public PreTokenizer {
 public:
  void PreTokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (const Piece& piece : *pieces) {
      std::vector<Span> matches;
      size_t pos = 0;
      int previous_kind = 0;  // 0 whitespace, 1 word, 2 other
      while (pos < piece.text.size()) {
        size_t length = 0;
        const uint32_t cp = unicode::DecodeAt(piece.text, pos, &length);
        const int kind = unicode::IsWordChar(cp) ? 1 : unicode::IsSpace(cp) ? 0 : 2;
        if (kind != 0 && kind == previous_kind) {
          matches.back().second = pos + length;
        } else if (kind != 0) {
          matches.emplace_back(pos, pos + length);
        }
        previous_kind = kind;
        pos += length;
      }
      AppendSubPieces(
          piece, ApplySplitBehavior(piece.text.size(), matches, SplitBehavior::kRemoved, /*invert=*/true),
          &out);
    }
    *pieces = std::move(out);
  }
};

}  // namespace

std::unique_ptr<PreTokenizer> ParsePreTokenizer(const nlohmann::json& json, const std::string& field,
                                                const JsonReader& reader) {
  const std::string type = reader.String(json, field, "type");
  if (type == "Sequence") {
    const nlohmann::json& list = reader.Array(json, field, "pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      parts.push_back(
          ParsePreTokenizer(list[i], JsonReader::Index(JsonReader::Join(field, "pretokenizers"), i), reader));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
  }
  if (type == "ByteLevel") {
    return std::make_unique<ByteLevelPreTokenizer>(reader.Bool(json, field, "add_prefix_space", true),
                                                   reader.Bool(json, field, "use_regex", true));
  }
  if (type == "Split") {
    const std::string behavior_name = reader.String(json, field, "behavior");
    const std::optional<SplitBehavior> behavior = ParseSplitBehavior(behavior_name);
    if (!behavior)
      reader.Fail(JsonReader::Join(field, "behavior"), "unknown behavior '" + behavior_name + "'");
    const bool invert = reader.Bool(json, field, "invert", false);
    return std::make_unique<SplitPreTokenizer>(Pattern::Parse(json, field, reader), *behavior, invert);
  }
  if (type == "Metaspace") {
    const std::string replacement = reader.Char(json, field, "replacement", "\xE2\x96\x81");
    PrependScheme scheme =
        reader.Bool(json, field, "add_prefix_space", true) ? PrependScheme::kAlways : PrependScheme::kNever;
    if (const nlohmann::json* name = reader.OptionalMember(json, field, "prepend_scheme")) {
      const std::string value = name->is_string() ? name->get<std::string>() : "";
      if (value == "always") {
        scheme = PrependScheme::kAlways;
      } else if (value == "first") {
        scheme = PrependScheme::kFirst;
      } else if (value == "never") {
        scheme = PrependScheme::kNever;
      } else {
        reader.Fail(JsonReader::Join(field, "prepend_scheme"), "expected \"always\", \"first\" or \"never\"");
      }
    }
    return std::make_unique<MetaspacePreTokenizer>(replacement, scheme,
                                                   reader.Bool(json, field, "split", true));
  }
  if (type == "BertPreTokenizer") {
    // Whitespace removed, then each punctuation character a piece of its own.
    return std::make_unique<CharSplitPreTokenizer>(
        std::vector<std::pair<CharSplitPreTokenizer::Predicate, SplitBehavior>>{
            {unicode::IsSpace, SplitBehavior::kRemoved}, {IsBertPunctuation, SplitBehavior::kIsolated}});
  }
  if (type == "WhitespaceSplit") {
    return std::make_unique<CharSplitPreTokenizer>(
        std::vector<std::pair<CharSplitPreTokenizer::Predicate, SplitBehavior>>{
            {unicode::IsSpace, SplitBehavior::kRemoved}});
  }
  if (type == "Punctuation") {
    const std::string behavior_name = reader.OptionalString(json, field, "behavior", "Isolated");
    const std::optional<SplitBehavior> behavior = ParseSplitBehavior(behavior_name);
    if (!behavior)
      reader.Fail(JsonReader::Join(field, "behavior"), "unknown behavior '" + behavior_name + "'");
    return std::make_unique<CharSplitPreTokenizer>(
        std::vector<std::pair<CharSplitPreTokenizer::Predicate, SplitBehavior>>{
            {IsBertPunctuation, *behavior}});
  }
  if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
  if (type == "Digits") {
    return std::make_unique<DigitsPreTokenizer>(reader.Bool(json, field, "individual_digits", false));
  }
  reader.Fail(JsonReader::Join(field, "type"), "unsupported pre_tokenizer type '" + type + "'");
}

}  // namespace emoscope
