#include "models/tokenizer/wordpiece_model.h"

#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

constexpr int64_t kDefaultMaxInputCharsPerWord = 100;  // the library's default

}  // namespace

WordPieceModel WordPieceModel::Parse(const nlohmann::json& model, const JsonReader& reader,
                                     ModelTables* tables) {
  const std::string field = "model";
  WordPieceModel wordpiece;
  std::vector<VocabEntry> vocab_entries;
  if (tables != nullptr && tables->has_vocab) {
    vocab_entries = std::move(tables->vocab);
  } else {
    const nlohmann::json& vocab = reader.Member(model, field, "vocab");
    if (!vocab.is_object()) reader.Fail("model.vocab", "expected an object of token: id");
    vocab_entries = VocabEntriesOf(vocab);
  }
  wordpiece.vocab_ = Vocabulary::FromEntries(std::move(vocab_entries), "model.vocab", reader);
  const std::string unk = reader.OptionalString(model, field, "unk_token", "[UNK]");
  const std::optional<int32_t> unk_id = wordpiece.vocab_.Find(unk);
  if (!unk_id) reader.Fail("model.unk_token", "'" + unk + "' is not in model.vocab");
  wordpiece.unk_id_ = *unk_id;
  wordpiece.continuing_subword_prefix_ =
      reader.OptionalString(model, field, "continuing_subword_prefix", "##");
  int64_t max_chars = kDefaultMaxInputCharsPerWord;
  if (reader.OptionalMember(model, field, "max_input_chars_per_word") != nullptr) {
    max_chars = reader.Int(model, field, "max_input_chars_per_word");
    if (max_chars < 0) reader.Fail("model.max_input_chars_per_word", "expected a non-negative integer");
  }
  wordpiece.max_input_chars_per_word_ = static_cast<size_t>(max_chars);
  return wordpiece;
}

void WordPieceModel::Tokenize(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  // Byte offsets of the characters, and one past the end.
  std::vector<size_t> boundaries;
  for (size_t pos = 0; pos < word.size();) {
    boundaries.push_back(pos);
    size_t length = 0;
    unicode::DecodeAt(word, pos, &length);
    pos += length;
  }
  const size_t char_count = boundaries.size();
  boundaries.push_back(word.size());
  if (char_count > max_input_chars_per_word_) {
    ids->push_back(unk_id_);
    return;
  }
  std::vector<int32_t> pieces;
  std::string candidate;
  size_t start = 0;  // index into boundaries
  while (start < char_count) {
    size_t end = char_count;
    std::optional<int32_t> found;
    for (; end > start; --end) {
      candidate.assign(start > 0 ? continuing_subword_prefix_ : std::string());
      candidate.append(word.substr(boundaries[start], boundaries[end] - boundaries[start]));
      found = vocab_.Find(candidate);
      if (found) break;
    }
    if (!found) {
      ids->push_back(unk_id_);  // one unknown piece makes the whole word unknown
      return;
    }
    pieces.push_back(*found);
    start = end;
  }
  ids->insert(ids->end(), pieces.begin(), pieces.end());
}

}  // namespace emoscope
