#include "jobs/test_kinds.h"

namespace emoscope {

bool IsTestKind(const std::string& kind) {
  return kind == "noop" || kind == "sleep" || kind == "fail" || kind == "crash";
}

int DefaultMaxAttempts(const std::string& kind) {
  // A crashing task takes a worker down with it each time: give it fewer chances.
  if (kind == "crash") return 2;
  return 3;
}

}  // namespace emoscope
