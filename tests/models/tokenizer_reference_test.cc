// Tokenizers with other pre-tokenizer regexes and with WordPiece against Hugging Face's
// tokenizers library itself: small tokenizer.json files and the ids (and decoded text) the
// library gives for varied strings, written by scripts/gen_tokenizer_references.js into
// tests/models/data/reference_tokenizers/.
#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "models/tokenizer/tokenizer.h"
#include "tests/support/test_support.h"

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

TEST_CASE("BERT cased and lowercase-with-accents WordPiece tokenizers give the library's ids",
          "[tokenizer][reference]") {
  CheckAgainstLibrary("bert_cased");
  CheckAgainstLibrary("bert_lowercase_accents");
}

TEST_CASE(
    "WordPiece after the Whitespace, WhitespaceSplit and Punctuation pre-tokenizers gives the library's ids",
    "[tokenizer][reference]") {
  CheckAgainstLibrary("wordpiece_whitespace");
  CheckAgainstLibrary("wordpiece_whitespace_split");
}

TEST_CASE("a WordPiece file with its unk_token missing or a bad field is refused naming the field",
          "[tokenizer][reference]") {
  const nlohmann::json good = nlohmann::json::parse(emoscope::ReadFile(kDataDir + "/bert_uncased.json"));
  emoscope::testing::TempDir dir;
  const std::string path = dir.File("tokenizer.json");
  const auto error_of = [&](const nlohmann::json& json) {
    emoscope::WriteFileAtomic(path, json.dump());
    try {
      emoscope::Tokenizer::FromFile(path);
    } catch (const emoscope::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  nlohmann::json json = good;
  json["model"]["unk_token"] = "<unk>";
  CHECK_THAT(error_of(json),
             Catch::Contains(path) && Catch::Contains("model.unk_token") && Catch::Contains("<unk>"));
  json = good;
  json["model"]["max_input_chars_per_word"] = -1;
  CHECK_THAT(error_of(json), Catch::Contains("model.max_input_chars_per_word"));
  json = good;
  json["model"]["vocab"]["##zz"] = "x";
  CHECK_THAT(error_of(json), Catch::Contains("model.vocab[\"##zz\"]"));
  json = good;
  json["normalizer"]["lowercase"] = "yes";
  CHECK_THAT(error_of(json), Catch::Contains("normalizer.lowercase"));
  json = good;
  json["pre_tokenizer"] = {{"type", "Punctuation"}, {"behavior", "Sideways"}};
  CHECK_THAT(error_of(json), Catch::Contains("pre_tokenizer.behavior") && Catch::Contains("Sideways"));
  // A word longer than max_input_chars_per_word is unknown whole.
  json = good;
  json["model"]["max_input_chars_per_word"] = 3;
  emoscope::WriteFileAtomic(path, json.dump());
  const emoscope::Tokenizer tokenizer = emoscope::Tokenizer::FromFile(path);
  CHECK(tokenizer.Encode("abcd", /*add_special_tokens=*/false) ==
        std::vector<int32_t>{*tokenizer.TokenToId("[UNK]")});
}

TEST_CASE("one tokenizer with engine regexes encodes from several threads at once with the same ids",
          "[tokenizer][reference]") {
  const emoscope::Tokenizer tokenizer = emoscope::Tokenizer::FromFile(kDataDir + "/deepseek_bpe.json");
  const nlohmann::json& cases = Expected().at("deepseek_bpe");
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> expected;
  for (const nlohmann::json& entry : cases) {
    texts.push_back(entry.at("text"));
    expected.push_back(entry.at("ids").get<std::vector<int32_t>>());
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 5; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (tokenizer.Encode(texts[i]) != expected[i]) ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(mismatches == 0);
}
