#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

#include "common/error.h"

namespace emoscope {

void InitLogging(const std::string& level) {
  std::string name = level;
  if (name.empty()) {
    const char* env = std::getenv("EMOSCOPE_LOG_LEVEL");
    name = env != nullptr ? env : "info";
  }
  const spdlog::level::level_enum parsed = spdlog::level::from_str(name);
  if (parsed == spdlog::level::off && name != "off") {
    throw UsageError("unknown log level '" + name + "' (trace, debug, info, warn, error, off)");
  }
  auto logger = spdlog::stderr_color_mt("emoscope");
  logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

}  // namespace emoscope
