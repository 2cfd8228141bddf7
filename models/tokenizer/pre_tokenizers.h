// The tokenizer.json "pre_tokenizer": cuts normalized text into the words the model encodes one
// by one. Immutable after parsing; PreTokenize is thread-safe.
//
// Supported types: ByteLevel (GPT-2 regex optional), Split (literal or regex pattern, see
// pattern.h; every behaviour, invert), Metaspace (prepend_scheme always, first
// or never; split), Digits, BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation,
// Sequence. Anything else is an Error naming the file and field.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/tokenizer/json_reader.h"

namespace emoscope {

struct Piece {
  std::string text;
  bool at_start = false;  // Begins at offset 0 of the original text (Metaspace "first" needs it).
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces every piece by its sub-pieces; empty pieces are dropped.
  virtual void PreTokenize(std::vector<Piece>* pieces) const = 0;
};

std::unique_ptr<PreTokenizer> ParsePreTokenizer(const nlohmann::json& json, const std::string& field,
                                                const JsonReader& reader);

}  // namespace emoscope
