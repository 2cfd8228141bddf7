#include "analysis/u_fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>

#include "common/error.h"

namespace emoscope::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Relative size under which the scaled curvature is rounding noise (a straight or flat curve).
constexpr double kZeroCurvature = 1e-12;

// Solves the 3x3 system m q = v by Gaussian elimination with partial pivoting.
std::array<double, 3> Solve3(std::array<std::array<double, 3>, 3> m, std::array<double, 3> v) {
  for (int col = 0; col < 3; ++col) {
    int pivot = col;
    for (int row = col + 1; row < 3; ++row) {
      if (std::fabs(m[row][col]) > std::fabs(m[pivot][col])) pivot = row;
    }
    std::swap(m[col], m[pivot]);
    std::swap(v[col], v[pivot]);
    for (int row = col + 1; row < 3; ++row) {
      const double factor = m[row][col] / m[col][col];
      for (int k = col; k < 3; ++k) m[row][k] -= factor * m[col][k];
      v[row] -= factor * v[col];
    }
  }
  std::array<double, 3> q{};
  for (int row = 2; row >= 0; --row) {
    double sum = v[row];
    for (int k = row + 1; k < 3; ++k) sum -= m[row][k] * q[k];
    q[row] = sum / m[row][row];
  }
  return q;
}

}  // namespace

UFit FitU(const std::vector<double>& r, const std::vector<double>& y) {
  if (r.size() != y.size()) Fail("u-fit: r has {} values but y has {}", r.size(), y.size());
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (std::isnan(r[i]) || std::isnan(y[i])) Fail("u-fit: point {} is NaN", i);
  }
  if (std::set<double>(r.begin(), r.end()).size() < 3) return {kNaN, kNaN, kNaN, kNaN};

  // Work in t = (r - centre) / scale, t in [-1, 1], so the normal equations stay well conditioned
  // whatever the range of r.
  const auto [min_r, max_r] = std::minmax_element(r.begin(), r.end());
  const double centre = 0.5 * (*min_r + *max_r);
  const double scale = 0.5 * (*max_r - *min_r);
  std::array<std::array<double, 3>, 3> normal{};
  std::array<double, 3> rhs{};
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double t = (r[i] - centre) / scale;
    const std::array<double, 3> basis{1.0, t, t * t};
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k) normal[j][k] += basis[j] * basis[k];
      rhs[j] += basis[j] * y[i];
    }
  }
  const auto [q0, q1, q2] = Solve3(normal, rhs);

  double mean_y = 0.0;
  for (double value : y) mean_y += value;
  mean_y /= static_cast<double>(y.size());
  double ss_res = 0.0;
  double ss_tot = 0.0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double t = (r[i] - centre) / scale;
    const double fitted = q0 + q1 * t + q2 * t * t;
    ss_res += (y[i] - fitted) * (y[i] - fitted);
    ss_tot += (y[i] - mean_y) * (y[i] - mean_y);
  }
  UFit fit{0.0, kNaN, kNaN, ss_tot > 0.0 ? 1.0 - ss_res / ss_tot : kNaN};
  if (std::fabs(q2) <= kZeroCurvature * std::max({std::fabs(q0), std::fabs(q1), std::fabs(q2)})) {
    return fit;
  }
  // y = q2 (t - t0)^2 + c with t0 = -q1 / (2 q2); back in r: a = q2 / scale^2, r0 = centre + scale t0.
  const double t0 = -q1 / (2.0 * q2);
  fit.a = q2 / (scale * scale);
  fit.r0 = centre + scale * t0;
  fit.c = q0 - q1 * q1 / (4.0 * q2);
  return fit;
}

}  // namespace emoscope::analysis
