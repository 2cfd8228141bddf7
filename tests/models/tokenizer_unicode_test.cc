// The hand-written pre-tokenizer scanners and NFC against independent engines: cases generated
// by scripts/gen_tokenizer_reference_cases.py with Python's `regex` module and unicodedata.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "models/tokenizer/split_patterns.h"
#include "models/tokenizer/unicode.h"

namespace {

nlohmann::json LoadCases(const std::string& name) {
  return nlohmann::json::parse(emoscope::ReadFile(std::string(EMOSCOPE_TOKENIZER_TEST_DATA) + "/" + name));
}

}  // namespace

TEST_CASE("the GPT-2, Llama 3 and Qwen2 scanners find the same pieces as a regex engine", "[tokenizer][unicode]") {
  const nlohmann::json cases = LoadCases("pretokenizer_cases.json");
  REQUIRE(cases.size() >= 500);
  const std::pair<const char*, emoscope::KnownPattern> patterns[] = {{"gpt2", emoscope::KnownPattern::kGpt2},
                                                                     {"llama3", emoscope::KnownPattern::kLlama3},
                                                                     {"qwen2", emoscope::KnownPattern::kQwen2}};
  for (const auto& [name, pattern] : patterns) {
    for (const nlohmann::json& entry : cases) {
      const std::string text = entry.at("text");
      std::vector<emoscope::Span> expected;
      for (const auto& span : entry.at(name)) expected.emplace_back(span.at(0), span.at(1));
      INFO(name << ": " << nlohmann::json(text).dump());
      REQUIRE(emoscope::FindPatternMatches(pattern, text) == expected);
    }
  }
  CHECK(emoscope::RecognizePattern(emoscope::PatternString(emoscope::KnownPattern::kLlama3)) ==
        emoscope::KnownPattern::kLlama3);
  CHECK_FALSE(emoscope::RecognizePattern("\\w+"));
}

TEST_CASE("NFC agrees with Python's unicodedata, and leaves invalid bytes alone", "[tokenizer][unicode]") {
  const nlohmann::json cases = LoadCases("nfc_cases.json");
  REQUIRE(cases.size() >= 500);
  for (const nlohmann::json& entry : cases) {
    INFO(entry.at(0).dump());
    REQUIRE(emoscope::unicode::Nfc(entry.at(0).get<std::string>()) == entry.at(1).get<std::string>());
  }
  CHECK(emoscope::unicode::Nfc("e\xCC\x81\xFF" "e\xCC\x81") == "\xC3\xA9\xFF\xC3\xA9");
}

TEST_CASE("lossy UTF-8 conversion replaces each maximal invalid subsequence once", "[tokenizer][unicode]") {
  CHECK(emoscope::unicode::ToValidUtf8("a\xE6\x97" "b") == "a\xEF\xBF\xBD" "b");   // truncated 3-byte
  CHECK(emoscope::unicode::ToValidUtf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong: two
  CHECK(emoscope::unicode::ToValidUtf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(emoscope::unicode::ToValidUtf8("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");
  CHECK(emoscope::unicode::IsValidUtf8("\xE6\x97\xA5"));
  CHECK_FALSE(emoscope::unicode::IsValidUtf8("\xE6\x97"));
}
