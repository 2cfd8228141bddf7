// `emoscope tokenize` run as a program.
#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "tests/models/tiny_tokenizers.h"
#include "tests/support/test_support.h"

namespace {

using emoscope::testing::ProgramPath;
using emoscope::testing::RunCommand;
using emoscope::testing::ShellQuote;

std::string Tokenize(const std::string& args) { return ShellQuote(ProgramPath("emoscope")) + " tokenize " + args; }

}  // namespace

TEST_CASE("emoscope tokenize prints GPT-2 ids as one JSON line and decodes them back exactly", "[tokenizer][cli]") {
  const auto path = emoscope::testing::RequireFixtures("tokenizers/gpt2/tokenizer.json");
  if (!path) return;
  const std::string folder = path->substr(0, path->rfind('/'));
  emoscope::testing::TempDir dir;
  emoscope::WriteFileAtomic(dir.File("in.txt"), "hello world");

  auto result = RunCommand(Tokenize(ShellQuote(folder) + " --text-file " + ShellQuote(dir.File("in.txt"))));
  CHECK(result.exit_code == 0);
  CHECK(result.output == "[31373,995]\n");
  // The tokenizer.json path itself is accepted too.
  result = RunCommand(Tokenize(ShellQuote(*path) + " --text-file " + ShellQuote(dir.File("in.txt"))));
  CHECK(result.output == "[31373,995]\n");

  result = RunCommand("printf '[40,1101,3772,0,198]' | " + Tokenize(ShellQuote(folder) + " --decode"));
  CHECK(result.exit_code == 0);
  CHECK(result.output == "I'm happy!\n");
}

TEST_CASE("emoscope tokenize adds BOS unless told not to, and reports bad input", "[tokenizer][cli]") {
  emoscope::testing::TempDir dir;
  emoscope::WriteFileAtomic(dir.File("tokenizer.json"), emoscope::testing::TinyLlama2Tokenizer().dump());
  emoscope::WriteFileAtomic(dir.File("in.txt"), "hello world");
  const std::string text_file = " --text-file " + ShellQuote(dir.File("in.txt"));

  auto result = RunCommand(Tokenize(ShellQuote(dir.path()) + text_file));
  CHECK(result.output == "[1,271,276]\n");
  result = RunCommand(Tokenize(ShellQuote(dir.path()) + text_file + " --no-special-tokens"));
  CHECK(result.output == "[271,276]\n");
  result = RunCommand("printf '[1, 271, 276]' | " + Tokenize(ShellQuote(dir.path()) + " --decode --skip-special-tokens"));
  CHECK(result.output == "hello world");

  result = RunCommand("printf '[1, \"x\"]' | " + Tokenize(ShellQuote(dir.path()) + " --decode"));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.output, Catch::Contains("element 1"));
  result = RunCommand("printf '[5000]' | " + Tokenize(ShellQuote(dir.path()) + " --decode"));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.output, Catch::Contains("5000"));
  result = RunCommand(Tokenize(ShellQuote(dir.File("nowhere")) + text_file));
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.output, Catch::Contains("nowhere"));
  result = RunCommand(Tokenize(ShellQuote(dir.path())));
  CHECK(result.exit_code == 2);
}
