#include "models/tokenizer/normalizers.h"

#include <vector>

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
  ReplaceNormalizer(std::string pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string Normalize(std::string_view text) const override { return ReplaceAll(text, pattern_, content_); }

 private:
  std::string pattern_;
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

std::string ParseLiteralPattern(const nlohmann::json& owner, const std::string& field, const JsonReader& reader) {
  const nlohmann::json& pattern = reader.Member(owner, field, "pattern");
  const std::string pattern_field = JsonReader::Join(field, "pattern");
  if (const nlohmann::json* literal = reader.OptionalMember(pattern, pattern_field, "String")) {
    if (!literal->is_string() || literal->get<std::string>().empty()) {
      reader.Fail(JsonReader::Join(pattern_field, "String"), "expected a non-empty string");
    }
    return literal->get<std::string>();
  }
  if (const nlohmann::json* regex = reader.OptionalMember(pattern, pattern_field, "Regex")) {
    reader.Fail(JsonReader::Join(pattern_field, "Regex"),
                "regex patterns are not supported here: " + regex->dump());
  }
  reader.Fail(pattern_field, "expected {\"String\": ...} or {\"Regex\": ...}");
}

std::unique_ptr<Normalizer> ParseNormalizer(const nlohmann::json& json, const std::string& field,
                                            const JsonReader& reader) {
  const std::string type = reader.String(json, field, "type");
  if (type == "Sequence") {
    const nlohmann::json& list = reader.Array(json, field, "normalizers");
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list.size(); ++i) {
      parts.push_back(ParseNormalizer(list[i], JsonReader::Index(JsonReader::Join(field, "normalizers"), i), reader));
    }
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(reader.String(json, field, "prepend"));
  if (type == "Replace") {
    return std::make_unique<ReplaceNormalizer>(ParseLiteralPattern(json, field, reader),
                                               reader.String(json, field, "content"));
  }
  if (type == "NFC") return std::make_unique<NfcNormalizer>();
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(reader.Bool(json, field, "strip_left", true),
                                             reader.Bool(json, field, "strip_right", true));
  }
  reader.Fail(JsonReader::Join(field, "type"), "unsupported normalizer type '" + type + "'");
}

}  // namespace emoscope
