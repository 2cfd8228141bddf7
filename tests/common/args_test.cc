#include <catch2/catch.hpp>

#include "common/args.h"
#include "common/error.h"

using emoscope::ArgParser;
using emoscope::UsageError;

namespace {
ArgParser MakeParser() {
  ArgParser parser("emoscope demo", "DIR [options]");
  parser.Option("input", "input file").Required();
  parser.Option("dtype", "float32 or bfloat16", "float32");
  parser.Option("count", "how many");
  parser.Flag("json", "print JSON");
  parser.Positionals(1, "DIR: a folder");
  return parser;
}
}  // namespace

TEST_CASE("options, flags and positionals parse in any order", "[args]") {
  const auto args = MakeParser().Parse({"--json", "dir", "--input=a.st", "--count", "7"});
  CHECK(args.Get("input") == "a.st");
  CHECK(args.Get("dtype") == "float32");
  CHECK(args.GetInt("count") == 7);
  CHECK(args.Flag("json"));
  CHECK(args.Positional(0, "DIR") == "dir");
}

TEST_CASE("an unknown option is a usage error naming it", "[args]") {
  REQUIRE_THROWS_WITH(MakeParser().Parse({"--input", "x", "--bogus"}),
                      Catch::Contains("--bogus"));
}

TEST_CASE("a missing required option is a usage error naming it", "[args]") {
  REQUIRE_THROWS_AS(MakeParser().Parse({"dir"}), UsageError);
  REQUIRE_THROWS_WITH(MakeParser().Parse({"dir"}), Catch::Contains("--input"));
}

TEST_CASE("a malformed integer is a usage error naming the option and value", "[args]") {
  const auto args = MakeParser().Parse({"--input", "x", "--count", "7x"});
  REQUIRE_THROWS_WITH(args.GetInt("count"), Catch::Contains("--count") && Catch::Contains("7x"));
}

TEST_CASE("an option at the end without its value is a usage error", "[args]") {
  REQUIRE_THROWS_WITH(MakeParser().Parse({"--input"}), Catch::Contains("needs a value"));
}

TEST_CASE("too many positionals is a usage error", "[args]") {
  REQUIRE_THROWS_WITH(MakeParser().Parse({"--input", "x", "a", "b"}), Catch::Contains("'b'"));
}
