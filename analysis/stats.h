// Deterministic descriptive statistics and correlations on double samples, matching numpy and
// scipy (versions and formulas in docs/analysis.md). Pure functions; thread-safe.
//
// Errors: an empty sample where a value needs one, samples of different lengths, or a NaN in the
// input throw emoscope::Error naming the function, the argument and the offending index.
// Undefined results of valid input (the correlation of a constant sample, the sd of one value)
// are NaN, as in numpy/scipy.
#pragma once

#include <cstddef>
#include <vector>

namespace emoscope::analysis {

double Mean(const std::vector<double>& x);

// Sample standard deviation, ddof = 1 (numpy.std(x, ddof=1)); NaN for a single value.
double SampleSd(const std::vector<double>& x);

// numpy.quantile(x, q) with the default method 'linear': with the values sorted, the virtual
// index h = (n - 1) q is interpolated between x[floor(h)] and x[floor(h) + 1]. q in [0, 1].
double Quantile(std::vector<double> x, double q);

// Ranks 1..n with ties given their average rank (scipy.stats.rankdata, method 'average').
std::vector<double> AverageRanks(const std::vector<double>& x);

// The sizes of the groups of tied values (groups of one included), in increasing value order.
std::vector<std::size_t> TieGroupSizes(const std::vector<double>& x);

// Pearson's r (scipy.stats.pearsonr statistic); NaN when either sample is constant. n >= 2.
double Pearson(const std::vector<double>& x, const std::vector<double>& y);

// Spearman's rho: Pearson's r of the average ranks (scipy.stats.spearmanr statistic).
double Spearman(const std::vector<double>& x, const std::vector<double>& y);

// Cohen's d = (mean(x) - mean(y)) / s_pooled, with
// s_pooled = sqrt(((n_x - 1) s_x^2 + (n_y - 1) s_y^2) / (n_x + n_y - 2)), s with ddof = 1.
// Needs n_x + n_y >= 3; NaN when s_pooled is 0 (both samples constant, detected exactly rather
// than through a rounding residue; callers report the NaN with a note).
double CohenD(const std::vector<double>& x, const std::vector<double>& y);

struct TTestResult {
  double statistic;  // t = (mean - mu0) / (sd / sqrt(n))
  double df;         // n - 1
  double p_value;    // two-sided
};

// scipy.stats.ttest_1samp(x, mu0): two-sided one-sample Student t-test. n >= 2. A constant sample
// gives t = +-inf and p = 0 when its mean differs from mu0, t = NaN and p = NaN when it equals it.
TTestResult OneSampleTTest(const std::vector<double>& x, double mu0);

}  // namespace emoscope::analysis
