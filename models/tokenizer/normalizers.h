// The tokenizer.json "normalizer": text rewriting before pre-tokenization. Immutable after
// parsing; Normalize is thread-safe.
//
// Supported types: Sequence, Prepend, Replace (literal or regex pattern), NFC, NFD, Strip,
// Lowercase, StripAccents, BertNormalizer. Any other type is an Error naming the file and field.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
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

}  // namespace emoscope
