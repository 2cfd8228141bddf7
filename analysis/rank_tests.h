// Two-sided rank tests with the defaults of scipy.stats (see docs/analysis.md for the exact rules,
// the scipy version the reference values come from, and where later scipy versions differ).
// Pure functions; thread-safe. Errors: empty samples, NaN values, or paired samples of different
// lengths throw emoscope::Error naming the test, the argument and the index.
#pragma once

#include <vector>

namespace emoscope::analysis {

enum class TestMethod {
  kAuto,        // The rule of scipy's method='auto' (per test, below).
  kExact,       // The exact null distribution (see each test for how it treats ties).
  kAsymptotic,  // Normal approximation with tie correction.
};

struct MannWhitneyResult {
  double u1;          // U statistic of x: R1 - n_x (n_x + 1) / 2, R1 the rank sum of x.
  double p_value;     // Two-sided.
  TestMethod method;  // kExact or kAsymptotic: the method actually used.
};

// scipy.stats.mannwhitneyu(x, y) (use_continuity=True, alternative='two-sided', method='auto').
// Auto: exact when min(n_x, n_y) <= 8 and the pooled sample has no ties, asymptotic otherwise
// (also asymptotic when the exact table would cost over 1e9 steps: 8 values against ~5000).
// Exact: p = 2 P(U >= max(U1, U2)), clipped to 1. Asymptotic: z = (max(U1, U2) - n_x n_y / 2 - 0.5)
// / s with the tie-corrected s; p = 2 P(Z > z), clipped to 1.
MannWhitneyResult MannWhitneyU(const std::vector<double>& x, const std::vector<double>& y,
                               TestMethod method = TestMethod::kAuto);

struct WilcoxonResult {
  double statistic;   // min(R+, R-) over the non-zero differences.
  double p_value;     // Two-sided.
  TestMethod method;  // kExact or kAsymptotic: the method actually used.
};

// The paired Wilcoxon signed-rank test on d = x - y (zero_method='wilcox': zero differences are
// dropped; ties in |d| get midranks; two-sided; no continuity correction). n is the number of
// non-zero differences. Auto: exact when n <= 50 (defaults::kWilcoxonExactMaxN), asymptotic above.
// Exact: the conditional null of the observed midranks, every sign assignment equally likely
// (scipy's permutation route, computed by a dynamic programme rather than 2^n enumeration);
// p = min(1, 2 min(P(R+ <= r), P(R+ >= r))), r the observed R+. Without ties this is
// scipy.stats.wilcoxon's exact p. Asymptotic: z = (T - n(n+1)/4) / sqrt((n(n+1)(2n+1) -
// sum(t^3 - t)/2) / 24), t the tie group sizes of |d|; p = 2 P(Z > |z|). Forcing kExact above 400
// differences throws; so do all differences zero (the test is undefined).
WilcoxonResult Wilcoxon(const std::vector<double>& x, const std::vector<double>& y,
                        TestMethod method = TestMethod::kAuto);

}  // namespace emoscope::analysis
