// tokenizer.json parsed in one pass. The two big tables, model.vocab (when an object) and
// model.merges (when an array), go straight into flat lists instead of the JSON tree: a large
// vocabulary as a tree costs most of the load time (a map node per token, an array per merge).
// Everything else becomes the usual nlohmann::json tree, with an empty placeholder where a
// table was taken out. Pure function of the text; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace emoscope {

struct VocabEntry {
  std::string token;
  int64_t id = 0;
  bool is_integer = true;  // false: the value was not an integer (id is then meaningless)
};

struct MergeEntry {
  enum class Kind {
    kLine,       // "left right": the whole line in `left`
    kPair,       // ["left", "right"]
    kMalformed,  // anything else
  };
  Kind kind = Kind::kLine;
  std::string left;
  std::string right;
};

struct ModelTables {
  bool has_vocab = false;         // model.vocab was an object, taken out into `vocab`
  std::vector<VocabEntry> vocab;  // file order
  bool has_merges = false;        // model.merges was an array, taken out into `merges`
  std::vector<MergeEntry> merges;
};

struct TokenizerDocument {
  nlohmann::json json;
  ModelTables tables;
};

// Throws nlohmann::json::exception when the text is not valid JSON.
TokenizerDocument ParseTokenizerDocument(const std::string& text);

// The same lists read from JSON values (the vocab object, the merges array), for models given
// as a tree.
std::vector<VocabEntry> VocabEntriesOf(const nlohmann::json& vocab);
std::vector<MergeEntry> MergeEntriesOf(const nlohmann::json& merges);

}  // namespace emoscope
