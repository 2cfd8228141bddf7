// The tokenizer.json "normalizer": text rewriting before pre-tokenization. Immutable after
// parsing; Normalize is thread-safe.
//
// Supported types: Sequence, Prepend, Replace (literal pattern), NFC, Strip. Any other type, or a
// Replace with a regex pattern, is an Error naming the file and field.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "models/tokenizer/json_reader.h"

namespace emoscope {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string Normalize(std::string_view text) const = 0;
};

// Parses the normalizer at `field` (non-null JSON).
std::unique_ptr<Normalizer> ParseNormalizer(const nlohmann::json& json, const std::string& field,
                                            const JsonReader& reader);

// Replaces every occurrence of `pattern` (non-empty) with `content`.
std::string ReplaceAll(std::string_view text, std::string_view pattern, std::string_view content);

// A literal pattern from {"String": "..."}; a {"Regex": ...} pattern is an Error.
std::string ParseLiteralPattern(const nlohmann::json& owner, const std::string& field, const JsonReader& reader);

}  // namespace emoscope
