#pragma once

#include <vector>

#include "cli/command.h"

namespace emoscope {

// Commands of emoscope-torch; their names match TorchCommandNames().
std::vector<Command> TorchCommands();

}  // namespace emoscope
