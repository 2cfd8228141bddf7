// Tokenizers with other pre-tokenizer regexes and with WordPiece against Hugging Face's
// tokenizers library itself: small tokenizer.json files and the ids (and decoded text) the
// library gives for varied strings, written by scripts/gen_tokenizer_references.js into
// tests/models/data/reference_tokenizers/.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "models/tokenizer/tokenizer.h"

namespace {

const std::string kDataDir = std::string(EMOSCOPE_TOKENIZER_TEST_DATA) + "/reference_tokenizers";

const nlohmann::json& Expected() {
  static const nlohmann::json expected =
      nlohmann::json::parse(emoscope::ReadFile(kDataDir + "/expected.json"));
  return expected;
}

// Every string of `name` encodes to the library's ids, and those decode (special tokens
// skipped) to the library's text.
void CheckAgainstLibrary(const std::string& name) {
  const emoscope::Tokenizer tokenizer = emoscope::Tokenizer::FromFile(kDataDir + "/" + name + ".json");
  const nlohmann::json& cases = Expected().at(name);
  REQUIRE(cases.size() >= 150);
  for (const nlohmann::json& entry : cases) {
    const std::string text = entry.at("text");
    INFO(name << ": " << nlohmann::json(text).dump());
    REQUIRE(tokenizer.Encode(text) == entry.at("ids").get<std::vector<int32_t>>());
    REQUIRE(tokenizer.Decode(entry.at("ids").get<std::vector<int32_t>>(), /*skip_special_tokens=*/true) ==
            entry.at("decoded").get<std::string>());
  }
}

}  // namespace

TEST_CASE("a byte-level BPE tokenizer with GPT-4o's o200k regex gives the library's ids",
          "[tokenizer][reference]") {
  CheckAgainstLibrary("o200k_bpe");
}

TEST_CASE("a byte-level BPE tokenizer with Mistral's tekken regex gives the library's ids",
          "[tokenizer][reference]") {
  CheckAgainstLibrary("tekken_bpe");
}

TEST_CASE("a byte-level BPE tokenizer with DeepSeek V3's sequence of Split regexes gives the library's ids",
          "[tokenizer][reference]") {
  CheckAgainstLibrary("deepseek_bpe");
}

TEST_CASE("a BERT uncased WordPiece tokenizer gives the library's ids and decoded text",
          "[tokenizer][reference]") {
  CheckAgainstLibrary("bert_uncased");
}
