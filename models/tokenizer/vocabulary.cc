#include "models/tokenizer/vocabulary.h"

#include <fmt/format.h>

namespace emoscope {

Vocabulary Vocabulary::Parse(const nlohmann::json& vocab, const std::string& field,
                             const JsonReader& reader) {
  if (!vocab.is_object()) reader.Fail(field, "expected an object of token: id");
  Vocabulary out;
  // First the ids (so tokens_ gets its final size), then the views into it.
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const auto token_field = [&] { return field + "[" + nlohmann::json(it.key()).dump() + "]"; };
    if (!it.value().is_number_integer()) reader.Fail(token_field(), "expected an integer token id");
    const int64_t id = it.value().get<int64_t>();
    if (id < 0 || id > INT32_MAX)
      reader.Fail(token_field(), "token id " + std::to_string(id) + " is out of range");
    if (static_cast<size_t>(id) >= out.tokens_.size()) {
      out.tokens_.resize(id + 1);
      out.has_token_.resize(id + 1, false);
    }
    if (out.has_token_[id]) {
      reader.Fail(token_field(), fmt::format("id {} is also given to '{}'", id, out.tokens_[id]));
    }
    out.has_token_[id] = true;
    out.tokens_[id] = it.key();
  }
  out.ids_.reserve(vocab.size());
  for (size_t id = 0; id < out.tokens_.size(); ++id) {
    if (out.has_token_[id]) out.ids_.emplace(out.tokens_[id], static_cast<int32_t>(id));
  }
  return out;
}

}  // namespace emoscope
