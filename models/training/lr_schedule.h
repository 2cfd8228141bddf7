// The learning-rate schedule: linear warmup, then a cosine decay to a floor.
//   step < warmup:  lr = peak * (step + 1) / warmup
//   otherwise:      progress = min(1, (step - warmup) / max(1, total - 1 - warmup))
//                   lr = floor + (peak - floor) * (1 + cos(pi * progress)) / 2,  floor = peak * min_ratio
// `step` counts from 0 (the first update). Pure function.
#pragma once

#include <cstdint>

namespace emoscope {

struct LrSchedule {
  double peak = 3e-3;       // learning rate at the end of warmup
  int64_t warmup = 50;      // steps of linear warmup (0: none)
  int64_t total = 1000;     // steps in all; the cosine reaches the floor at the last step
  double min_ratio = 0.1;   // floor as a fraction of the peak
};

double LearningRateAt(const LrSchedule& schedule, int64_t step);

}  // namespace emoscope
