// The tokenizer.json "model" of type BPE: vocabulary, ranked merges, and the encoding of one
// pre-tokenized word into token ids. Immutable after parsing; every method is thread-safe.
//
// Supports unk_token with fuse_unk, byte_fallback (<0xXX> tokens), ignore_merges,
// continuing_subword_prefix and end_of_word_suffix. dropout is ignored (encoding is always the
// deterministic, dropout-free one).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "models/tokenizer/model.h"
#include "models/tokenizer/tokenizer_document.h"
#include "models/tokenizer/vocabulary.h"

namespace emoscope {

class BpeModel : public Model {
 public:
  // Parses the object at field "model", its vocab and merges taken from `tables` when the
  // document parser took them out (may be null); Error naming the file and the field (for a
  // merge: model.merges[i]) when anything is malformed or refers to a token not in the vocabulary.
  static BpeModel Parse(const nlohmann::json& model, const JsonReader& reader, ModelTables* tables);

  // Appends the ids of one word. Characters that are neither in the vocabulary nor covered by
  // byte fallback become unk_token, or are dropped when there is none (as the library does).
  void Tokenize(std::string_view word, std::vector<int32_t>* ids) const override;

  std::optional<int32_t> TokenToId(std::string_view token) const override { return vocab_.Find(token); }
  const std::string* IdToToken(int32_t id) const override { return vocab_.Token(id); }
  int32_t size() const override { return vocab_.size(); }

 private:
  struct Merge {
    uint32_t rank;
    int32_t new_id;
  };
  static uint64_t PairKey(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  const Merge* FindMerge(int32_t left, int32_t right) const {
    const auto it = merges_.find(PairKey(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  }
  // The id of one character of a word (with prefix/suffix as its position asks), or -1.
  int32_t CharId(std::string_view word, size_t pos, size_t length, uint32_t code_point) const;
  void MergeAll(std::vector<int32_t>* symbols) const;

  Vocabulary vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  // Ids of single-character tokens below U+10000, -1 where none: spares a hash lookup per
  // character. Only used when there is no continuing_subword_prefix / end_of_word_suffix.
  std::vector<int32_t> bmp_char_ids_;
  std::vector<int32_t> byte_fallback_ids_;  // 256 entries, -1 where <0xXX> is missing
  std::optional<int32_t> unk_id_;
  std::string continuing_subword_prefix_;
  std::string end_of_word_suffix_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
};

}  // namespace emoscope
