// Statistics of steering scenarios (docs/science.md): the binomial interval of a success share,
// the exact test of a steered hit rate against the unsteered baseline's, and the median of the
// defined perplexity ratios. Pure functions (Boost.Math); thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace emoscope {

struct ProportionInterval {
  double low = 0;
  double high = 1;
};

// The Clopper-Pearson ("exact", beta quantile) two-sided interval of successes / trials at the
// given confidence, as statsmodels' proportion_confint(method="beta"): low = 0 when successes =
// 0, high = 1 when successes = trials. Requires 0 <= successes <= trials, trials >= 1.
ProportionInterval ClopperPearson(int64_t successes, int64_t trials, double confidence = 0.95);

// One-sided Fisher exact test that the steered hit rate exceeds the baseline's: P(X >= hits)
// for X hypergeometric with the 2x2 table's margins, the p-value of scipy.stats.fisher_exact(
// [[hits, trials - hits], [baseline_hits, baseline_trials - baseline_hits]], alternative="greater").
double FisherExactGreater(int64_t hits, int64_t trials, int64_t baseline_hits, int64_t baseline_trials);

// Median of the values present; nullopt when none is.
std::optional<double> MedianOfDefined(const std::vector<std::optional<double>>& values);

}  // namespace emoscope
