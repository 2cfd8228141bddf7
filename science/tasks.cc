#include "science/tasks.h"

#include "science/task_common.h"

namespace emoscope {

void RegisterScienceKinds(TaskRegistry& registry) {
  registry.Register("extract", RunExtract);
  registry.Register("metrics", RunMetrics);
  registry.Register("calibrate", RunCalibrate);
  registry.Register("steer", RunSteer);
}

}  // namespace emoscope
