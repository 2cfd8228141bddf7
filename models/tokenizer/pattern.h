// A tokenizer.json pattern, {"String": "..."} or {"Regex": "..."}, as Split, Replace (normalizer
// and decoder) use it, and its matches in a text. Immutable after parsing; thread-safe.
//
// A literal matches its exact bytes. A regex goes through the engine of regex.h (Oniguruma, as
// the tokenizers library), except the GPT-2, Llama 3 and Qwen2 patterns, which have hand-written
// scanners (split_patterns.h) that give the same matches faster (bench/tokenizer_bench;
// tests/models/tokenizer_regex_test.cc checks them against the engine).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "models/tokenizer/regex.h"
#include "models/tokenizer/split_patterns.h"

namespace emoscope {

class Pattern {
 public:
  // owner["pattern"] (owner at `field`). Error naming field.pattern (or field.pattern.Regex with
  // the engine's message) for anything else, an empty literal, or a regex that does not compile.
  static Pattern Parse(const nlohmann::json& owner, const std::string& field, const JsonReader& reader);
  static Pattern Literal(std::string literal);  // non-empty
  // A regex through the engine, or its scanner when `use_scanner` and it is a known pattern.
  // nullopt with the engine's message in *error when it does not compile.
  static std::optional<Pattern> FromRegex(const std::string& regex, bool use_scanner, std::string* error);

  // Successive non-overlapping matches.
  std::vector<Span> FindAll(std::string_view text) const;
  // `text` with every match replaced by `content`.
  std::string Replace(std::string_view text, std::string_view content) const;

 private:
  Pattern() = default;
  std::string literal_;                  // used when neither of the two below is set
  std::shared_ptr<const Regex> regex_;   // shared: Patterns are copied by the parts that hold them
  std::optional<KnownPattern> scanner_;  // takes precedence over regex_
};

}  // namespace emoscope
