#include "models/tokenizer/vocabulary.h"

#include <fmt/format.h>

namespace emoscope {

Vocabulary Vocabulary::FromEntries(std::vector<VocabEntry> entries, const std::string& field,
                                   const JsonReader& reader) {
  Vocabulary out;
  // A token given twice keeps its last id: only that entry counts.
  std::vector<bool> is_last(entries.size(), true);
  {
    std::unordered_map<std::string_view, size_t> last_entry;
    last_entry.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto [it, inserted] = last_entry.emplace(entries[i].token, i);
      if (!inserted) {
        is_last[it->second] = false;
        it->second = i;
      }
    }
  }
  // First the ids (so tokens_ gets its final size), then the views into it.
  for (size_t i = 0; i < entries.size(); ++i) {
    VocabEntry& entry = entries[i];
    const auto token_field = [&] { return field + "[" + nlohmann::json(entry.token).dump() + "]"; };
    if (!entry.is_integer) reader.Fail(token_field(), "expected an integer token id");
    const int64_t id = entry.id;
    if (id < 0 || id > INT32_MAX)
      reader.Fail(token_field(), "token id " + std::to_string(id) + " is out of range");
    if (!is_last[i]) continue;
    if (static_cast<size_t>(id) >= out.tokens_.size()) {
      out.tokens_.resize(id + 1);
      out.has_token_.resize(id + 1, false);
    }
    if (out.has_token_[id]) {
      reader.Fail(token_field(), fmt::format("id {} is also given to '{}'", id, out.tokens_[id]));
    }
    out.has_token_[id] = true;
    out.tokens_[id] = std::move(entry.token);
  }
  out.ids_.reserve(entries.size());
  for (size_t id = 0; id < out.tokens_.size(); ++id) {
    if (out.has_token_[id]) out.ids_.emplace(out.tokens_[id], static_cast<int32_t>(id));
  }
  return out;
}

}  // namespace emoscope
