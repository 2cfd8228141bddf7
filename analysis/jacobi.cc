#include "analysis/jacobi.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"

namespace emoscope::analysis {
namespace {

constexpr int kMaxSweeps = 100;                // Jacobi converges quadratically: ~10 sweeps in practice.
constexpr double kOffDiagonalTolerance = 1e-30;  // Off-diagonal squared mass relative to the total.

}  // namespace

SymmetricEigen JacobiEigen(std::vector<double> a, std::size_t n) {
  if (a.size() != n * n) Fail("jacobi: matrix has {} entries, expected {} x {}", a.size(), n, n);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) Fail("jacobi: entry ({}, {}) is not finite", i / n, i % n);
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < i; ++j) a[i * n + j] = a[j * n + i];  // Symmetrize from the upper.
  }
  std::vector<double> v(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) v[i * n + i] = 1.0;

  double total = 0.0;
  for (double x : a) total += x * x;
  for (int sweep = 0;; ++sweep) {
    double off = 0.0;
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) off += 2.0 * a[p * n + q] * a[p * n + q];
    }
    if (off <= kOffDiagonalTolerance * total) break;
    if (sweep == kMaxSweeps) Fail("jacobi: no convergence after {} sweeps (n = {})", kMaxSweeps, n);
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (apq == 0.0) continue;
        // The rotation angle that zeroes a_pq, in the stable form of Rutishauser (NR 11.1).
        const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0);
        const double s = t * c;
        for (std::size_t k = 0; k < n; ++k) {  // Columns p and q: A <- A J.
          const double akp = a[k * n + p];
          const double akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (std::size_t k = 0; k < n; ++k) {  // Rows p and q: A <- J^T A.
          const double apk = a[p * n + k];
          const double aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (std::size_t k = 0; k < n; ++k) {  // V <- V J.
          const double vkp = v[k * n + p];
          const double vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
        // The rotation zeroes a_pq in exact arithmetic; store the exact zero so rounding does not
        // leave an O(eps) residue that later sweeps would keep chasing.
        a[p * n + q] = 0.0;
        a[q * n + p] = 0.0;
      }
    }
  }

  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Stable, so equal eigenvalues keep the order the sweeps left them in: deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return a[i * n + i] > a[j * n + j]; });
  SymmetricEigen result{std::vector<double>(n), std::vector<double>(n * n)};
  for (std::size_t j = 0; j < n; ++j) {
    result.values[j] = a[order[j] * n + order[j]];
    for (std::size_t k = 0; k < n; ++k) result.vectors[k * n + j] = v[k * n + order[j]];
  }
  return result;
}

}  // namespace emoscope::analysis
