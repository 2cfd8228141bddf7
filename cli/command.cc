#include "cli/command.h"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "common/args.h"
#include "common/error.h"
#include "common/log.h"
#include "emoscope_version.h"

namespace emoscope {
namespace {

void PrintHelp(const std::string& program, const std::vector<Command>& commands) {
  std::string out = fmt::format(
      "{} {} ({})\nusage: {} [--log-level LEVEL] COMMAND [ARGS...]\n\ncommands:\n", program,
      EMOSCOPE_VERSION, EMOSCOPE_GIT_DESCRIBE, program);
  for (const Command& command : commands) out += fmt::format("  {:<20} {}\n", command.name, command.summary);
  out += "\n'COMMAND --help' describes one command. Exit codes: 0 ok, 1 error, 2 bad usage,\n"
         "3 a campaign finished with failed tasks, 130 a run interrupted (run it again to resume).\n";
  std::fputs(out.c_str(), stdout);
}

// Number of leading words of `words` that spell `name` ("model init" is two words).
size_t MatchWords(const std::string& name, const std::vector<std::string>& words, size_t start) {
  size_t pos = 0;
  size_t index = start;
  while (pos <= name.size()) {
    const size_t space = name.find(' ', pos);
    const std::string part = name.substr(pos, space == std::string::npos ? std::string::npos : space - pos);
    if (index >= words.size() || words[index] != part) return 0;
    ++index;
    if (space == std::string::npos) break;
    pos = space + 1;
  }
  return index - start;
}

}  // namespace

std::string ExecutableDir() {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return ".";
  std::string path(buffer, static_cast<size_t>(n));
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

int RunProgram(const std::string& program, int argc, char** argv, const std::vector<Command>& commands) {
  std::vector<std::string> words(argv + 1, argv + argc);
  size_t start = 0;
  std::string log_level;
  try {
    while (start < words.size() && words[start].rfind("--", 0) == 0) {
      const std::string& option = words[start];
      if (option == "--log-level" && start + 1 < words.size()) {
        log_level = words[start + 1];
        start += 2;
      } else if (option.rfind("--log-level=", 0) == 0) {
        log_level = option.substr(12);
        start += 1;
      } else if (option == "--help") {
        PrintHelp(program, commands);
        return kExitOk;
      } else if (option == "--version") {
        std::printf("%s %s (%s)\n", program.c_str(), EMOSCOPE_VERSION, EMOSCOPE_GIT_DESCRIBE);
        return kExitOk;
      } else {
        throw UsageError(fmt::format("unknown global option '{}'", option));
      }
    }
    InitLogging(log_level);
    if (start >= words.size() || words[start] == "help") {
      PrintHelp(program, commands);
      return start >= words.size() ? kExitUsage : kExitOk;
    }
    const Command* best = nullptr;
    size_t best_words = 0;
    for (const Command& command : commands) {
      const size_t matched = MatchWords(command.name, words, start);
      if (matched > best_words) {
        best = &command;
        best_words = matched;
      }
    }
    if (best == nullptr) {
      throw UsageError(fmt::format("unknown command '{}' (try '{} help')", words[start], program));
    }
    const std::vector<std::string> args(words.begin() + static_cast<std::ptrdiff_t>(start + best_words), words.end());
    return best->run(args);
  } catch (const HelpRequested& help) {
    std::fputs(help.usage().c_str(), stdout);
    return kExitOk;
  } catch (const UsageError& error) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), error.what());
    return kExitUsage;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), error.what());
    return kExitError;
  } catch (...) {
    std::fprintf(stderr, "%s: error: unknown exception\n", program.c_str());
    return kExitError;
  }
}

}  // namespace emoscope
