// Helpers shared by the tests: temporary folders, the fixtures folder, running the programs.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace emoscope::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The reference fixtures folder (EMOSCOPE_FIXTURES), or nullopt when it is absent. Tests that need
// it call RequireFixtures(), which WARNs and returns nullopt so the test says it was skipped, or
// FAILs when EMOSCOPE_REQUIRE_FIXTURES=1 (as CI sets).
std::optional<std::string> FixturesDir();
std::optional<std::string> RequireFixtures(const std::string& sub_path);

// Path to a built program (bin/emoscope, bin/emoscope-torch).
std::string ProgramPath(const std::string& name);
// Path to a file of the source tree.
std::string SourcePath(const std::string& relative);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs a shell command line, capturing its output.
CommandResult RunCommand(const std::string& command_line);

// Quotes a word for /bin/sh.
std::string ShellQuote(const std::string& word);

}  // namespace emoscope::testing
