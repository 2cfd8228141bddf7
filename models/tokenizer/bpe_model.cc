#include "models/tokenizer/bpe_model.h"

#include <fmt/format.h>

#include <queue>

#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

constexpr uint32_t kDenseCharLimit = 0x10000;

}  // namespace

BpeModel BpeModel::Parse(const nlohmann::json& model, const JsonReader& reader, ModelTables* tables) {
  const std::string field = "model";
  BpeModel bpe;
  std::vector<VocabEntry> vocab_entries;
  if (tables != nullptr && tables->has_vocab) {
    vocab_entries = std::move(tables->vocab);
  } else {
    const nlohmann::json& vocab = reader.Member(model, field, "vocab");
    if (!vocab.is_object()) reader.Fail("model.vocab", "expected an object of token: id");
    vocab_entries = VocabEntriesOf(vocab);
  }
  bpe.vocab_ = Vocabulary::FromEntries(std::move(vocab_entries), "model.vocab", reader);

  bpe.continuing_subword_prefix_ = reader.OptionalString(model, field, "continuing_subword_prefix", "");
  bpe.end_of_word_suffix_ = reader.OptionalString(model, field, "end_of_word_suffix", "");
  bpe.fuse_unk_ = reader.Bool(model, field, "fuse_unk", false);
  bpe.byte_fallback_ = reader.Bool(model, field, "byte_fallback", false);
  bpe.ignore_merges_ = reader.Bool(model, field, "ignore_merges", false);
  if (const nlohmann::json* unk = reader.OptionalMember(model, field, "unk_token")) {
    if (!unk->is_string()) reader.Fail("model.unk_token", "expected a string");
    bpe.unk_id_ = bpe.vocab_.Find(unk->get_ref<const std::string&>());
    if (!bpe.unk_id_)
      reader.Fail("model.unk_token", "'" + unk->get<std::string>() + "' is not in model.vocab");
  }

  std::vector<MergeEntry> merges;
  if (tables != nullptr && tables->has_merges) {
    merges = std::move(tables->merges);
  } else {
    merges = MergeEntriesOf(reader.Array(model, field, "merges"));
  }
  bpe.merges_.reserve(merges.size());
  const size_t prefix_length = bpe.continuing_subword_prefix_.size();
  std::string merged;  // reused: the merges are looked up without a copy of their strings
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto merge_field = [&] { return JsonReader::Index("model.merges", rank); };
    const MergeEntry& merge = merges[rank];
    std::string_view left = merge.left;
    std::string_view right = merge.right;
    if (merge.kind == MergeEntry::Kind::kLine) {
      // The older layout: "left right", one space.
      const std::string_view line = merge.left;
      const size_t space = line.find(' ');
      if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos) {
        reader.Fail(merge_field(), "expected two tokens separated by one space, got '" + merge.left + "'");
      }
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (merge.kind == MergeEntry::Kind::kMalformed) {
      reader.Fail(merge_field(), "expected \"left right\" or [\"left\", \"right\"]");
    }
    const std::optional<int32_t> left_id = bpe.vocab_.Find(left);
    if (!left_id) reader.Fail(merge_field(), "merges unknown token '" + std::string(left) + "'");
    const std::optional<int32_t> right_id = bpe.vocab_.Find(right);
    if (!right_id) reader.Fail(merge_field(), "merges unknown token '" + std::string(right) + "'");
    if (right.size() < prefix_length) {
      reader.Fail(merge_field(),
                  "token '" + std::string(right) + "' is shorter than continuing_subword_prefix");
    }
    merged.assign(left);
    merged.append(right.substr(prefix_length));
    const std::optional<int32_t> merged_id = bpe.vocab_.Find(merged);
    if (!merged_id) reader.Fail(merge_field(), "merged token '" + merged + "' is not in model.vocab");
    // A repeated pair keeps its last rank, as in the library's map.
    bpe.merges_[PairKey(*left_id, *right_id)] = {static_cast<uint32_t>(rank), *merged_id};
  }

  bpe.bmp_char_ids_.assign(kDenseCharLimit, -1);
  bpe.vocab_.ForEach([&](std::string_view token, int32_t id) {
    size_t length = 0;
    if (token.empty()) return;
    const uint32_t cp = unicode::DecodeAt(token, 0, &length);
    if (length == token.size() && cp < kDenseCharLimit) bpe.bmp_char_ids_[cp] = id;
  });
  bpe.byte_fallback_ids_.assign(256, -1);
  for (int byte = 0; byte < 256; ++byte) {
    if (const auto found = bpe.vocab_.Find(fmt::format("<0x{:02X}>", byte)))
      bpe.byte_fallback_ids_[byte] = *found;
  }
  return bpe;
}

