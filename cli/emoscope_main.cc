// `emoscope`: the program users type. Commands that run models are forwarded to emoscope-torch.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/file_util.h"

namespace emoscope {
namespace {

// Replaces this process with emoscope-torch running the same command line.
int ForwardToTorch(const std::string& command, const std::vector<std::string>& args, char** argv) {
  const std::string target = JoinPath(ExecutableDir(), "emoscope-torch");
  if (!FileExists(target)) {
    Fail("'{}' runs models and needs the libtorch runtime, but {} is missing "
         "(build with -DEMOSCOPE_WITH_TORCH=ON)", command, target);
  }
  std::vector<std::string> words;
  words.push_back(target);
  // Keep the global options given before the command (e.g. --log-level).
  for (char** arg = argv + 1; *arg != nullptr; ++arg) words.emplace_back(*arg);
  std::vector<char*> exec_argv;
  for (std::string& word : words) exec_argv.push_back(word.data());
  exec_argv.push_back(nullptr);
  ::execv(target.c_str(), exec_argv.data());
  Fail("cannot run {}: {}", target, std::strerror(errno));
}

}  // namespace
}  // namespace emoscope

int main(int argc, char** argv) {
  using emoscope::Command;
  std::vector<Command> commands = emoscope::CoreCommands();
  // Workers run in emoscope-torch when it is built (test and science task kinds); without it,
  // emoscope's own worker runs the test kinds.
  if (emoscope::FileExists(emoscope::JoinPath(emoscope::ExecutableDir(), "emoscope-torch"))) {
    for (Command& command : commands) {
      if (command.name != "worker") continue;
      command.run = [argv](const std::vector<std::string>& args) { return emoscope::ForwardToTorch("worker", args, argv); };
      command.summary += " (test and science task kinds)";
    }
  }
  for (const Command& torch_command : emoscope::TorchCommandNames()) {
    const std::string name = torch_command.name;
    commands.push_back({name, torch_command.summary, [name, argv](const std::vector<std::string>& args) {
                          return emoscope::ForwardToTorch(name, args, argv);
                        }});
  }
  return emoscope::RunProgram("emoscope", argc, argv, commands);
}
