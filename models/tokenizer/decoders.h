// The tokenizer.json "decoder": turns token strings back into text. Immutable after parsing;
// DecodeChain is thread-safe.
//
// Supported types: ByteLevel, Metaspace, Replace (literal or regex pattern), ByteFallback, Fuse,
// Strip, WordPiece, Sequence. Anything else is an Error naming the file and field.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/tokenizer/json_reader.h"

namespace emoscope {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the list of token strings; the text is their concatenation at the end.
  virtual void DecodeChain(std::vector<std::string>* tokens) const = 0;
};

std::unique_ptr<Decoder> ParseDecoder(const nlohmann::json& json, const std::string& field,
                                      const JsonReader& reader);

}  // namespace emoscope
