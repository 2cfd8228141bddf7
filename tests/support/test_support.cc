#include "tests/support/test_support.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <catch2/catch.hpp>

#include "common/file_util.h"

namespace emoscope::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/emoscope-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::optional<std::string> FixturesDir() {
  const char* dir = std::getenv("EMOSCOPE_FIXTURES");
  if (dir == nullptr || *dir == '\0' || !IsDirectory(dir)) return std::nullopt;
  return std::string(dir);
}

std::optional<std::string> RequireFixtures(const std::string& sub_path) {
  const auto dir = FixturesDir();
  const char* required = std::getenv("EMOSCOPE_REQUIRE_FIXTURES");
  const bool must = required != nullptr && std::string(required) == "1";
  if (!dir || !FileExists(JoinPath(*dir, sub_path))) {
    if (must) FAIL("reference fixture " << sub_path << " is missing (EMOSCOPE_FIXTURES)");
    WARN("SKIPPED: reference fixture " << sub_path << " not found; set EMOSCOPE_FIXTURES");
    return std::nullopt;
  }
  return JoinPath(*dir, sub_path);
}

std::string ProgramPath(const std::string& name) {
  const char* bin = std::getenv("EMOSCOPE_BIN_DIR");
  if (bin != nullptr && *bin != '\0') return JoinPath(bin, name);
  // ctest sets only the first variable of a test's ENVIRONMENT list through catch_discover_tests,
  // so find bin/ from the test program itself: build/tests/X -> build/bin.
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  return (self.parent_path().parent_path() / "bin" / name).string();
}

std::string ShellQuote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandResult RunCommand(const std::string& command_line) {
  CommandResult result;
  FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace emoscope::testing
