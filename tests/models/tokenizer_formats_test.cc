// The tokenizer on hand-made tokenizer.json files of each family's layout (ids checked by hand,
// derivations in tests/models/tiny_tokenizers.h and below) and on malformed files.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "common/error.h"
#include "common/file_util.h"
#include "models/tokenizer/tokenizer.h"
#include "models/tokenizer/unicode.h"
#include "tests/models/tiny_tokenizers.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::Tokenizer;
using Ids = std::vector<int32_t>;

Tokenizer Load(const emoscope::testing::TempDir& dir, const nlohmann::json& json) {
  const std::string path = dir.File("tokenizer.json");
  emoscope::WriteFileAtomic(path, json.dump());
  return Tokenizer::FromFile(path);
}

const std::string kRegexPointer = "/pre_tokenizer/pretokenizers/0/pattern/Regex";

}  // namespace

TEST_CASE("a Llama-2-style tokenizer prepends the space marker, falls back to bytes and adds BOS",
          "[tokenizer][llama2]") {
  emoscope::testing::TempDir dir;
  const Tokenizer tokenizer = Load(dir, emoscope::testing::TinyLlama2Tokenizer());
  CHECK(tokenizer.vocab_size() == 277);
  // "▁hello▁world": ▁h, ll, ▁he, llo, ▁hello, then ▁w, or, ▁wor, ld, ▁world.
  CHECK(tokenizer.Encode("hello world") == Ids{1, 271, 276});
  CHECK(tokenizer.Encode("hello world", /*add_special_tokens=*/false) == Ids{271, 276});
  CHECK(tokenizer.Encode("") == Ids{1});
  // "\n" is not in the vocabulary: byte fallback <0x0A> = 3 + 10.
  CHECK(tokenizer.Encode("hello\n") == Ids{1, 271, 13});
  // "i" falls back to <0x69>; ▁h cannot merge with it.
  CHECK(tokenizer.Encode("hi") == Ids{1, 267, 3 + 0x69});
  // 日 is E6 97 A5; ▁ alone is 259.
  CHECK(tokenizer.Encode("\xE6\x97\xA5") == Ids{1, 259, 3 + 0xE6, 3 + 0x97, 3 + 0xA5});
  // <s> in the text is the special token; the normalizer prepends ▁ to the text after it too.
  CHECK(tokenizer.Encode("<s>hello") == Ids{1, 1, 271});

  CHECK(tokenizer.Decode({1, 271, 276}) == "<s> hello world");
  CHECK(tokenizer.Decode({1, 271, 276}, /*skip_special_tokens=*/true) == "hello world");
  CHECK(tokenizer.Decode({1, 271, 13}, true) == "hello\n");
  CHECK(tokenizer.Decode({3 + 0xE6, 3 + 0x97, 3 + 0xA5}) == "\xE6\x97\xA5");
  CHECK(tokenizer.Decode({3 + 0xE6}) == "\xEF\xBF\xBD");  // an incomplete character
  CHECK(tokenizer.TokenToId("<s>") == 1);
  CHECK(tokenizer.IsSpecial(1));
  CHECK_FALSE(tokenizer.IsSpecial(271));
}

TEST_CASE("without byte fallback unknown characters become <unk>, fused when fuse_unk is set",
          "[tokenizer][llama2]") {
  emoscope::testing::TempDir dir;
  nlohmann::json json = emoscope::testing::TinyLlama2Tokenizer();
  json["model"]["byte_fallback"] = false;
  // "▁hié": i and é are unknown.
  CHECK(Load(dir, json).Encode("hi\xC3\xA9", false) == Ids{267, 0});
  json["model"]["fuse_unk"] = false;
  CHECK(Load(dir, json).Encode("hi\xC3\xA9", false) == Ids{267, 0, 0});
  json["model"]["unk_token"] = nullptr;  // no unk token: unknown characters are dropped
  CHECK(Load(dir, json).Encode("hi\xC3\xA9", false) == Ids{267});
}

TEST_CASE("a Metaspace pre-tokenizer honours prepend_scheme first, always and split", "[tokenizer][llama2]") {
  emoscope::testing::TempDir dir;
  nlohmann::json json = emoscope::testing::TinyLlama2Tokenizer();
  json["normalizer"] = nullptr;
  json["pre_tokenizer"] = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}, {"split", false}};
  const Tokenizer first = Load(dir, json);
  CHECK(first.Encode("hello world", false) == Ids{271, 276});
  // After <s> the text does not start the input: no ▁ is prepended, so "hello" stays apart.
  CHECK(first.Encode("<s>hello world", false) == Ids{1, 260, 261, 270, 276});
  json["pre_tokenizer"]["prepend_scheme"] = "always";
  CHECK(Load(dir, json).Encode("<s>hello world", false) == Ids{1, 271, 276});
  json["pre_tokenizer"]["split"] = true;
  // "▁hello▁▁world" splits into "▁hello", "▁", "▁world".
  CHECK(Load(dir, json).Encode("hello  world", false) == Ids{271, 259, 276});
}

