// A model's "vocab" object (token -> id), both ways. Immutable after parsing; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "models/tokenizer/tokenizer_document.h"

namespace emoscope {

class Vocabulary {
 public:
  Vocabulary() = default;
  // Move-only: the map's keys view the token strings (a move keeps them in place).
  Vocabulary(const Vocabulary&) = delete;
  Vocabulary& operator=(const Vocabulary&) = delete;
  Vocabulary(Vocabulary&&) = default;
  Vocabulary& operator=(Vocabulary&&) = default;

  // The vocabulary of `entries` (the object at `field`, "model.vocab", in file order; a token
  // given twice keeps its last id, as a JSON object does). Error naming field["token"] for an id
  // that is not an integer in [0, 2^31) or that two tokens share.
  static Vocabulary FromEntries(std::vector<VocabEntry> entries, const std::string& field,
                                const JsonReader& reader);

  std::optional<int32_t> Find(std::string_view token) const {
    const auto it = ids_.find(token);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  // nullptr for an id with no token.
  const std::string* Token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || !has_token_[id]) return nullptr;
    return &tokens_[id];
  }
  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }  // max id + 1
  // Every (token, id), in id order.
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (size_t id = 0; id < tokens_.size(); ++id) {
      if (has_token_[id]) visit(std::string_view(tokens_[id]), static_cast<int32_t>(id));
    }
  }

 private:
  // Keys view the strings of tokens_, which is not resized after parsing.
  std::unordered_map<std::string_view, int32_t> ids_;
  std::vector<std::string> tokens_;
  std::vector<bool> has_token_;
};

}  // namespace emoscope
