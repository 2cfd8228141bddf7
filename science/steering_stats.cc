#include "science/steering_stats.h"

#include <algorithm>
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/hypergeometric.hpp>

#include "common/error.h"

namespace emoscope {

ProportionInterval ClopperPearson(int64_t successes, int64_t trials, double confidence) {
  if (trials < 1 || successes < 0 || successes > trials)
    Fail("ClopperPearson: {} successes of {} trials", successes, trials);
  if (!(confidence > 0 && confidence < 1))
    Fail("ClopperPearson: confidence {} is outside (0, 1)", confidence);
  const double tail = (1 - confidence) / 2;
  const auto k = static_cast<double>(successes);
  const auto n = static_cast<double>(trials);
  ProportionInterval out;
  if (successes > 0)
    out.low = boost::math::quantile(boost::math::beta_distribution<double>(k, n - k + 1), tail);
  if (successes < trials)
    out.high = boost::math::quantile(boost::math::beta_distribution<double>(k + 1, n - k), 1 - tail);
  return out;
}

double FisherExactGreater(int64_t hits, int64_t trials, int64_t baseline_hits, int64_t baseline_trials) {
  if (trials < 1 || baseline_trials < 1 || hits < 0 || hits > trials || baseline_hits < 0 ||
      baseline_hits > baseline_trials) {
    Fail("FisherExactGreater: {} of {} against {} of {}", hits, trials, baseline_hits, baseline_trials);
  }
  const auto total_hits = static_cast<unsigned>(hits + baseline_hits);
  // X >= hits always when hits is at or below the smallest X the margins allow.
  const int64_t smallest = std::max<int64_t>(0, hits + baseline_hits - baseline_trials);
  if (hits <= smallest) return 1.0;
  const boost::math::hypergeometric_distribution<double> draws(
      /*r=*/total_hits, /*n=*/static_cast<unsigned>(trials),
      /*N=*/static_cast<unsigned>(trials + baseline_trials));
  // P(X >= hits) = P(X > hits - 1).
  return std::min(1.0, boost::math::cdf(boost::math::complement(draws, static_cast<unsigned>(hits - 1))));
}

std::optional<double> MedianOfDefined(const std::vector<std::optional<double>>& values) {
  std::vector<double> present;
  for (const auto& value : values) {
    if (value) present.push_back(*value);
  }
  if (present.empty()) return std::nullopt;
  std::sort(present.begin(), present.end());
  const size_t mid = present.size() / 2;
  return present.size() % 2 == 1 ? present[mid] : (present[mid - 1] + present[mid]) / 2;
}

}  // namespace emoscope