TEST_CASE("an added token with lstrip and rstrip takes the spaces around it", "[tokenizer][added]") {
  emoscope::testing::TempDir dir;
  nlohmann::json json = emoscope::testing::TinyLlama2Tokenizer();
  json["added_tokens"].push_back({{"id", 277},
                                  {"content", "<mask>"},
                                  {"single_word", false},
                                  {"lstrip", true},
                                  {"rstrip", true},
                                  {"normalized", false},
                                  {"special", false}});
  const Tokenizer tokenizer = Load(dir, json);
  CHECK(tokenizer.vocab_size() == 278);
  CHECK(tokenizer.Encode("hello <mask> world", false) == Ids{271, 277, 276});
  CHECK(tokenizer.Decode({271, 277, 276}, /*skip_special_tokens=*/true) == "hello<mask> world");
}

TEST_CASE("a Llama-3-style tokenizer splits with its regex, ignores merges for whole words and adds BOS",
          "[tokenizer][llama3]") {
  emoscope::testing::TempDir dir;
  nlohmann::json json = emoscope::testing::TinyLlama3Tokenizer();
  const Tokenizer tokenizer = Load(dir, json);
  CHECK(tokenizer.vocab_size() == 303);
  CHECK(tokenizer.Encode("hello") == Ids{300, 258});               // whole word in the vocabulary
  CHECK(tokenizer.Encode("12345", false) == Ids{261, 262});        // \p{N}{1,3}: "123", "45"
  CHECK(tokenizer.Encode("'TIS", false) == Ids{39, 84, 73, 83});   // (?i) contraction "'T", then "IS"
  CHECK(tokenizer.Encode("x\n\ny", false) == Ids{120, 264, 121});  // \s*[\r\n]+ keeps "\n\n" together
  CHECK(tokenizer.Encode("(hi", false) == Ids{265, 105});          // punctuation joins the word after it
  CHECK(tokenizer.Encode("a <tool> b", false) == Ids{97, 32, 302, 32, 98});
  CHECK(tokenizer.Encode("a<tool>b", false) == Ids{97, 60, 116, 111, 111, 108, 62, 98});  // not a single word
  CHECK(tokenizer.Encode("<|eot_id|>hello", false) == Ids{301, 258});

  const std::string text = "Hello, world! 12345 \xE6\x97\xA5\xE6\x9C\xAC <|eot_id|>";
  CHECK(tokenizer.Decode(tokenizer.Encode(text)) == "<|begin_of_text|>" + text);
  CHECK(tokenizer.Decode(tokenizer.Encode(text), /*skip_special_tokens=*/true) ==
        "Hello, world! 12345 \xE6\x97\xA5\xE6\x9C\xAC ");

  json["model"]["ignore_merges"] = false;
  CHECK(Load(dir, json).Encode("hello", false) == Ids{256, 257, 111});
}

