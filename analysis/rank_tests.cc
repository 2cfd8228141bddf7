#include "analysis/rank_tests.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "analysis/distributions.h"
#include "analysis/peak_rule.h"
#include "analysis/stats.h"
#include "common/error.h"

namespace emoscope::analysis {
namespace {

// scipy's auto rule for Mann-Whitney: the normal approximation is good once both samples exceed 8.
constexpr std::size_t kMannWhitneyExactMaxSmaller = 8;
// Largest m * min(n, k) * k (the exact distribution's cost, ~1 s) that 'auto' computes; beyond it
// (a sample of <= 8 against thousands) the normal approximation is used instead of a long wait.
constexpr double kMannWhitneyExactMaxCost = 1e9;
// Exact Wilcoxon up to this many non-zero differences ('auto'), and the most a forced exact test
// computes (the table costs O(n^3): 400 is ~3e7 steps). Up to 52 the table is exact in doubles;
// beyond, its probabilities carry rounding in the last bits (see SignedRankDistribution).
constexpr std::size_t kWilcoxonExactMaxN = static_cast<std::size_t>(defaults::kWilcoxonExactMaxN);
constexpr std::size_t kWilcoxonExactMaxForcedN = 400;

void RequireNonEmptyFinite(const char* test, const char* argument, const std::vector<double>& x) {
  if (x.empty()) Fail("{}: {} is empty", test, argument);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) Fail("{}: {}[{}] is NaN", test, argument, i);
  }
}

bool HasTies(const std::vector<double>& x) {
  const std::vector<std::size_t> groups = TieGroupSizes(x);
  return groups.size() != x.size();
}

double TieTerm(const std::vector<double>& values) {
  double sum = 0.0;
  for (std::size_t size : TieGroupSizes(values)) {
    const double t = static_cast<double>(size);
    sum += t * t * t - t;
  }
  return sum;
}

// P(U <= k) under H0 for samples of sizes m and n, from the count f(m, n, k) of arrangements with
// U = k: f(m, n, k) = f(m - 1, n, k - n) + f(m, n - 1, k) (Loeffler 1983; the recursion scipy 1.10
// uses). Only k' <= k is needed, and every term is a positive integer, so doubles stay exact up to
// 2^53 and accumulate no cancellation. Cost O(m n k) with m the smaller size.
double MannWhitneyCdf(std::size_t m, std::size_t n, std::size_t k) {
  if (m > n) std::swap(m, n);
  // counts[i][u] = f(i, j, u) for the current j (number of y values), i = 0..m, u = 0..k.
  std::vector<std::vector<double>> counts(m + 1, std::vector<double>(k + 1, 0.0));
  for (std::size_t i = 0; i <= m; ++i) counts[i][0] = 1.0;  // f(i, 0, 0) = 1, f(i, 0, u > 0) = 0.
  // Rows stop changing once j > k (f(i - 1, j, u - j) needs u >= j), so j runs to min(n, k).
  for (std::size_t j = 1; j <= std::min(n, k); ++j) {
    // f(i, j, u) = f(i - 1, j, u - j) + f(i, j - 1, u); increasing i reads the updated row i - 1.
    for (std::size_t i = 1; i <= m; ++i) {
      for (std::size_t u = k + 1; u-- > j;) counts[i][u] += counts[i - 1][u - j];
    }
  }
  double arrangements = 1.0;  // C(m + n, m), built up exactly while it fits.
  for (std::size_t i = 1; i <= m; ++i) arrangements = arrangements * static_cast<double>(n + i) / i;
  double cumulative = 0.0;
  for (std::size_t u = 0; u <= k; ++u) cumulative += counts[m][u];
  return cumulative / arrangements;
}

// The exact conditional null of the doubled statistic 2 R+: every one of the 2^n sign assignments of
// the observed midranks equally likely. Doubled midranks are integers (a midrank is a whole or a
// half number), so a dynamic programme over sums 0 .. 2 n(n+1)/2 replaces the 2^n enumeration:
// pmf[s] = P(2 R+ = s), built one rank at a time by halving and shifting. Each probability is a
// count times 2^-n; counts stay below 2^53 for n <= 52, so the table is exact for the sizes used.
std::vector<double> SignedRankDistribution(const std::vector<int64_t>& doubled_ranks) {
  int64_t total = 0;
  for (int64_t rank : doubled_ranks) total += rank;
  std::vector<double> pmf(static_cast<std::size_t>(total) + 1, 0.0);
  pmf[0] = 1.0;
  int64_t reach = 0;  // Largest sum reachable so far.
  for (int64_t rank : doubled_ranks) {
    // Downwards, so pmf[s - rank] is still the previous step's value when pmf[s] reads it.
    for (int64_t sum = reach + rank; sum >= 0; --sum) {
      const double without = pmf[static_cast<std::size_t>(sum)];
      const double with = sum >= rank ? pmf[static_cast<std::size_t>(sum - rank)] : 0.0;
      pmf[static_cast<std::size_t>(sum)] = 0.5 * (without + with);
    }
    reach += rank;
  }
  return pmf;
}

}  // namespace

