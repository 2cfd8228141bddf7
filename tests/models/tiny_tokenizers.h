// Hand-made tokenizer.json files, small enough that their expected ids are checked by hand in the
// tests (the derivations are written next to each expectation).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "models/tokenizer/byte_level.h"

namespace emoscope::testing {

// Llama 2 (legacy layout): normalizer Prepend("▁") + Replace(" " -> "▁"), no pre-tokenizer,
// byte fallback, <unk>/<s>/</s>, template "<s> $A", decoder Replace/ByteFallback/Fuse/Strip.
//   0 <unk>  1 <s>  2 </s>  3..258 <0x00>..<0xFF>  259 ▁  260 h  261 e  262 l  263 o  264 w
//   265 r  266 d  267 ▁h  268 ll  269 ▁he  270 llo  271 ▁hello  272 ▁w  273 or  274 ▁wor
//   275 ld  276 ▁world
inline nlohmann::json TinyLlama2Tokenizer() {
  const std::string space = "\xE2\x96\x81";  // ▁
  nlohmann::json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", byte);
    vocab[name] = 3 + byte;
  }
  const char* const pieces[] = {"\xE2\x96\x81", "h", "e", "l", "o", "w", "r", "d"};
  int next = 259;
  for (const char* piece : pieces) vocab[piece] = next++;
  const nlohmann::json merges = {space + " h", "l l", space + "h e", "ll o", space + "he llo",
                                 space + " w", "o r", space + "w or", "l d", space + "wor ld"};
  for (const auto& merge : merges) {
    const std::string text = merge.get<std::string>();
    const size_t cut = text.find(' ');
    vocab[text.substr(0, cut) + text.substr(cut + 1)] = next++;
  }
  const auto special = [](int id, const char* content) {
    return nlohmann::json{{"id", id},         {"content", content},   {"single_word", false}, {"lstrip", false},
                          {"rstrip", false},  {"normalized", false},  {"special", true}};
  };
  return {
      {"version", "1.0"},
      {"added_tokens", {special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")}},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "Prepend"}, {"prepend", space}},
          {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", space}}}}}},
      {"pre_tokenizer", nullptr},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"pair", nlohmann::json::array()},
        {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"}, {"pattern", {{"String", space}}}, {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}},
          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", "<unk>"},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", true},
        {"byte_fallback", true},
        {"vocab", vocab},
        {"merges", merges}}},
  };
}

// Llama 3 layout: Split(Llama 3 regex, Isolated) + ByteLevel(use_regex false), ignore_merges,
// template "<|begin_of_text|> $A" inside a Sequence with ByteLevel, byte-level decoder.
//   0..255 the bytes (id = byte value, spelled in GPT-2's alphabet)
//   256 he  257 ll  258 hello (in the vocabulary, made by no merge)  259 34  260 12  261 123
//   262 45  263 TI  264 ĊĊ  265 (h
//   added: 300 <|begin_of_text|> (special)  301 <|eot_id|> (special)  302 <tool> (single_word)
inline nlohmann::json TinyLlama3Tokenizer() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int byte = 0; byte < 256; ++byte) vocab[byte_level::ByteToUtf8(static_cast<uint8_t>(byte))] = byte;
  const std::string newline = byte_level::ByteToUtf8('\n');
  // Pairs layout; built one by one, since a brace list of string pairs would read as an object.
  nlohmann::json merges = nlohmann::json::array();
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"h", "e"}, {"l", "l"}, {"3", "4"}, {"1", "2"}, {"12", "3"}, {"4", "5"}, {"T", "I"}, {newline, newline}, {"(", "h"}};
  for (const auto& [left, right] : pairs) merges.push_back(nlohmann::json::array({left, right}));
  vocab["he"] = 256;
  vocab["ll"] = 257;
  vocab["hello"] = 258;
  vocab["34"] = 259;
  vocab["12"] = 260;
  vocab["123"] = 261;
  vocab["45"] = 262;
  vocab["TI"] = 263;
  vocab[newline + newline] = 264;
  vocab["(h"] = 265;
  const auto added = [](int id, const char* content, bool special, bool single_word) {
    return nlohmann::json{{"id", id},         {"content", content},  {"single_word", single_word}, {"lstrip", false},
                          {"rstrip", false},  {"normalized", !special}, {"special", special}};
  };
  const std::string regex =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  const nlohmann::json byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}};
  return {
      {"version", "1.0"},
      {"added_tokens",
       {added(300, "<|begin_of_text|>", true, false), added(301, "<|eot_id|>", true, false),
        added(302, "<tool>", false, true)}},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}},
          byte_level}}}},
      {"post_processor",
       {{"type", "Sequence"},
        {"processors",
         {byte_level,
          {{"type", "TemplateProcessing"},
           {"single",
            {{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}},
             {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
           {"special_tokens",
            {{"<|begin_of_text|>",
              {{"id", "<|begin_of_text|>"}, {"ids", {300}}, {"tokens", {"<|begin_of_text|>"}}}}}}}}}}},
      {"decoder", byte_level},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", true},
        {"vocab", vocab},
        {"merges", merges}}},
  };
}

}  // namespace emoscope::testing