TEST_CASE("a Qwen2-style tokenizer splits digits one by one and applies NFC", "[tokenizer][qwen2]") {
  emoscope::testing::TempDir dir;
  nlohmann::json json = emoscope::testing::TinyLlama3Tokenizer();
  json["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  json["normalizer"] = {{"type", "NFC"}};
  const Tokenizer tokenizer = Load(dir, json);
  CHECK(tokenizer.Encode("12345", false) == Ids{49, 50, 51, 52, 53});
  CHECK(tokenizer.Encode("e\xCC\x81", false) == Ids{0xC3, 0xA9});                       // e + acute -> é
  CHECK(tokenizer.Encode("\xE1\x84\x80\xE1\x85\xA1", false) == Ids{0xEA, 0xB0, 0x80});  // jamo -> 가
  CHECK(tokenizer.Encode("\xC3\xA9", false) == Ids{0xC3, 0xA9});                        // already NFC
}

TEST_CASE("malformed tokenizer.json files are errors naming the file and the field", "[tokenizer][errors]") {
  emoscope::testing::TempDir dir;
  const std::string path = dir.File("tokenizer.json");
  const auto error_of = [&](const std::string& content) -> std::string {
    emoscope::WriteFileAtomic(path, content);
    try {
      Tokenizer::FromFile(path);
    } catch (const emoscope::Error& e) {
      return e.what();
    }
    return "no error";
  };
  const auto error_of_json = [&](const nlohmann::json& json) { return error_of(json.dump()); };
  const nlohmann::json good = emoscope::testing::TinyLlama3Tokenizer();

  CHECK_THAT(error_of("{\"model\": "), Catch::Contains(path) && Catch::Contains("not valid JSON"));
  CHECK_THAT(error_of("[1, 2]"), Catch::Contains(path) && Catch::Contains("expected a JSON object"));

  nlohmann::json json = good;
  json.erase("model");
  CHECK_THAT(error_of_json(json), Catch::Contains(path) && Catch::Contains("model: missing"));

  json = good;
  json["model"]["type"] = "Unigram";
  CHECK_THAT(error_of_json(json),
             Catch::Contains(path) && Catch::Contains("model.type") && Catch::Contains("Unigram"));

  json = good;
  json["model"]["merges"].push_back(nlohmann::json::array({"h", "zz"}));
  CHECK_THAT(error_of_json(json),
             Catch::Contains(path) && Catch::Contains("model.merges[9]") && Catch::Contains("'zz'"));
  json = good;
  json["model"]["merges"] = {"h e", "he"};
  CHECK_THAT(error_of_json(json), Catch::Contains("model.merges[1]"));

  json = good;
  json["model"]["vocab"]["x"] = "seven";
  CHECK_THAT(error_of_json(json), Catch::Contains("model.vocab[\"x\"]"));

  json = good;
  json["added_tokens"][1]["id"] = "301";
  CHECK_THAT(error_of_json(json), Catch::Contains(path) && Catch::Contains("added_tokens[1].id"));
  json = good;
  json["added_tokens"][2].erase("content");
  CHECK_THAT(error_of_json(json), Catch::Contains("added_tokens[2].content: missing"));
  json = good;
  json["added_tokens"][0]["content"] = "";
  CHECK_THAT(error_of_json(json), Catch::Contains("added_tokens[0].content"));

  json = good;
  json[nlohmann::json::json_pointer(kRegexPointer)] = "(\\w+";
  CHECK_THAT(error_of_json(json), Catch::Contains("pre_tokenizer.pretokenizers[0].pattern.Regex") &&
                                      Catch::Contains("(\\\\w+") && Catch::Contains("does not compile"));
  json = good;
  json["normalizer"] = {{"type", "NFKC"}};
  CHECK_THAT(error_of_json(json), Catch::Contains("normalizer.type") && Catch::Contains("NFKC"));
  json = good;
  json["decoder"] = {{"type", "CTC"}};
  CHECK_THAT(error_of_json(json), Catch::Contains("decoder.type"));
  json = good;
  json["post_processor"]["processors"][1]["single"][0]["SpecialToken"]["id"] = "<nope>";
  CHECK_THAT(error_of_json(json),
             Catch::Contains("post_processor.processors[1].special_tokens.<nope>: missing"));
  json = good;
  json["model"]["unk_token"] = "<unk>";
  CHECK_THAT(error_of_json(json), Catch::Contains("model.unk_token"));

  REQUIRE_THROWS_WITH(Tokenizer::FromFolder(dir.File("absent")), Catch::Contains("absent"));
}

TEST_CASE("random bytes, invalid UTF-8 included, encode and decode without error in every layout",
          "[tokenizer][robustness]") {
  emoscope::testing::TempDir dir;
  nlohmann::json metaspace = emoscope::testing::TinyLlama2Tokenizer();
  metaspace["normalizer"] = nullptr;
  metaspace["pre_tokenizer"] = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}};
  nlohmann::json qwen = emoscope::testing::TinyLlama3Tokenizer();
  qwen["normalizer"] = {{"type", "NFC"}};
  std::vector<Tokenizer> tokenizers;
  for (const nlohmann::json& json : {emoscope::testing::TinyLlama2Tokenizer(), metaspace,
                                     emoscope::testing::TinyLlama3Tokenizer(), qwen}) {
    const std::string path = dir.File("t" + std::to_string(tokenizers.size()) + ".json");
    emoscope::WriteFileAtomic(path, json.dump());
    tokenizers.push_back(Tokenizer::FromFile(path));
  }
  std::mt19937 rng(99);
  const std::string fragments[] = {"<s>", "<tool>",   "<|eot_id|>",   " ",
                                   "\n",  "\xCC\x81", "\xE2\x96\x81", "'T"};
  for (int trial = 0; trial < 400; ++trial) {
    std::string text;
    const size_t length = rng() % 24;
    for (size_t i = 0; i < length; ++i) {
      if (rng() % 4 == 0) {
        text += fragments[rng() % 8];
      } else {
        text.push_back(static_cast<char>(rng() % 256));
      }
    }
    for (const Tokenizer& tokenizer : tokenizers) {
      const std::vector<int32_t> ids = tokenizer.Encode(text);
      for (int32_t id : ids) REQUIRE((id >= 0 && id < tokenizer.vocab_size()));
      const std::string decoded = tokenizer.Decode(ids);
      REQUIRE(emoscope::unicode::IsValidUtf8(decoded));
    }
  }
}
