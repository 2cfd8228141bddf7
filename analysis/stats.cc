#include "analysis/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "analysis/distributions.h"
#include "common/error.h"

namespace emoscope::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void RequireFinite(const char* function, const char* argument, const std::vector<double>& x) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) Fail("{}: {}[{}] is NaN", function, argument, i);
  }
}

void RequireSize(const char* function, const char* argument, const std::vector<double>& x,
                 std::size_t minimum) {
  if (x.size() < minimum) {
    Fail("{}: {} needs at least {} values, got {}", function, argument, minimum, x.size());
  }
  RequireFinite(function, argument, x);
}

void RequireSameLength(const char* function, const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) Fail("{}: x has {} values but y has {}", function, x.size(), y.size());
}

// Sum of squared deviations from the mean, two-pass for accuracy. Exactly 0 for a constant sample:
// its computed mean may differ from the value in the last bit (0.1 + 0.1 + 0.1 != 0.3), which would
// leave a rounding residue and, in a ratio, a spurious 1e15.
double SumSquaredDeviations(const std::vector<double>& x, double mean) {
  if (std::all_of(x.begin(), x.end(), [&](double value) { return value == x.front(); })) return 0.0;
  double sum = 0.0;
  for (double value : x) sum += (value - mean) * (value - mean);
  return sum;
}

}  // namespace

double Mean(const std::vector<double>& x) {
  RequireSize("mean", "x", x, 1);
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double SampleSd(const std::vector<double>& x) {
  RequireSize("sample sd", "x", x, 1);
  if (x.size() < 2) return kNaN;
  return std::sqrt(SumSquaredDeviations(x, Mean(x)) / static_cast<double>(x.size() - 1));
}

double Quantile(std::vector<double> x, double q) {
  RequireSize("quantile", "x", x, 1);
  if (!(q >= 0.0 && q <= 1.0)) Fail("quantile: q must lie in [0, 1], got {}", q);
  std::sort(x.begin(), x.end());
  const double virtual_index = static_cast<double>(x.size() - 1) * q;
  const auto previous = static_cast<std::size_t>(std::floor(virtual_index));
  const std::size_t next = std::min(previous + 1, x.size() - 1);
  const double gamma = virtual_index - static_cast<double>(previous);
  // numpy's _lerp: interpolate from the nearer end, so that gamma = 1 returns b exactly.
  const double a = x[previous];
  const double b = x[next];
  const double diff = b - a;
  return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

std::vector<double> AverageRanks(const std::vector<double>& x) {
  RequireFinite("ranks", "x", x);
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> ranks(x.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start + 1;
    while (end < order.size() && x[order[end]] == x[order[start]]) ++end;
    // Positions start..end-1 hold rank start+1..end; their average is (start + 1 + end) / 2.
    const double rank = 0.5 * static_cast<double>(start + 1 + end);
    for (std::size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

std::vector<std::size_t> TieGroupSizes(const std::vector<double>& x) {
  RequireFinite("ties", "x", x);
  std::vector<double> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> sizes;
  for (std::size_t start = 0; start < sorted.size();) {
    std::size_t end = start + 1;
    while (end < sorted.size() && sorted[end] == sorted[start]) ++end;
    sizes.push_back(end - start);
    start = end;
  }
  return sizes;
}

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  RequireSameLength("pearson", x, y);
  RequireSize("pearson", "x", x, 2);
  RequireSize("pearson", "y", y, 2);
  const double mean_x = Mean(x);
  const double mean_y = Mean(y);
  double sxy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mean_x) * (y[i] - mean_y);
  const double sxx = SumSquaredDeviations(x, mean_x);
  const double syy = SumSquaredDeviations(y, mean_y);
  if (sxx == 0.0 || syy == 0.0) return kNaN;
  // Rounding can push |r| a hair past 1; scipy clips the same way.
  return std::clamp(sxy / (std::sqrt(sxx) * std::sqrt(syy)), -1.0, 1.0);
}

double Spearman(const std::vector<double>& x, const std::vector<double>& y) {
  RequireSameLength("spearman", x, y);
  return Pearson(AverageRanks(x), AverageRanks(y));
}

double CohenD(const std::vector<double>& x, const std::vector<double>& y) {
  RequireSize("cohen d", "x", x, 1);
  RequireSize("cohen d", "y", y, 1);
  const std::size_t dof = x.size() + y.size() - 2;
  if (dof == 0) Fail("cohen d: needs at least 3 values in all, got {} and {}", x.size(), y.size());
  const double mean_x = Mean(x);
  const double mean_y = Mean(y);
  const double pooled_variance =
      (SumSquaredDeviations(x, mean_x) + SumSquaredDeviations(y, mean_y)) / static_cast<double>(dof);
  if (pooled_variance == 0.0) return kNaN;
  return (mean_x - mean_y) / std::sqrt(pooled_variance);
}

TTestResult OneSampleTTest(const std::vector<double>& x, double mu0) {
  RequireSize("one-sample t-test", "x", x, 2);
  const double n = static_cast<double>(x.size());
  const double difference = Mean(x) - mu0;
  const double standard_error = SampleSd(x) / std::sqrt(n);
  TTestResult result{difference / standard_error, n - 1.0, kNaN};
  if (std::isnan(result.statistic)) return result;
  result.p_value = 2.0 * StudentTSf(std::fabs(result.statistic), result.df);
  return result;
}

}  // namespace emoscope::analysis
