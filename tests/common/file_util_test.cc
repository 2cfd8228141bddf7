#include <catch2/catch.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "tests/support/test_support.h"

TEST_CASE("an atomic write can be read back and mapped", "[file]") {
  emoscope::testing::TempDir dir;
  const std::string path = dir.File("a.bin");
  emoscope::WriteFileAtomic(path, "hello");
  CHECK(emoscope::ReadFile(path) == "hello");
  emoscope::MappedFile mapped(path);
  REQUIRE(mapped.size() == 5);
  CHECK(std::string(reinterpret_cast<const char*>(mapped.data()), mapped.size()) == "hello");
  CHECK_FALSE(emoscope::FileExists(path + ".tmp"));
}

TEST_CASE("reading a missing file names the file", "[file]") {
  REQUIRE_THROWS_WITH(emoscope::ReadFile("/nonexistent/x.json"), Catch::Contains("/nonexistent/x.json"));
  REQUIRE_THROWS_WITH(emoscope::MappedFile("/nonexistent/y.bin"), Catch::Contains("/nonexistent/y.bin"));
}
