// The regex engine (Oniguruma, as the tokenizers library) and the hand-written scanners kept for
// the GPT-2, Llama 3 and Qwen2 patterns: the engine against Python's `regex` module on the cases
// of scripts/gen_tokenizer_reference_cases.py, the scanners against the engine on seeded random
// strings, and the engine's find-all rules (empty matches, invalid UTF-8, errors).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "common/error.h"
#include "common/file_util.h"
#include "models/tokenizer/pattern.h"
#include "models/tokenizer/regex.h"
#include "models/tokenizer/split_patterns.h"
#include "models/tokenizer/tokenizer.h"
#include "models/tokenizer/unicode.h"
#include "tests/models/tiny_tokenizers.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::KnownPattern;
using emoscope::Regex;
using emoscope::Span;

Regex CompileOrFail(const std::string& pattern) {
  std::string error;
  std::optional<Regex> regex = Regex::Compile(pattern, &error);
  INFO(error);
  REQUIRE(regex);
  return std::move(*regex);
}

// Random valid UTF-8 built from pieces that exercise the patterns' classes and look-ahead.
std::string RandomText(std::mt19937* rng) {
  static const char* const kPieces[] = {"a",
                                        "Z",
                                        "q",
                                        "7",
                                        "42",
                                        " ",
                                        " ",
                                        "  ",
                                        "\t",
                                        "\n",
                                        "\r\n",
                                        "'",
                                        "'s",
                                        "'LL",
                                        "'Ve",
                                        ".",
                                        "!?",
                                        "-",
                                        "/",
                                        "_",
                                        "\xC3\xA9",
                                        "\xC3\x9F",
                                        "\xC4\xB0",
                                        "\xC5\xBF",
                                        "\xCE\xA3",
                                        "\xE4\xB8\xAD",
                                        "\xE3\x81\xB2",
                                        "\xEC\x95\x88",
                                        "\xF0\x9F\x98\x80",
                                        "\xE2\x80\x8D",
                                        "\xCC\x81",
                                        "\xC2\xA0",
                                        "\xE3\x80\x80",
                                        "\xE2\x80\xA8",
                                        "\xC2\x85",
                                        "\xEF\xBB\xBF",
                                        "\xD9\xA3",
                                        "\xE2\x85\xAB",
                                        "\xC2\xBD",
                                        "\xE3\x80\x82",
                                        "\xE2\x80\x94",
                                        "\x01",
                                        "\x7F"};
  std::string text;
  const size_t length = (*rng)() % 24;
  for (size_t i = 0; i < length; ++i) text += kPieces[(*rng)() % (sizeof(kPieces) / sizeof(kPieces[0]))];
  return text;
}

}  // namespace

TEST_CASE(
    "the regex engine finds the pieces Python's regex module finds for the GPT-2, Llama 3 and Qwen2 patterns",
    "[tokenizer][regex]") {
  const nlohmann::json cases = nlohmann::json::parse(
      emoscope::ReadFile(std::string(EMOSCOPE_TOKENIZER_TEST_DATA) + "/pretokenizer_cases.json"));
  REQUIRE(cases.size() >= 500);
  const std::pair<const char*, KnownPattern> patterns[] = {
      {"gpt2", KnownPattern::kGpt2}, {"llama3", KnownPattern::kLlama3}, {"qwen2", KnownPattern::kQwen2}};
  for (const auto& [name, pattern] : patterns) {
    const Regex regex = CompileOrFail(emoscope::PatternString(pattern));
    for (const nlohmann::json& entry : cases) {
      const std::string text = entry.at("text");
      if (!emoscope::unicode::IsValidUtf8(text)) continue;
      std::vector<Span> expected;
      for (const auto& span : entry.at(name)) expected.emplace_back(span.at(0), span.at(1));
      INFO(name << ": " << nlohmann::json(text).dump());
      REQUIRE(regex.FindAll(text) == expected);
    }
  }
}

TEST_CASE("the hand-written scanners find the same pieces as the regex engine on random strings",
          "[tokenizer][regex]") {
  std::mt19937 rng(2026);
  for (KnownPattern pattern : {KnownPattern::kGpt2, KnownPattern::kLlama3, KnownPattern::kQwen2}) {
    const Regex regex = CompileOrFail(emoscope::PatternString(pattern));
    for (int trial = 0; trial < 3000; ++trial) {
      const std::string text = RandomText(&rng);
      INFO(emoscope::PatternString(pattern) << " on " << nlohmann::json(text).dump());
      REQUIRE(emoscope::FindPatternMatches(pattern, text) == regex.FindAll(text));
    }
  }
}

TEST_CASE("find-all steps over an empty match after a match, as the library's find_iter does",
          "[tokenizer][regex]") {
  const Regex regex = CompileOrFail("a*");
  CHECK(regex.FindAll("baab") == std::vector<Span>{{0, 0}, {1, 3}, {4, 4}});
  CHECK(regex.FindAll("") == std::vector<Span>{});
  // Look-ahead and possessive quantifiers are the engine's, not emulated.
  CHECK(CompileOrFail(R"(\s+(?!\S))").FindAll("a   b") == std::vector<Span>{{1, 3}});
  CHECK(CompileOrFail(R"(\p{N}++)").FindAll("x123y4") == std::vector<Span>{{1, 4}, {5, 6}});
}

TEST_CASE("invalid UTF-8 bytes are never part of a regex match", "[tokenizer][regex]") {
  const Regex regex = CompileOrFail(R"([^\s]+)");
  CHECK(regex.FindAll("ab\xFF"
                      "cd\xC3") == std::vector<Span>{{0, 2}, {3, 5}});
  CHECK(regex.FindAll("\x80\x80") == std::vector<Span>{});
}

TEST_CASE("a regex that does not compile is refused with the engine's message", "[tokenizer][regex]") {
  std::string error;
  CHECK_FALSE(Regex::Compile("(ab", &error));
  CHECK_THAT(error, Catch::Contains("end pattern with unmatched parenthesis"));
  CHECK_FALSE(Regex::Compile(R"(\p{NotAProperty})", &error));
  CHECK_THAT(error, Catch::Contains("invalid character property name"));
}

TEST_CASE("Replace with a regex pattern rewrites every match, in the normalizer and the decoder",
          "[tokenizer][regex]") {
  emoscope::testing::TempDir dir;
  nlohmann::json json = emoscope::testing::TinyLlama3Tokenizer();
  json["normalizer"] = {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}};
  json["decoder"] = {{"type", "Sequence"},
                     {"decoders",
                      {{{"type", "ByteLevel"}},
                       {{"type", "Replace"}, {"pattern", {{"Regex", "[0-9]"}}}, {"content", "#"}}}}};
  const std::string path = dir.File("tokenizer.json");
  emoscope::WriteFileAtomic(path, json.dump());
  const emoscope::Tokenizer tokenizer = emoscope::Tokenizer::FromFile(path);
  CHECK(tokenizer.Encode("he   llo", /*add_special_tokens=*/false) ==
        tokenizer.Encode("he llo", /*add_special_tokens=*/false));
  CHECK(tokenizer.Decode(tokenizer.Encode("a1b22", /*add_special_tokens=*/false)) == "a#b##");
}