MannWhitneyResult MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y,
                               TestMethod method) {
  RequireNonEmptyFinite("mann-whitney u", "x", x);
  RequireNonEmptyFinite("mann-whitney u", "y", y);
  std::vector<double> pooled = x;
  pooled.insert(pooled.end(), y.begin(), y.end());
  const std::size_t n1 = x.size();
  const std::size_t n2 = y.size();
  const std::vector<double> ranks = AverageRanks(pooled);
  double rank_sum_x = 0.0;
  for (std::size_t i = 0; i < n1; ++i) rank_sum_x += ranks[i];
  const double dn1 = static_cast<double>(n1);
  const double dn2 = static_cast<double>(n2);
  const double u1 = rank_sum_x - dn1 * (dn1 + 1.0) / 2.0;
  const double u_max = std::max(u1, dn1 * dn2 - u1);
  if (method == TestMethod::kAuto) {
    const bool both_large = n1 > kMannWhitneyExactMaxSmaller && n2 > kMannWhitneyExactMaxSmaller;
    const double k = dn1 * dn2 - u_max;
    const double cost = std::min(dn1, dn2) * std::min(std::max(dn1, dn2), k) * k;
    method = both_large || cost > kMannWhitneyExactMaxCost || HasTies(pooled) ? TestMethod::kAsymptotic
                                                                              : TestMethod::kExact;
  }

  double p_value = 0.0;
  if (method == TestMethod::kExact) {
    // P(U >= u_max) = P(U <= n1 n2 - u_max) by symmetry. Like scipy, ties (only possible when
    // forced) truncate the statistic to an integer.
    const auto k = static_cast<std::size_t>(n1 * n2) - static_cast<std::size_t>(u_max);
    p_value = 2.0 * MannWhitneyCdf(n1, n2, k);
  } else {
    const double n = dn1 + dn2;
    const double s = std::sqrt(dn1 * dn2 / 12.0 * ((n + 1.0) - TieTerm(pooled) / (n * (n - 1.0))));
    // Continuity correction: subtracting 0.5 always moves towards the centre (u_max >= mean).
    const double z = (u_max - dn1 * dn2 / 2.0 - 0.5) / s;
    p_value = 2.0 * NormalSf(z);
  }
  return {u1, std::clamp(p_value, 0.0, 1.0), method};
}

WilcoxonResult Wilcoxon(const std::vector<double>& x, const std::vector<double>& y, TestMethod method) {
  RequireNonEmptyFinite("wilcoxon", "x", x);
  RequireNonEmptyFinite("wilcoxon", "y", y);
  if (x.size() != y.size()) Fail("wilcoxon: x has {} values but y has {}", x.size(), y.size());
  std::vector<double> differences;  // Non-zero differences only (zero_method='wilcox').
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] - y[i] != 0.0) differences.push_back(x[i] - y[i]);
  }
  if (differences.empty()) Fail("wilcoxon: all {} differences are zero; the test is undefined", x.size());
  std::vector<double> magnitudes(differences.size());
  for (std::size_t i = 0; i < differences.size(); ++i) magnitudes[i] = std::fabs(differences[i]);
  if (method == TestMethod::kAuto) {
    method = differences.size() <= kWilcoxonExactMaxN ? TestMethod::kExact : TestMethod::kAsymptotic;
  }
  if (method == TestMethod::kExact && differences.size() > kWilcoxonExactMaxForcedN) {
    Fail("wilcoxon: the exact distribution is computed up to {} non-zero differences, got {}",
         kWilcoxonExactMaxForcedN, differences.size());
  }
  const std::vector<double> ranks = AverageRanks(magnitudes);
  double r_plus = 0.0;
  double r_minus = 0.0;
  for (std::size_t i = 0; i < differences.size(); ++i) (differences[i] > 0 ? r_plus : r_minus) += ranks[i];
  const double statistic = std::min(r_plus, r_minus);

  double p_value = 0.0;
  if (method == TestMethod::kExact) {
    std::vector<int64_t> doubled(ranks.size());
    int64_t doubled_r_plus = 0;
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      doubled[i] = std::llround(2.0 * ranks[i]);  // Exact: 2 * midrank is a whole number.
      if (differences[i] > 0) doubled_r_plus += doubled[i];
    }
    const std::vector<double> pmf = SignedRankDistribution(doubled);
    const auto r = static_cast<std::size_t>(doubled_r_plus);
    double p_less = 0.0;
    double p_greater = 0.0;
    for (std::size_t k = 0; k <= r; ++k) p_less += pmf[k];
    for (std::size_t k = r; k < pmf.size(); ++k) p_greater += pmf[k];
    p_value = 2.0 * std::min(p_less, p_greater);
  } else {
    const double n = static_cast<double>(differences.size());
    const double mean = n * (n + 1.0) * 0.25;
    const double variance = (n * (n + 1.0) * (2.0 * n + 1.0) - 0.5 * TieTerm(magnitudes)) / 24.0;
    const double z = (statistic - mean) / std::sqrt(variance);
    p_value = 2.0 * NormalSf(std::fabs(z));
  }
  return {statistic, std::clamp(p_value, 0.0, 1.0), method};
}

}  // namespace emoscope::analysis
