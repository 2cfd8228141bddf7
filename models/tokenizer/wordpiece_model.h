// The tokenizer.json "model" of type WordPiece (BERT and its family): greedy longest-match-first
// over the vocabulary, continuing pieces spelled with continuing_subword_prefix ("##"), a word
// with a piece not in the vocabulary, or longer than max_input_chars_per_word characters,
// becoming unk_token whole. Immutable after parsing; every method is thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "models/tokenizer/model.h"
#include "models/tokenizer/tokenizer_document.h"
#include "models/tokenizer/vocabulary.h"

namespace emoscope {

class WordPieceModel : public Model {
 public:
  // Parses the object at field "model" (unk_token "[UNK]", continuing_subword_prefix "##" and
  // max_input_chars_per_word 100 when absent). Error naming the field when malformed, and
  // naming model.unk_token when that token is not in the vocabulary (the library would fail on
  // the first unknown word). The vocab comes from `tables` when the document parser took it out
  // (may be null).
  static WordPieceModel Parse(const nlohmann::json& model, const JsonReader& reader, ModelTables* tables);

  void Tokenize(std::string_view word, std::vector<int32_t>* ids) const override;
  std::optional<int32_t> TokenToId(std::string_view token) const override { return vocab_.Find(token); }
  const std::string* IdToToken(int32_t id) const override { return vocab_.Token(id); }
  int32_t size() const override { return vocab_.size(); }

 private:
  Vocabulary vocab_;
  int32_t unk_id_ = 0;
  std::string continuing_subword_prefix_;
  size_t max_input_chars_per_word_ = 0;
};

}  // namespace emoscope
