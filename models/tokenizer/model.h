// The tokenizer.json "model": the vocabulary and the encoding of one pre-tokenized word into
// token ids. Implementations (BpeModel, WordPieceModel) are immutable after parsing; every
// method is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "models/tokenizer/tokenizer_document.h"

namespace emoscope {

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of one word.
  virtual void Tokenize(std::string_view word, std::vector<int32_t>* ids) const = 0;
  virtual std::optional<int32_t> TokenToId(std::string_view token) const = 0;
  // nullptr for an id with no token.
  virtual const std::string* IdToToken(int32_t id) const = 0;
  virtual int32_t size() const = 0;  // max id + 1
};

// The model at field "model" by its "type" (BPE when absent, as older files leave it out; or
// WordPiece), with the tables the document parser took out of it (may be null). Error naming
// model.type for any other type, or the field at fault.
std::unique_ptr<Model> ParseModel(const nlohmann::json& model, const JsonReader& reader, ModelTables* tables);

}  // namespace emoscope
