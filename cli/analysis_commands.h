// The commands that read a campaign database's results: analyze (the study report) and export
// (one table or view as csv or json). No libtorch; `verify`, which re-runs tasks, lives in
// emoscope-torch (cli/verify_command.h).
#pragma once

#include <vector>

#include "cli/command.h"

namespace emoscope {

std::vector<Command> AnalysisCommands();

}  // namespace emoscope
