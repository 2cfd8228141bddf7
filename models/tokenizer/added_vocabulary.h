// The tokenizer.json "added_tokens": tokens matched in the text before the model sees it, as the
// tokenizers library does. Tokens with normalized: false are matched in the raw text, the others
// in the normalized text (their content normalized too); the leftmost match wins, the longest
// among those starting there. single_word, lstrip and rstrip are honoured. Immutable after
// construction; Split is thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/tokenizer/json_reader.h"

namespace emoscope {

class Normalizer;

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

// Parses the "added_tokens" array; Error naming added_tokens[i] and the field when malformed.
std::vector<AddedToken> ParseAddedTokens(const nlohmann::json& list, const JsonReader& reader);

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) normalizes the content of normalized tokens; not kept.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // One stretch of text: an added token (token_id >= 0) or plain text to encode.
  struct Segment {
    size_t begin;
    size_t end;
    int32_t token_id;  // -1 for plain text
  };
  // Cuts `text` at the tokens of one set (normalized or not). Segments cover the text in order;
  // an empty text gives no segments.
  std::vector<Segment> Split(std::string_view text, bool normalized_set) const;

  const AddedToken* FindById(int32_t id) const;
  std::optional<int32_t> FindByContent(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // A byte trie over the patterns of one set.
  struct Trie {
    struct Node {
      std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
      int32_t token_index = -1;                            // index into tokens_ of a pattern ending here
    };
    std::vector<Node> nodes{Node{}};
    std::array<bool, 256> first_bytes{};
    void Insert(std::string_view pattern, int32_t token_index);
    // The longest pattern starting at text[pos]: (token index, length), or index -1.
    std::pair<int32_t, size_t> LongestAt(std::string_view text, size_t pos) const;
  };

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, int32_t> by_content_;
  Trie raw_trie_;
  Trie normalized_trie_;
};

}  // namespace emoscope
