// The command tables. Each command lives in its folder's cli file (models/cli/..., coordinator/...)
// and is listed here.
#pragma once

#include <vector>

#include "cli/command.h"

namespace emoscope {

// Commands of the `emoscope` program itself (no libtorch).
std::vector<Command> CoreCommands();

Command ModelInspectCommand();   // model_inspect_command.cc
Command ModelConvertCommand();   // model_convert_command.cc
Command VectorsExportCommand();  // vectors_command.cc

// Names and summaries of the commands emoscope-torch runs; `run` is unset.
std::vector<Command> TorchCommandNames();

}  // namespace emoscope
