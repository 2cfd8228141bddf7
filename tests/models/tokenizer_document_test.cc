// The one-pass tokenizer.json parser: model.vocab and model.merges taken out of the tree into
// flat lists, everything else the usual tree; irregular table entries kept for the model's
// error messages.
#include "models/tokenizer/tokenizer_document.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using emoscope::MergeEntry;

TEST_CASE("the document parser takes out model.vocab and model.merges and keeps the rest as a tree",
          "[tokenizer][document]") {
  const std::string text = R"({"added_tokens": [{"id": 0}], "vocab": {"top": 1},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "a": 3}, "merges": ["a b", ["a", "b"]],
              "nested": {"vocab": {"x": 1}, "merges": [1]}}})";
  const emoscope::TokenizerDocument document = emoscope::ParseTokenizerDocument(text);
  CHECK(document.json["model"]["vocab"] == nlohmann::json::object());
  CHECK(document.json["model"]["merges"] == nlohmann::json::array());
  CHECK(document.json["model"]["type"] == "BPE");
  // Only model.vocab and model.merges are tables, not keys of the same name elsewhere.
  CHECK(document.json["vocab"] == nlohmann::json{{"top", 1}});
  CHECK(document.json["model"]["nested"] == nlohmann::json::parse(R"({"vocab": {"x": 1}, "merges": [1]})"));
  CHECK(document.json["added_tokens"] == nlohmann::json::parse(R"([{"id": 0}])"));
  REQUIRE(document.tables.has_vocab);
  REQUIRE(document.tables.vocab.size() == 4);  // the repeated "a" too: the model keeps its last id
  CHECK(document.tables.vocab[3].token == "a");
  CHECK(document.tables.vocab[3].id == 3);
  REQUIRE(document.tables.has_merges);
  REQUIRE(document.tables.merges.size() == 2);
  CHECK(document.tables.merges[0].kind == MergeEntry::Kind::kLine);
  CHECK(document.tables.merges[0].left == "a b");
  CHECK(document.tables.merges[1].kind == MergeEntry::Kind::kPair);
  CHECK(document.tables.merges[1].right == "b");
}

TEST_CASE("irregular vocab and merge entries are kept as such, one per entry", "[tokenizer][document]") {
  const std::string text =
      R"({"model": {"vocab": {"a": 0, "b": "one", "c": [1], "d": -4, "e": 1.5, "f": {"g": 1}},
    "merges": [["a", "b", "c"], [1, "a"], {"x": ["y"]}, [["a"], "b"], "a b", ["a"], null]}})";
  const emoscope::TokenizerDocument document = emoscope::ParseTokenizerDocument(text);
  const auto& vocab = document.tables.vocab;
  REQUIRE(vocab.size() == 6);
  CHECK(vocab[0].is_integer);
  CHECK_FALSE(vocab[1].is_integer);
  CHECK_FALSE(vocab[2].is_integer);
  CHECK(vocab[3].is_integer);
  CHECK(vocab[3].id == -4);
  CHECK_FALSE(vocab[4].is_integer);
  CHECK_FALSE(vocab[5].is_integer);
  CHECK(vocab[5].token == "f");
  const auto& merges = document.tables.merges;
  REQUIRE(merges.size() == 7);
  for (size_t i : {0, 1, 2, 3, 5, 6}) CHECK(merges[i].kind == MergeEntry::Kind::kMalformed);
  CHECK(merges[4].kind == MergeEntry::Kind::kLine);
}

TEST_CASE("a vocab or merges that is not an object or array stays in the tree for the model to refuse",
          "[tokenizer][document]") {
  const emoscope::TokenizerDocument document =
      emoscope::ParseTokenizerDocument(R"({"model": {"vocab": [["a", 0.5]], "merges": "a b"}})");
  CHECK_FALSE(document.tables.has_vocab);
  CHECK_FALSE(document.tables.has_merges);
  CHECK(document.json["model"]["vocab"] == nlohmann::json::parse(R"([["a", 0.5]])"));
  CHECK(document.json["model"]["merges"] == "a b");
  CHECK_THROWS_AS(emoscope::ParseTokenizerDocument(R"({"model": {"vocab": {"a": 0,}}})"),
                  nlohmann::json::exception);
}
