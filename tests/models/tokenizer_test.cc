// The tokenizer against reference data: GPT-2's real tokenizer.json and token ids from OpenAI's
// tiktoken (tests/fixtures README), decode round trips, and the byte-level writer and trainer.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <random>
#include <thread>

#include "common/error.h"
#include "common/file_util.h"
#include "models/tokenizer/tokenizer.h"
#include "models/tokenizer/unicode.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::Tokenizer;

struct Vector {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<Vector> LoadVectors(const std::string& path) {
  const nlohmann::json json = nlohmann::json::parse(emoscope::ReadFile(path));
  std::vector<Vector> vectors;
  for (const auto& entry : json) vectors.push_back({entry.at("text"), entry.at("ids")});
  return vectors;
}

// A random string of valid UTF-8 drawn from ASCII, Latin, CJK, combining marks, emoji and
// whitespace, so that every pre-tokenizer branch is exercised.
std::string RandomUtf8(std::mt19937& rng, size_t length) {
  static const std::vector<std::pair<uint32_t, uint32_t>> kRanges = {
      {0x20, 0x7E}, {0x20, 0x7E}, {0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x17F}, {0x300, 0x36F},
      {0x4E00, 0x4E80}, {0x1F600, 0x1F64F}, {0x2000, 0x206F}, {0x10000, 0x10FFFF}};
  std::string out;
  for (size_t i = 0; i < length; ++i) {
    const auto& range = kRanges[rng() % kRanges.size()];
    uint32_t cp = range.first + rng() % (range.second - range.first + 1);
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
    emoscope::unicode::AppendUtf8(cp, &out);
  }
  return out;
}

}  // namespace

TEST_CASE("GPT-2 ids match tiktoken for every reference vector, with both merge layouts", "[tokenizer]") {
  const auto vectors_path = emoscope::testing::RequireFixtures("tokenizers/gpt2/vectors.json");
  if (!vectors_path) return;
  const std::vector<Vector> vectors = LoadVectors(*vectors_path);
  REQUIRE(vectors.size() > 10);
  for (const std::string layout : {"gpt2", "gpt2-merge-pairs"}) {
    const auto path = emoscope::testing::RequireFixtures("tokenizers/" + layout + "/tokenizer.json");
    REQUIRE(path);
    const Tokenizer tokenizer = Tokenizer::FromFile(*path);
    CHECK(tokenizer.vocab_size() == 50257);
    for (const Vector& vector : vectors) {
      INFO(layout << ": " << vector.text);
      CHECK(tokenizer.Encode(vector.text) == vector.ids);
      CHECK(tokenizer.Decode(vector.ids) == vector.text);
    }
  }
}

TEST_CASE("GPT-2 matches the added token <|endoftext|> inside text and decodes it back", "[tokenizer]") {
  const auto path = emoscope::testing::RequireFixtures("tokenizers/gpt2/tokenizer.json");
  if (!path) return;
  const Tokenizer tokenizer = Tokenizer::FromFile(*path);
  CHECK(tokenizer.Encode("a<|endoftext|>b") == std::vector<int32_t>{64, 50256, 65});
  CHECK(tokenizer.IsSpecial(50256));
  CHECK_FALSE(tokenizer.IsSpecial(64));
  CHECK(tokenizer.Decode({64, 50256, 65}) == "a<|endoftext|>b");
  CHECK(tokenizer.Decode({64, 50256, 65}, /*skip_special_tokens=*/true) == "ab");
  CHECK(tokenizer.TokenToId("<|endoftext|>") == 50256);
  CHECK(tokenizer.TokenToId("\xC4\xA0the") == 262);  // "Ġthe"
  CHECK(tokenizer.IdToToken(262) == "\xC4\xA0the");
  CHECK_FALSE(tokenizer.TokenToId("no such token"));
  REQUIRE_THROWS_AS(tokenizer.IdToToken(50257), emoscope::Error);
  REQUIRE_THROWS_AS(tokenizer.IdToToken(-1), emoscope::Error);
  REQUIRE_THROWS_WITH(tokenizer.Decode({1, 99999}), Catch::Contains("99999"));
}

