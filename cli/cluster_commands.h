// Commands for running across machines: `keys generate` (CURVE key pairs, docs/security.md) and
// `slurm` (an sbatch job-array script of workers, docs/slurm.md). No libtorch.
#pragma once

#include <vector>

#include "cli/command.h"

namespace emoscope {

std::vector<Command> ClusterCommands();

}  // namespace emoscope
