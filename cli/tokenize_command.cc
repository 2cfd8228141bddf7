#include "cli/tokenize_command.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "common/args.h"
#include "common/error.h"
#include "common/file_util.h"
#include "models/tokenizer/tokenizer.h"

namespace emoscope {
namespace {

// DIR may be a model folder, a folder with just tokenizer.json, or the tokenizer.json itself.
Tokenizer LoadTokenizer(const std::string& location) {
  if (IsDirectory(location)) return Tokenizer::FromFolder(location);
  if (FileExists(location)) return Tokenizer::FromFile(location);
  Fail("{}: no such folder or file", location);
}

std::vector<int32_t> ReadIds(const std::string& input) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(input);
  } catch (const nlohmann::json::exception& e) {
    Fail("standard input: expected a JSON array of token ids: {}", e.what());
  }
  if (!json.is_array()) Fail("standard input: expected a JSON array of token ids");
  std::vector<int32_t> ids;
  ids.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    if (!json[i].is_number_integer() || json[i].get<int64_t>() < INT32_MIN || json[i].get<int64_t>() > INT32_MAX) {
      Fail("standard input: element {} is not a token id: {}", i, json[i].dump());
    }
    ids.push_back(static_cast<int32_t>(json[i].get<int64_t>()));
  }
  return ids;
}

int RunTokenize(const std::vector<std::string>& argv) {
  ArgParser parser("emoscope tokenize", "DIR (--text-file FILE [--no-special-tokens] | --decode)");
  parser.Positionals(1, "model folder, folder with tokenizer.json, or a tokenizer.json file");
  parser.Option("text-file", "encode this file's whole text; prints the ids as a JSON array");
  parser.Flag("no-special-tokens", "do not add the post-processor's special tokens (e.g. BOS)");
  parser.Flag("decode", "read a JSON array of ids on standard input; print their text exactly");
  parser.Flag("skip-special-tokens", "with --decode: leave special tokens out of the text");
  const ParsedArgs args = parser.Parse(argv);
  const std::string& location = args.Positional(0, "DIR");
  const bool decode = args.Flag("decode");
  if (decode == args.Has("text-file")) throw UsageError("emoscope tokenize: give exactly one of --text-file and --decode");

  const Tokenizer tokenizer = LoadTokenizer(location);
  if (decode) {
    const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    const std::string text = tokenizer.Decode(ReadIds(input), args.Flag("skip-special-tokens"));
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  const std::vector<int32_t> ids = tokenizer.Encode(ReadFile(args.Get("text-file")), !args.Flag("no-special-tokens"));
  std::string line = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) line += ",";
    line += std::to_string(ids[i]);
  }
  line += "]\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

Command TokenizeCommand() {
  return {"tokenize", "print the token ids of a text file, or (--decode) the text of ids", RunTokenize};
}

}  // namespace emoscope
