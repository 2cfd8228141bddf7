#include "models/tokenizer/pattern.h"

namespace emoscope {

Pattern Pattern::Parse(const nlohmann::json& owner, const std::string& field, const JsonReader& reader) {
  const nlohmann::json& pattern = reader.Member(owner, field, "pattern");
  const std::string pattern_field = JsonReader::Join(field, "pattern");
  if (const nlohmann::json* literal = reader.OptionalMember(pattern, pattern_field, "String")) {
    if (!literal->is_string() || literal->get<std::string>().empty()) {
      reader.Fail(JsonReader::Join(pattern_field, "String"), "expected a non-empty string");
    }
    return Literal(literal->get<std::string>());
  }
  if (const nlohmann::json* regex = reader.OptionalMember(pattern, pattern_field, "Regex")) {
    const std::string regex_field = JsonReader::Join(pattern_field, "Regex");
    if (!regex->is_string()) reader.Fail(regex_field, "expected a string");
    std::string error;
    std::optional<Pattern> parsed = FromRegex(regex->get<std::string>(), /*use_scanner=*/true, &error);
    if (!parsed) reader.Fail(regex_field, "the regex " + regex->dump() + " does not compile: " + error);
    return std::move(*parsed);
  }
  reader.Fail(pattern_field, "expected {\"String\": ...} or {\"Regex\": ...}");
}

Pattern Pattern::Literal(std::string literal) {
  Pattern pattern;
  pattern.literal_ = std::move(literal);
  return pattern;
}

std::optional<Pattern> Pattern::FromRegex(const std::string& regex, bool use_scanner, std::string* error) {
  Pattern pattern;
  if (use_scanner) pattern.scanner_ = RecognizePattern(regex);
  // Compiled even when a scanner will run, so that a bad pattern is refused the same way.
  std::optional<Regex> compiled = Regex::Compile(regex, error);
  if (!compiled) return std::nullopt;
  pattern.regex_ = std::make_shared<const Regex>(std::move(*compiled));
  return pattern;
}

std::vector<Span> Pattern::FindAll(std::string_view text) const {
  if (scanner_) return FindPatternMatches(*scanner_, text);
  if (regex_) return regex_->FindAll(text);
  return FindLiteralMatches(literal_, text);
}

std::string Pattern::Replace(std::string_view text, std::string_view content) const {
  std::string out;
  out.reserve(text.size());
  size_t previous = 0;
  for (const Span& match : FindAll(text)) {
    out.append(text.substr(previous, match.first - previous));
    out.append(content);
    previous = match.second;
  }
  out.append(text.substr(previous));
  return out;
}

}  // namespace emoscope
