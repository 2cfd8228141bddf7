// Helpers shared by the tests: temporary folders, the fixtures folder, running the programs.
#pragma once

#include <cstdlib>
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

// How many times slower than an optimized build this build runs its processes: the factor by which
// tests stretch their deadlines and the protocol timings they start programs with, so that what
// they wait for (an event row, a state) has time to happen on a slow or busy machine. 1 for an
// ordinary build, 3 under AddressSanitizer, 10 under ThreadSanitizer (it runs 5-15x slower);
// $EMOSCOPE_TEST_TIME_SCALE (a positive integer) overrides it. Inline so that it sees the
// sanitizer flags of the test that calls it.
inline int TimeScale() {
  if (const char* env = std::getenv("EMOSCOPE_TEST_TIME_SCALE"); env != nullptr && std::atoi(env) > 0)
    return std::atoi(env);
#if defined(__SANITIZE_THREAD__)
  return 10;
#elif defined(__SANITIZE_ADDRESS__)
  return 3;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return 10;
#elif __has_feature(address_sanitizer)
  return 3;
#else
  return 1;
#endif
#else
  return 1;
#endif
}

// `ms` stretched by TimeScale().
inline int ScaledMs(int ms) { return ms * TimeScale(); }

// Quotes a word for /bin/sh.
std::string ShellQuote(const std::string& word);

}  // namespace emoscope::testing
