#include "models/tokenizer/added_vocabulary.h"

#include <algorithm>

#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

// The code point that ends at `end` (text[end - 1] is its last byte).
uint32_t CodePointBefore(std::string_view text, size_t end, size_t* start) {
  size_t begin = end - 1;
  while (begin > 0 && end - begin < 4 && (static_cast<uint8_t>(text[begin]) & 0xC0) == 0x80) --begin;
  size_t length = 0;
  uint32_t cp = unicode::DecodeAt(text, begin, &length);
  if (begin + length != end) {  // Not a whole character: the last byte on its own.
    begin = end - 1;
    cp = unicode::DecodeAt(text, begin, &length);
  }
  *start = begin;
  return cp;
}

bool EndsWithWordChar(std::string_view text, size_t end) {
  size_t start = 0;
  return end > 0 && unicode::IsWordChar(CodePointBefore(text, end, &start));
}

bool StartsWithWordChar(std::string_view text, size_t pos) {
  size_t length = 0;
  return pos < text.size() && unicode::IsWordChar(unicode::DecodeAt(text, pos, &length));
}

}  // namespace

std::vector<AddedToken> ParseAddedTokens(const nlohmann::json& list, const JsonReader& reader) {
  if (!list.is_array()) reader.Fail("added_tokens", "expected an array");
  std::vector<AddedToken> tokens;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string field = JsonReader::Index("added_tokens", i);
    const nlohmann::json& entry = list[i];
    AddedToken token;
    token.id = reader.Id(reader.Member(entry, field, "id"), JsonReader::Join(field, "id"));
    token.content = reader.String(entry, field, "content");
    if (token.content.empty()) reader.Fail(JsonReader::Join(field, "content"), "must not be empty");
    token.single_word = reader.Bool(entry, field, "single_word", false);
    token.lstrip = reader.Bool(entry, field, "lstrip", false);
    token.rstrip = reader.Bool(entry, field, "rstrip", false);
    token.special = reader.Bool(entry, field, "special", false);
    token.normalized = reader.Bool(entry, field, "normalized", !token.special);
    tokens.push_back(std::move(token));
  }
  return tokens;
}

void AddedVocabulary::Trie::Insert(std::string_view pattern, int32_t token_index) {
  if (pattern.empty()) return;
  first_bytes[static_cast<uint8_t>(pattern[0])] = true;
  int32_t node = 0;
  for (char c : pattern) {
    const uint8_t byte = static_cast<uint8_t>(c);
    auto& children = nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), byte,
                               [](const std::pair<uint8_t, int32_t>& child, uint8_t b) { return child.first < b; });
    if (it != children.end() && it->first == byte) {
      node = it->second;
      continue;
    }
    const int32_t child = static_cast<int32_t>(nodes.size());
    children.insert(it, {byte, child});
    nodes.emplace_back();
    node = child;
  }
  // A later token with the same pattern replaces the earlier one, like the library's id map.
  nodes[node].token_index = token_index;
}

std::pair<int32_t, size_t> AddedVocabulary::Trie::LongestAt(std::string_view text, size_t pos) const {
  std::pair<int32_t, size_t> best{-1, 0};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const uint8_t byte = static_cast<uint8_t>(text[i]);
    const auto& children = nodes[node].children;
    auto it = std::lower_bound(children.begin(), children.end(), byte,
                               [](const std::pair<uint8_t, int32_t>& child, uint8_t b) { return child.first < b; });
    if (it == children.end() || it->first != byte) break;
    node = it->second;
    if (nodes[node].token_index >= 0) best = {nodes[node].token_index, i + 1 - pos};
  }
  return best;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    by_id_[token.id] = i;
    by_content_[token.content] = token.id;
    if (token.normalized) {
      normalized_trie_.Insert(normalizer != nullptr ? normalizer->Normalize(token.content) : token.content,
                              static_cast<int32_t>(i));
    } else {
      raw_trie_.Insert(token.content, static_cast<int32_t>(i));
    }
  }
}

std::vector<AddedVocabulary::Segment> AddedVocabulary::Split(std::string_view text, bool normalized_set) const {
  const Trie& trie = normalized_set ? normalized_trie_ : raw_trie_;
  std::vector<Segment> segments;
  size_t done = 0;  // Everything before `done` is in `segments`.
  size_t pos = 0;
  while (pos < text.size()) {
    if (!trie.first_bytes[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    const auto [token_index, length] = trie.LongestAt(text, pos);
    if (token_index < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[token_index];
    size_t start = pos;
    size_t stop = pos + length;
    // Matching resumes after this match whether or not it is kept, as the library's
    // non-overlapping search does.
    pos = stop;
    if (token.single_word && (EndsWithWordChar(text, start) || StartsWithWordChar(text, stop))) continue;
    if (token.lstrip) {
      size_t new_start = start;
      while (new_start > done) {
        size_t char_start = 0;
        if (!unicode::IsSpace(CodePointBefore(text, new_start, &char_start))) break;
        new_start = char_start;
      }
      start = std::max(new_start, done);
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        size_t char_length = 0;
        if (!unicode::IsSpace(unicode::DecodeAt(text, stop, &char_length))) break;
        stop += char_length;
      }
      pos = std::max(pos, stop);
    }
    if (start > done) segments.push_back({done, start, -1});
    segments.push_back({start, stop, token.id});
    done = stop;
  }
  if (done < text.size()) segments.push_back({done, text.size(), -1});
  return segments;
}

const AddedToken* AddedVocabulary::FindById(int32_t id) const {
  const auto found = by_id_.find(id);
  return found == by_id_.end() ? nullptr : &tokens_[found->second];
}

std::optional<int32_t> AddedVocabulary::FindByContent(std::string_view content) const {
  const auto found = by_content_.find(std::string(content));
  if (found == by_content_.end()) return std::nullopt;
  return found->second;
}

}  // namespace emoscope
