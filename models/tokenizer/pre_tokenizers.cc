#include "models/tokenizer/pre_tokenizers.h"

#include <optional>

#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/split_patterns.h"
#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

void AppendSubPieces(const Piece& piece, const std::vector<Span>& spans, std::vector<Piece>* out) {
  for (const Span& span : spans) {
    out->push_back({piece.text.substr(span.first, span.second - span.first), piece.at_start && span.first == 0});
  }
}

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : parts_(std::move(parts)) {}
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
      for (const Span& span : FindPatternMatches(KnownPattern::kGpt2, piece.text)) {
        out.push_back({byte_level::Encode(std::string_view(piece.text).substr(span.first, span.second - span.first)),
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
  SplitPreTokenizer(std::optional<KnownPattern> pattern, std::string literal, SplitBehavior behavior, bool invert)
      : pattern_(pattern), literal_(std::move(literal)), behavior_(behavior), invert_(invert) {}
  void PreTokenize(std::vector<Piece>* pieces) const override {
    std::vector<Piece> out;
    for (const Piece& piece : *pieces) {
      const std::vector<Span> matches =
          pattern_ ? FindPatternMatches(*pattern_, piece.text) : FindLiteralMatches(literal_, piece.text);
      AppendSubPieces(piece, ApplySplitBehavior(piece.text.size(), matches, behavior_, invert_), &out);
    }
    *pieces = std::move(out);
  }

 private:
  std::optional<KnownPattern> pattern_;
  std::string literal_;
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
      AppendSubPieces(piece, ApplySplitBehavior(piece.text.size(), matches, SplitBehavior::kMergedWithNext, false),
                      &out);
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
    if (!behavior) reader.Fail(JsonReader::Join(field, "behavior"), "unknown behavior '" + behavior_name + "'");
    const bool invert = reader.Bool(json, field, "invert", false);
    const nlohmann::json& pattern = reader.Member(json, field, "pattern");
    const std::string pattern_field = JsonReader::Join(field, "pattern");
    if (const nlohmann::json* regex = reader.OptionalMember(pattern, pattern_field, "Regex")) {
      if (!regex->is_string()) reader.Fail(JsonReader::Join(pattern_field, "Regex"), "expected a string");
      const std::optional<KnownPattern> known = RecognizePattern(regex->get<std::string>());
      if (!known) {
        reader.Fail(JsonReader::Join(pattern_field, "Regex"),
                    "unsupported pre-tokenizer regex " + regex->dump() +
                        " (supported: the GPT-2, Llama 3 and Qwen2 patterns)");
      }
      return std::make_unique<SplitPreTokenizer>(known, "", *behavior, invert);
    }
    return std::make_unique<SplitPreTokenizer>(std::nullopt, ParseLiteralPattern(json, field, reader), *behavior,
                                               invert);
  }
  if (type == "Metaspace") {
    const std::string replacement = reader.Char(json, field, "replacement", "\xE2\x96\x81");
    PrependScheme scheme = reader.Bool(json, field, "add_prefix_space", true) ? PrependScheme::kAlways
                                                                               : PrependScheme::kNever;
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
    return std::make_unique<MetaspacePreTokenizer>(replacement, scheme, reader.Bool(json, field, "split", true));
  }
  if (type == "Digits") {
    return std::make_unique<DigitsPreTokenizer>(reader.Bool(json, field, "individual_digits", false));
  }
  reader.Fail(JsonReader::Join(field, "type"), "unsupported pre_tokenizer type '" + type + "'");
}

}  // namespace emoscope