TEST_CASE("GPT-2 decode inverts encode for random UTF-8 and keeps invalid bytes apart", "[tokenizer]") {
  const auto path = emoscope::testing::RequireFixtures("tokenizers/gpt2/tokenizer.json");
  if (!path) return;
  const Tokenizer tokenizer = Tokenizer::FromFile(*path);
  std::mt19937 rng(20261124);
  for (int trial = 0; trial < 300; ++trial) {
    const std::string text = RandomUtf8(rng, 1 + rng() % 40);
    INFO("trial " << trial);
    REQUIRE(tokenizer.Decode(tokenizer.Encode(text)) == text);
  }
  // Invalid UTF-8 encodes without trouble; the decoded text replaces the bad bytes.
  const std::string invalid = "ok \xFF\xC3 end \xE6\x97";
  const std::vector<int32_t> ids = tokenizer.Encode(invalid);
  CHECK_FALSE(ids.empty());
  CHECK(tokenizer.Decode(ids) == "ok \xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD");
}

TEST_CASE("a trained tokenizer written to disk encodes its corpus with its merges and decodes it back",
          "[tokenizer]") {
  const std::vector<std::string> corpus = {"the cat sat on the mat", "the hat, the cat, the bat!",
                                           "Ünïcödé joy 😀 and sadness"};
  const auto merges = emoscope::TrainByteLevelBpe(corpus, 30);
  REQUIRE(merges.size() == 30);
  CHECK(merges == emoscope::TrainByteLevelBpe(corpus, 30));  // deterministic
  // The most frequent pair of the corpus is "a" + "t" (cat, sat, mat, hat, cat, bat).
  CHECK(merges[0] == std::make_pair(std::string("a"), std::string("t")));

  emoscope::testing::TempDir dir;
  const std::string path = dir.File("tokenizer.json");
  emoscope::WriteByteLevelBpeTokenizer(path, merges, {"<|endoftext|>", "<pad>"});
  const Tokenizer tokenizer = Tokenizer::FromFolder(dir.path());
  CHECK(tokenizer.vocab_size() == static_cast<int32_t>(256 + merges.size() + 2));
  CHECK(tokenizer.TokenToId("<|endoftext|>") == 256 + static_cast<int32_t>(merges.size()));
  CHECK(tokenizer.IsSpecial(*tokenizer.TokenToId("<pad>")));
  // Byte b is token b.
  CHECK(tokenizer.Encode("A") == std::vector<int32_t>{'A'});
  for (const std::string& text : corpus) {
    const std::vector<int32_t> ids = tokenizer.Encode(text);
    CHECK(ids.size() < text.size());  // merges were applied
    CHECK(tokenizer.Decode(ids) == text);
  }
  const std::vector<int32_t> with_special = tokenizer.Encode("the cat<|endoftext|>");
  CHECK(with_special.back() == *tokenizer.TokenToId("<|endoftext|>"));
  std::mt19937 rng(7);
  for (int trial = 0; trial < 100; ++trial) {
    const std::string text = RandomUtf8(rng, 1 + rng() % 30);
    REQUIRE(tokenizer.Decode(tokenizer.Encode(text)) == text);
  }
}

TEST_CASE("the writer rejects a merge of a token that does not exist yet", "[tokenizer]") {
  emoscope::testing::TempDir dir;
  REQUIRE_THROWS_WITH(emoscope::WriteByteLevelBpeTokenizer(dir.File("t.json"), {{"ab", "c"}}, {}),
                      Catch::Contains("t.json") && Catch::Contains("merge 0"));
}

TEST_CASE("one tokenizer encodes from several threads at once with the same results", "[tokenizer]") {
  const auto path = emoscope::testing::RequireFixtures("tokenizers/gpt2/tokenizer.json");
  const auto vectors_path = emoscope::testing::RequireFixtures("tokenizers/gpt2/vectors.json");
  if (!path || !vectors_path) return;
  const Tokenizer tokenizer = Tokenizer::FromFile(*path);
  const std::vector<Vector> vectors = LoadVectors(*vectors_path);
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Tokenizer copy = tokenizer;  // copies share the loaded state
      for (int round = 0; round < 20; ++round) {
        for (const Vector& vector : vectors) {
          if (copy.Encode(vector.text) != vector.ids || copy.Decode(vector.ids) != vector.text) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(mismatches == std::vector<int>(kThreads, 0));
}
