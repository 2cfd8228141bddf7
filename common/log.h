// Logging goes through spdlog to standard error. Level from --log-level or EMOSCOPE_LOG_LEVEL
// (trace, debug, info, warn, error, off); default info.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace emoscope {

// Configures the default logger once per process: stderr, "[time] [level] message".
// Throws UsageError on an unknown level name.
void InitLogging(const std::string& level = "");

}  // namespace emoscope
