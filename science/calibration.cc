#include "science/calibration.h"

#include <cmath>

#include "common/error.h"

namespace emoscope {

CalibrationResult CalibrateAlpha(const std::function<std::optional<double>(double alpha)>& median_ppl_ratio,
                                 const CalibrationSearch& search) {
  if (!(search.low > 0 && search.high > search.low)) {
    Fail("calibration: the search range [{}, {}] must be positive and increasing", search.low, search.high);
  }
  if (!(search.resolution > 1)) Fail("calibration: resolution {} must be above 1", search.resolution);
  if (!(search.span >= 1)) Fail("calibration: span {} must be at least 1", search.span);
  CalibrationResult result;
  auto coherent_at = [&](double alpha) {
    CalibrationStep step;
    step.alpha = alpha;
    step.median_ppl_ratio = median_ppl_ratio(alpha);
    step.coherent = step.median_ppl_ratio && *step.median_ppl_ratio <= search.max_ppl_ratio;
    result.trace.push_back(step);
    return step.coherent;
  };
  auto window_below = [&](double top) {
    result.window_high = top;
    result.window_low = top / search.span;
  };
  if (coherent_at(search.high)) {
    result.alpha_coherent = search.high;
    window_below(search.high);
    return result;
  }
  result.alpha_incoherent = search.high;
  if (!coherent_at(search.low)) {
    result.alpha_incoherent = search.low;
    window_below(search.low);
    return result;
  }
  double coherent = search.low;
  double incoherent = search.high;
  while (incoherent / coherent > search.resolution) {
    const double mid = std::sqrt(coherent * incoherent);
    (coherent_at(mid) ? coherent : incoherent) = mid;
  }
  result.alpha_coherent = coherent;
  result.alpha_incoherent = incoherent;
  window_below(coherent);
  return result;
}

std::vector<double> LogSpaced(double low, double high, int64_t points) {
  if (!(low > 0 && high >= low) || points < 1) Fail("LogSpaced: [{}, {}] with {} points", low, high, points);
  if (points == 1) return {high};
  std::vector<double> out;
  const double step = std::log(high / low) / static_cast<double>(points - 1);
  for (int64_t i = 0; i < points; ++i) out.push_back(low * std::exp(step * static_cast<double>(i)));
  out.back() = high;  // exact, not through exp(log())
  return out;
}

}  // namespace emoscope
