#include "analysis/peak_rule.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace emoscope::analysis {

const std::vector<std::string>& PeakMetrics() {
  static const std::vector<std::string> metrics = {"probe_accuracy", "fisher_ratio", "separation_gap",
                                                   "separation_z", "mean_cosine"};
  return metrics;
}

bool IsPeakMetric(const std::string& metric) {
  const std::vector<std::string>& metrics = PeakMetrics();
  return std::find(metrics.begin(), metrics.end(), metric) != metrics.end();
}

void RequirePeakMetric(const std::string& metric, const std::string& where) {
  if (IsPeakMetric(metric)) return;
  std::string allowed;
  for (const std::string& name : PeakMetrics()) allowed += (allowed.empty() ? "" : ", ") + name;
  Fail("{}: '{}' is not a peak metric (one of {})", where, metric, allowed);
}

bool LowerIsBetter(const std::string& metric) {
  RequirePeakMetric(metric, "peak rule");
  return metric == "mean_cosine";
}

std::optional<std::size_t> PeakIndex(const std::string& metric, const std::vector<int64_t>& layers,
                                     const std::vector<double>& values) {
  const bool lower = LowerIsBetter(metric);
  if (layers.size() != values.size()) {
    Fail("peak rule: {} layers but {} values", layers.size(), values.size());
  }
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i] < kFirstPeakLayer || !std::isfinite(values[i])) continue;
    if (!best) {
      best = i;
      continue;
    }
    const double incumbent = values[*best];
    const bool better = lower ? values[i] < incumbent : values[i] > incumbent;
    const bool tie_shallower = values[i] == incumbent && layers[i] < layers[*best];
    if (better || tie_shallower) best = i;
  }
  return best;
}

std::optional<int64_t> PeakLayer(const std::string& metric, const std::vector<int64_t>& layers,
                                 const std::vector<double>& values) {
  const std::optional<std::size_t> index = PeakIndex(metric, layers, values);
  if (!index) return std::nullopt;
  return layers[*index];
}

std::optional<int64_t> PeakLayer(const std::string& metric, const std::map<int64_t, double>& values) {
  std::vector<int64_t> layers;
  std::vector<double> numbers;
  for (const auto& [layer, value] : values) {
    layers.push_back(layer);
    numbers.push_back(value);
  }
  return PeakLayer(metric, layers, numbers);
}

std::optional<double> PeakLocation(const std::string& metric, const std::vector<int64_t>& layers,
                                   const std::vector<double>& positions, const std::vector<double>& values) {
  if (positions.size() != layers.size()) {
    Fail("peak location: {} layers but {} positions", layers.size(), positions.size());
  }
  const std::optional<std::size_t> peak = PeakIndex(metric, layers, values);
  if (!peak) return std::nullopt;
  // The nearest eligible layers on either side of the peak, whatever the order of the arrays.
  std::optional<std::size_t> shallower;
  std::optional<std::size_t> deeper;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i] < kFirstPeakLayer || !std::isfinite(values[i])) continue;
    if (layers[i] < layers[*peak] && (!shallower || layers[i] > layers[*shallower])) shallower = i;
    if (layers[i] > layers[*peak] && (!deeper || layers[i] < layers[*deeper])) deeper = i;
  }
  const double x1 = positions[*peak];
  if (!shallower || !deeper) return x1;
  // Values oriented so that higher is better; the peak is then at least as high as both.
  const double sign = LowerIsBetter(metric) ? -1.0 : 1.0;
  const double x0 = positions[*shallower];
  const double x2 = positions[*deeper];
  const double y0 = sign * values[*shallower];
  const double y1 = sign * values[*peak];
  const double y2 = sign * values[*deeper];
  // Vertex of the parabola through the three points, from the slopes on either side of the peak
  // (Newton's divided differences): p'(x) = left + (right - left) (2x - x0 - x1) / (x2 - x0) = 0.
  // left / curvature lies in [0, 1], so the vertex lies between the midpoints (x0 + x1) / 2 and
  // (x1 + x2) / 2.
  const double left = (y1 - y0) / (x1 - x0);   // >= 0
  const double right = (y2 - y1) / (x2 - x1);  // <= 0
  const double curvature = left - right;       // >= 0; 0 only when all three are equal.
  if (!(curvature > 0.0)) return x1;
  return (x0 + x1) / 2.0 + left * (x2 - x0) / (2.0 * curvature);
}

std::string PeakOrderSql(const std::string& metric, const std::string& value_column,
                         const std::string& layer_column) {
  return value_column + (LowerIsBetter(metric) ? " ASC, " : " DESC, ") + layer_column + " ASC";
}

}  // namespace emoscope::analysis
