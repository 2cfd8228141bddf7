#include "cli/torch_commands.h"

#include "cli/commands.h"
#include "common/error.h"

namespace emoscope {

std::vector<Command> TorchCommands() {
  std::vector<Command> commands = TorchCommandNames();
  for (Command& command : commands) {
    const std::string name = command.name;
    command.run = [name](const std::vector<std::string>&) -> int { Fail("'{}' is not implemented yet", name); };
  }
  return commands;
}

}  // namespace emoscope
