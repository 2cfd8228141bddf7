// `emoscope verify` (in emoscope-torch: re-running science tasks needs libtorch). Exit codes:
// 0 every re-run task matched, 4 drift, 1 error, 2 bad usage.
#pragma once

#include <string>
#include <vector>

#include "worker/task_registry.h"

namespace emoscope {

int RunVerify(const std::vector<std::string>& argv, const TaskRegistry& registry);

}  // namespace emoscope
