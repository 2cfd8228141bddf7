// Hugging Face tokenizer.json files (the tokenizers library's format), read in C++ and giving
// exactly the library's token ids. See docs/tokenizers.md for what is supported.
//
// Ownership and threading: a Tokenizer is immutable after loading; copies share the loaded
// state, and every method may be called from several threads at once.
// Errors: loading throws emoscope::Error naming the file and the JSON field at fault. Encode
// accepts any bytes (invalid UTF-8 included) and never throws for them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace emoscope {

class Tokenizer {
 public:
  static Tokenizer FromFile(const std::string& tokenizer_json_path);  // Error names file + field
  static Tokenizer FromFolder(const std::string& dir);                // dir/tokenizer.json
  // Token ids of `text`. Added/special tokens in the text are matched first, as the tokenizers
  // library does (special and non-special added tokens, honouring lstrip/rstrip/single_word/
  // normalized). With add_special_tokens, the post_processor's template (e.g. Llama's BOS) is
  // applied as Hugging Face's tokenizer(text) does by default.
  std::vector<int32_t> Encode(const std::string& text, bool add_special_tokens = true) const;
  // Text of `ids` through the decoder, as the library's decode does (ids with no token are
  // skipped; invalid UTF-8 in the result becomes U+FFFD). Error for an id below 0 or at or
  // above vocab_size().
  std::string Decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;
  int32_t vocab_size() const;                       // base vocab + added tokens (max id + 1)
  std::optional<int32_t> TokenToId(const std::string& token) const;
  std::string IdToToken(int32_t id) const;          // Error on out-of-range id
  bool IsSpecial(int32_t id) const;

  // The file this tokenizer was loaded from.
  const std::string& path() const;

  struct Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  // Shared, never mutated: copies are cheap and thread-safe.
  std::shared_ptr<const Impl> impl_;
};

// Writes a GPT-2-style byte-level BPE tokenizer.json: 256 byte tokens (GPT-2's byte-to-unicode
// map; token id b spells byte b), then one token per merge (a merge whose result is already a
// token adds none), then the given special tokens as added tokens (special: true). Error naming
// the merge when a merge uses a token not defined before it.
// Used by `emoscope model init` for tiny test models and by the trainer below.
void WriteByteLevelBpeTokenizer(const std::string& path,
                                const std::vector<std::pair<std::string, std::string>>& merges,
                                const std::vector<std::string>& special_tokens);
// Learns `num_merges` byte-level BPE merges from a corpus (GPT-2 pre-tokenization), seeded and
// deterministic; returns merges in the byte-level unicode alphabet, ready for the writer above.
// Returns fewer merges when the corpus has no pair left to merge. Ties between equally frequent
// pairs go to the pair whose two strings sort first.
std::vector<std::pair<std::string, std::string>> TrainByteLevelBpe(const std::vector<std::string>& texts,
                                                                   int num_merges);

}  // namespace emoscope
