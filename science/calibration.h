// The search behind `coefficients: auto` (docs/science.md): the largest steering coefficient
// alpha whose steered continuations stay coherent, found by bisection on a log scale, and the
// log-spaced sweep below it. Pure: the coherence measurement is a callback, so the search is
// tested against planted thresholds without a model.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace emoscope {

struct CalibrationSearch {
  double low = 0.01;  // search range of alpha, low < high, both > 0
  double high = 16.0;
  double resolution = 1.1;     // stop when incoherent / coherent <= this (> 1)
  double max_ppl_ratio = 4.0;  // coherent: median ppl_ratio <= this
  double span = 20.0;          // window: [alpha_coherent / span, alpha_coherent]
};

struct CalibrationStep {
  double alpha = 0;
  std::optional<double> median_ppl_ratio;  // nullopt: nothing measurable (counted incoherent)
  bool coherent = false;
};

struct CalibrationResult {
  std::optional<double> alpha_coherent;    // largest alpha found coherent; nullopt: not even `low`
  std::optional<double> alpha_incoherent;  // smallest alpha found incoherent; nullopt: not `high`
  double window_low = 0;                   // the sweep window, below the largest coherent alpha
  double window_high = 0;                  // (below `low` when nothing was coherent)
  std::vector<CalibrationStep> trace;      // in the order tried
};

// Measures `high` (coherent: done, window below it), then `low` (incoherent: done, window below
// it), then bisects log-uniformly: alpha = sqrt(coherent * incoherent) until their ratio is at
// most `resolution`. Assumes coherence falls with alpha (the trace shows where it did not).
// median_ppl_ratio(alpha) returns the median over calibration prompts. Error on a bad search.
CalibrationResult CalibrateAlpha(const std::function<std::optional<double>(double alpha)>& median_ppl_ratio,
                                 const CalibrationSearch& search);

// `points` values log-spaced from low to high inclusive (points = 1: {high}); low, high > 0.
std::vector<double> LogSpaced(double low, double high, int64_t points);

}  // namespace emoscope