int32_t BpeModel::CharId(std::string_view word, size_t pos, size_t length, uint32_t code_point) const {
  const bool add_prefix = !continuing_subword_prefix_.empty() && pos != 0;
  const bool add_suffix = !end_of_word_suffix_.empty() && pos + length == word.size();
  if (!add_prefix && !add_suffix) {
    if (code_point < kDenseCharLimit) return bmp_char_ids_[code_point];
    return vocab_.Find(word.substr(pos, length)).value_or(-1);
  }
  std::string token = add_prefix ? continuing_subword_prefix_ : std::string();
  token.append(word.substr(pos, length));
  if (add_suffix) token += end_of_word_suffix_;
  return vocab_.Find(token).value_or(-1);
}

void BpeModel::Tokenize(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const auto found = vocab_.Find(word)) {
      ids->push_back(*found);
      return;
    }
  }
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  bool pending_unk = false;  // An unk waiting to be emitted (fuse_unk extends it).
  size_t pos = 0;
  while (pos < word.size()) {
    size_t length = 0;
    const uint32_t cp = unicode::DecodeAt(word, pos, &length);
    const int32_t id = CharId(word, pos, length, cp);
    const size_t char_pos = pos;
    pos += length;
    if (id >= 0) {
      if (pending_unk) symbols.push_back(*unk_id_);
      pending_unk = false;
      symbols.push_back(id);
      continue;
    }
    if (byte_fallback_) {
      // The fallback covers the character's bytes as the vocabulary would have spelled it.
      std::string spelled =
          !continuing_subword_prefix_.empty() && char_pos != 0 ? continuing_subword_prefix_ : "";
      spelled.append(word.substr(char_pos, length));
      if (!end_of_word_suffix_.empty() && pos == word.size()) spelled += end_of_word_suffix_;
      bool all_found = true;
      for (char c : spelled) all_found = all_found && byte_fallback_ids_[static_cast<uint8_t>(c)] >= 0;
      if (all_found) {
        // The library leaves an unk before a byte-fallback character pending (see below).
        for (char c : spelled) symbols.push_back(byte_fallback_ids_[static_cast<uint8_t>(c)]);
        continue;
      }
    }
    if (!unk_id_) continue;  // No unk token: the character is dropped.
    if (pending_unk && !fuse_unk_) symbols.push_back(*unk_id_);
    pending_unk = true;
  }
  if (pending_unk) symbols.push_back(*unk_id_);
  MergeAll(&symbols);
  ids->insert(ids->end(), symbols.begin(), symbols.end());
}

void BpeModel::MergeAll(std::vector<int32_t>* symbols) const {
  const int n = static_cast<int>(symbols->size());
  if (n < 2) return;
  std::vector<int32_t>& id = *symbols;
  std::vector<int> prev(n);
  std::vector<int> next(n);
  std::vector<bool> alive(n, true);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  // Lowest rank first, then leftmost. An entry is validated when popped by the id the merge
  // would produce, exactly as the library does (stale entries are skipped).
  struct Candidate {
    uint32_t rank;
    int pos;
    int32_t new_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  for (int i = 0; i + 1 < n; ++i) {
    if (const Merge* merge = FindMerge(id[i], id[i + 1])) queue.push({merge->rank, i, merge->new_id});
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int right = next[top.pos];
    const Merge* current = FindMerge(id[top.pos], id[right]);
    if (current == nullptr || current->new_id != top.new_id) continue;
    id[top.pos] = top.new_id;
    alive[right] = false;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    if (prev[top.pos] >= 0) {
      if (const Merge* merge = FindMerge(id[prev[top.pos]], id[top.pos])) {
        queue.push({merge->rank, prev[top.pos], merge->new_id});
      }
    }
    if (next[top.pos] >= 0) {
      if (const Merge* merge = FindMerge(id[top.pos], id[next[top.pos]])) {
        queue.push({merge->rank, top.pos, merge->new_id});
      }
    }
  }
  size_t out = 0;
  for (int i = 0; i < n; ++i) {
    if (alive[i]) id[out++] = id[i];
  }
  id.resize(out);
}

}  // namespace emoscope
