#include "models/tokenizer/normalizers.h"

#include <vector>

#include "models/tokenizer/pattern.h"
#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  std::string Normalize(std::string_view text) const override {
    std::string current(text);
    for (const auto& part : parts_) current = part->Normalize(current);
    return current;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  // The library prepends only to non-empty text.
  std::string Normalize(std::string_view text) const override {
    return text.empty() ? std::string() : prefix_ + std::string(text);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string Normalize(std::string_view text) const override { return pattern_.Replace(text, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class NfcNormalizer : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override { return unicode::Nfc(text); }
};

// Strips Unicode whitespace from the left and/or right end.
class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  std::string Normalize(std::string_view text) const override {
    size_t begin = 0;
    size_t end = text.size();
    if (left_) {
      while (begin < end) {
        size_t length = 0;
        if (!unicode::IsSpace(unicode::DecodeAt(text, begin, &length))) break;
        begin += length;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;  // Back up to the start of the last character.
        while (start > begin && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
        size_t length = 0;
        const uint32_t cp = unicode::DecodeAt(text, start, &length);
        if (start + length != end || !unicode::IsSpace(cp)) break;
        end = start;
      }
    }
    return std::string(text.substr(begin, end - begin));
  }

 private:
  bool left_;
  bool right_;
};

// Rewrites every code point through `map` (which appends its replacement); invalid bytes included.
template <typename Map>
std::string MapCodePoints(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 0;
    const uint32_t cp = unicode::DecodeAt(text, pos, &length);
    map(cp, text.substr(pos, length), &out);
    pos += length;
  }
  return out;
}

// Removes the nonspacing marks (Mn).
std::string RemoveNonspacingMarks(std::string_view text) {
  return MapCodePoints(text, [](uint32_t cp, std::string_view bytes, std::string* out) {
    if (unicode::CategoryGroupOf(cp) != unicode::CategoryGroup::kNonspacingMark) out->append(bytes);
  });
}

std::string Lowercase(std::string_view text) {
  return MapCodePoints(
      text, [](uint32_t cp, std::string_view, std::string* out) { unicode::AppendLowercase(cp, out); });
}

class NfdNormalizer : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override { return unicode::Nfd(text); }
};

class LowercaseNormalizer : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override { return Lowercase(text); }
};

// Removes nonspacing marks only (files put NFD before it).
class StripAccentsNormalizer : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override { return RemoveNonspacingMarks(text); }
};

// BERT's text cleaning, as the library's BertNormalizer does it, in this order: clean_text drops
// NUL, U+FFFD and control characters (general category C*, except tab, LF and CR), then turns
// every remaining whitespace into a space; handle_chinese_chars puts spaces around CJK ideographs;
// strip_accents (NFD, then nonspacing marks removed; when absent, as lowercase) and lowercase.
class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
      : clean_text_(clean_text),
        handle_chinese_chars_(handle_chinese_chars),
        strip_accents_(strip_accents),
        lowercase_(lowercase) {}
  std::string Normalize(std::string_view text) const override {
    std::string current = MapCodePoints(text, [this](uint32_t cp, std::string_view bytes, std::string* out) {
      if (clean_text_) {
        // Controls go first, so the ones that are also whitespace (VT, FF, U+0085) are dropped.
        const bool tab_or_line_break = cp == '\t' || cp == '\n' || cp == '\r';
        if (cp == 0 || cp == 0xFFFD ||
            (!tab_or_line_break && unicode::CategoryGroupOf(cp) == unicode::CategoryGroup::kOther)) {
          return;
        }
        if (tab_or_line_break || unicode::IsSpace(cp)) {
          out->push_back(' ');
          return;
        }
      }
      if (handle_chinese_chars_ && IsChineseChar(cp)) {
        out->push_back(' ');
        out->append(bytes);
        out->push_back(' ');
        return;
      }
      out->append(bytes);
    });
    if (strip_accents_) current = RemoveNonspacingMarks(unicode::Nfd(current));
    if (lowercase_) current = Lowercase(current);
    return current;
  }

 private:
  // The CJK ideograph blocks the library lists.
  static bool IsChineseChar(uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }

  bool clean_text_;
  bool handle_chinese_chars_;
  bool strip_accents_;
  bool lowercase_;
};

}  // namespace

std::string ReplaceAll(std::string_view text, std::string_view pattern, std::string_view content) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t found = text.find(pattern, pos);
    if (found == std::string_view::npos) break;
    out.append(text.substr(pos, found - pos));
    out.append(content);
    pos = found + pattern.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::unique_ptr<Normalizer> ParseNormalizer(const nlohmann::json& json, const std::string& field,
                                            const JsonReader& reader) {
  const std::string type = reader.String(json, field, "type");
  if (type == "Sequence") {
    const nlohmann::json& list = reader.Array(json, field, "normalizers");
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      parts.push_back(
          ParseNormalizer(list[i], JsonReader::Index(JsonReader::Join(field, "normalizers"), i), reader));
    }
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(reader.String(json, field, "prepend"));
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(Pattern::Parse(json, field, reader),
                                               reader.String(json, field, "content"));
  }
  if (type == "NFC") return std::make_unique<NfcNormalizer>();
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(reader.Bool(json, field, "strip_left", true),
                                             reader.Bool(json, field, "strip_right", true));
  }
  if (type == "NFD") return std::make_unique<NfdNormalizer>();
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "BertNormalizer") {
    const bool lowercase = reader.Bool(json, field, "lowercase", true);
    return std::make_unique<BertNormalizer>(reader.Bool(json, field, "clean_text", true),
                                            reader.Bool(json, field, "handle_chinese_chars", true),
                                            reader.Bool(json, field, "strip_accents", lowercase), lowercase);
  }
  reader.Fail(JsonReader::Join(field, "type"), "unsupported normalizer type '" + type + "'");
}

}  // namespace emoscope
