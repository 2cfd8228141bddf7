// The subcommand table and the process boundary shared by the two programs:
//   emoscope        everything that needs no libtorch (coordinator, submit, status, tokenize, ...)
//   emoscope-torch  what runs models (forward, generate, model init, worker, ...). `emoscope`
//                   forwards those subcommands to it, so users only ever type `emoscope`, and the
//                   coordinator process never loads libtorch.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace emoscope {

// Documented exit codes.
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,            // The command failed; the message says why.
  kExitUsage = 2,            // Bad command line.
  kExitFinishedFailed = 3,   // A campaign ran to its end with failed tasks.
  kExitDrift = 4,            // verify: a re-run task's results differ from the stored ones.
  kExitInterrupted = 130,    // Stopped by Ctrl-C (SIGINT) or SIGTERM before the end; run again to resume.
};

struct Command {
  std::string name;     // "forward", or "model init" for a two-word command.
  std::string summary;  // One line for `emoscope help`.
  std::function<int(const std::vector<std::string>& args)> run;  // args after the name.
};

// Runs the program: global options (--log-level L), then the command whose name matches the
// longest prefix of the remaining words. Catches every exception at this boundary and turns it
// into a message on stderr and an exit code; never lets one escape.
int RunProgram(const std::string& program, int argc, char** argv, const std::vector<Command>& commands);

// Directory holding the running executable (from /proc/self/exe).
std::string ExecutableDir();

}  // namespace emoscope
