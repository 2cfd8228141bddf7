#include "models/training/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace emoscope {

double LearningRateAt(const LrSchedule& schedule, int64_t step) {
  if (step < schedule.warmup) {
    return schedule.peak * static_cast<double>(step + 1) / static_cast<double>(schedule.warmup);
  }
  // The last step (total - 1) ends exactly on the floor.
  const int64_t span = std::max<int64_t>(1, schedule.total - 1 - schedule.warmup);
  const double progress = std::min(1.0, static_cast<double>(step - schedule.warmup) / static_cast<double>(span));
  const double floor = schedule.peak * schedule.min_ratio;
  return floor + (schedule.peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace emoscope
