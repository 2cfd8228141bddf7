#include "models/runtime/threads.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "common/error.h"

namespace emoscope {

int64_t DefaultThreadCount() {
  const auto cores = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  double load = 0;
  if (getloadavg(&load, 1) != 1) return cores;
  return std::clamp<int64_t>(cores - std::llround(load), 1, cores);
}

int64_t SetThreadCount(int64_t requested, const char* what) {
  if (requested < 0) throw UsageError(fmt::format("{}: --threads must not be negative (0: automatic)", what));
  const int64_t threads = requested > 0 ? requested : DefaultThreadCount();
  at::set_num_threads(static_cast<int>(threads));
  return threads;
}

}  // namespace emoscope
