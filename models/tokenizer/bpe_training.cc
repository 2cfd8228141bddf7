// WriteByteLevelBpeTokenizer and TrainByteLevelBpe (declared in tokenizer.h).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "common/error.h"
#include "common/file_util.h"
#include "models/tokenizer/byte_level.h"
#include "models/tokenizer/split_patterns.h"
#include "models/tokenizer/tokenizer.h"

namespace emoscope {

void WriteByteLevelBpeTokenizer(const std::string& path,
                                const std::vector<std::pair<std::string, std::string>>& merges,
                                const std::vector<std::string>& special_tokens) {
  // ordered_json keeps ids in order in the file, which makes it readable.
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  int32_t next_id = 0;
  for (int byte = 0; byte < 256; ++byte) vocab[byte_level::ByteToUtf8(static_cast<uint8_t>(byte))] = next_id++;
  nlohmann::ordered_json merge_list = nlohmann::ordered_json::array();
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto& [left, right] = merges[i];
    for (const std::string* part : {&left, &right}) {
      if (!vocab.contains(*part)) {
        Fail("{}: merge {} ('{}', '{}') uses '{}', which is neither a byte nor made by an earlier merge", path, i,
             left, right, *part);
      }
    }
    if (left.find(' ') != std::string::npos || right.find(' ') != std::string::npos) {
      Fail("{}: merge {} has a space in a token; byte-level tokens spell space as U+0120", path, i);
    }
    if (!vocab.contains(left + right)) vocab[left + right] = next_id++;
    merge_list.push_back(left + " " + right);
  }
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (const std::string& token : special_tokens) {
    if (token.empty()) Fail("{}: a special token is empty", path);
    added.push_back({{"id", next_id++},
                     {"content", token},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  const nlohmann::ordered_json byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  nlohmann::ordered_json json;
  json["version"] = "1.0";
  json["truncation"] = nullptr;
  json["padding"] = nullptr;
  json["added_tokens"] = added;
  json["normalizer"] = nullptr;
  json["pre_tokenizer"] = byte_level;
  json["post_processor"] = byte_level;
  json["decoder"] = byte_level;
  json["model"] = {{"type", "BPE"},
                   {"dropout", nullptr},
                   {"unk_token", nullptr},
                   {"continuing_subword_prefix", nullptr},
                   {"end_of_word_suffix", nullptr},
                   {"fuse_unk", false},
                   {"byte_fallback", false},
                   {"ignore_merges", false},
                   {"vocab", vocab},
                   {"merges", merge_list}};
  WriteFileAtomic(path, json.dump(2) + "\n");
}

std::vector<std::pair<std::string, std::string>> TrainByteLevelBpe(const std::vector<std::string>& texts,
                                                                   int num_merges) {
  // Distinct pre-tokenized words with their counts; std::map keeps the order deterministic.
  std::map<std::string, int64_t> word_counts;
  for (const std::string& text : texts) {
    for (const Span& span : FindPatternMatches(KnownPattern::kGpt2, text)) {
      ++word_counts[text.substr(span.first, span.second - span.first)];
    }
  }
  // Symbols are indices into `symbols`; the first 256 are the bytes.
  std::vector<std::string> symbols;
  for (int byte = 0; byte < 256; ++byte) symbols.push_back(byte_level::ByteToUtf8(static_cast<uint8_t>(byte)));
  struct Word {
    std::vector<int32_t> parts;
    int64_t count;
  };
  std::vector<Word> words;
  for (const auto& [word, count] : word_counts) {
    Word entry{{}, count};
    for (char c : word) entry.parts.push_back(static_cast<uint8_t>(c));
    words.push_back(std::move(entry));
  }

  std::vector<std::pair<std::string, std::string>> merges;
  std::unordered_map<std::string, int32_t> symbol_ids;
  for (size_t i = 0; i < symbols.size(); ++i) symbol_ids[symbols[i]] = static_cast<int32_t>(i);
  for (int round = 0; round < num_merges; ++round) {
    // Recounting every round is quadratic but simple; the trainer serves tiny corpora (test
    // models), not production vocabularies.
    std::unordered_map<uint64_t, int64_t> pair_counts;
    for (const Word& word : words) {
      for (size_t i = 0; i + 1 < word.parts.size(); ++i) {
        pair_counts[(static_cast<uint64_t>(word.parts[i]) << 32) | static_cast<uint32_t>(word.parts[i + 1])] +=
            word.count;
      }
    }
    if (pair_counts.empty()) break;
    uint64_t best = 0;
    int64_t best_count = -1;
    for (const auto& [pair, count] : pair_counts) {
      const auto key = [&](uint64_t p) { return std::make_pair(symbols[p >> 32], symbols[p & 0xFFFFFFFFu]); };
      if (count > best_count || (count == best_count && key(pair) < key(best))) {
        best = pair;
        best_count = count;
      }
    }
    const int32_t left = static_cast<int32_t>(best >> 32);
    const int32_t right = static_cast<int32_t>(best & 0xFFFFFFFFu);
    const std::string merged = symbols[left] + symbols[right];
    int32_t merged_id;
    const auto existing = symbol_ids.find(merged);
    if (existing != symbol_ids.end()) {
      merged_id = existing->second;
    } else {
      merged_id = static_cast<int32_t>(symbols.size());
      symbols.push_back(merged);
      symbol_ids[merged] = merged_id;
    }
    merges.emplace_back(symbols[left], symbols[right]);
    for (Word& word : words) {
      std::vector<int32_t> parts;
      parts.reserve(word.parts.size());
      for (size_t i = 0; i < word.parts.size(); ++i) {
        if (i + 1 < word.parts.size() && word.parts[i] == left && word.parts[i + 1] == right) {
          parts.push_back(merged_id);
          ++i;
        } else {
          parts.push_back(word.parts[i]);
        }
      }
      word.parts = std::move(parts);
    }
  }
  return merges;
}

}  // namespace emoscope
