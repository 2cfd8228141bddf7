#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "common/file_util.h"
#include "stimuli/stimuli.h"
#include "tests/support/test_support.h"

using emoscope::testing::RunCommand;
using emoscope::testing::ShellQuote;
using emoscope::testing::TempDir;

namespace {

std::string Emoscope() { return ShellQuote(emoscope::testing::ProgramPath("emoscope")); }

}  // namespace

TEST_CASE("emoscope corpus writes a JSONL corpus that loads as stimuli, the same for the same seed",
          "[stimuli][cli]") {
  TempDir dir;
  const std::string first = dir.File("a.jsonl");
  const std::string second = dir.File("b.jsonl");
  const std::string program = Emoscope();
  const auto run =
      RunCommand(program + " corpus --documents 60 --set basic6 --seed 5 --out " + ShellQuote(first));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("60 documents") && Catch::Contains("distinct per 10,000"));
  REQUIRE(RunCommand(program + " corpus --documents 60 --set basic6 --seed 5 --out " + ShellQuote(second))
              .exit_code == 0);
  CHECK(emoscope::ReadFile(first) == emoscope::ReadFile(second));
  const auto stimuli = emoscope::LoadStimuliFile(first);
  CHECK(stimuli.size() == 60);
}

TEST_CASE("emoscope stimuli check exits 1 naming the file and line of a bad stimulus", "[stimuli][cli]") {
  TempDir dir;
  const std::string path = dir.File("bad.jsonl");
  emoscope::WriteFileAtomic(path,
                            "{\"id\": \"a\", \"emotion\": \"joy\", \"text\": \"ok\"}\n{\"id\": \"a\"}\n");
  const auto run = RunCommand(Emoscope() + " stimuli check " + ShellQuote(path));
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.output, Catch::Contains(path + ":2:"));
  const auto builtin = RunCommand(Emoscope() + " stimuli check");
  CHECK(builtin.exit_code == 0);
  CHECK_THAT(builtin.output, Catch::Contains("comprehension.jsonl: 802 stimuli, 20 emotions"));
}
