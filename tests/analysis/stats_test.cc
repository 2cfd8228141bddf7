// Reference values come from scripts/stats_reference.py (numpy 1.24.2, scipy 1.10.1).
#include "analysis/stats.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "analysis/distributions.h"
#include "common/error.h"

namespace a = emoscope::analysis;

namespace {
// Relative agreement with scipy: the formulas are the same, only summation order differs.
Approx Near(double value) { return Approx(value).epsilon(1e-12).margin(1e-300); }
const std::vector<double> kQuantileSample{3, 1, 4, 1, 5, 9, 2, 6};
}  // namespace

TEST_CASE("average ranks give tied values the mean of their positions", "[stats]") {
  CHECK(a::AverageRanks({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}) ==
        std::vector<double>{4.5, 1.5, 6.0, 1.5, 8.0, 11.0, 3.0, 10.0, 8.0, 4.5, 8.0});
  CHECK(a::TieGroupSizes({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}) == std::vector<std::size_t>{2, 1, 2, 1, 3, 1, 1});
}

TEST_CASE("quantiles interpolate linearly like numpy's default", "[stats]") {
  CHECK(a::Quantile(kQuantileSample, 0.0) == 1.0);
  CHECK(a::Quantile(kQuantileSample, 0.1) == 1.0);
  CHECK(a::Quantile(kQuantileSample, 0.25) == 1.75);
  CHECK(a::Quantile(kQuantileSample, 0.5) == 3.5);
  CHECK(a::Quantile(kQuantileSample, 0.9) == 6.8999999999999995);  // numpy's exact bits.
  CHECK(a::Quantile(kQuantileSample, 1.0) == 9.0);
  CHECK(a::Quantile({0.1, 0.2, 0.7}, 0.3) == Near(0.16));
  CHECK_THROWS_WITH(a::Quantile(kQuantileSample, 1.5), Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(a::Quantile({}, 0.5), Catch::Contains("quantile: x needs at least 1"));
}

TEST_CASE("mean and sample sd use ddof 1 and a single value has no sd", "[stats]") {
  CHECK(a::Mean(kQuantileSample) == 3.875);
  CHECK(a::SampleSd(kQuantileSample) == Near(2.748376143938713));
  CHECK(std::isnan(a::SampleSd({4.0})));
  CHECK_THROWS_WITH(a::Mean({1.0, std::nan("")}), Catch::Contains("x[1] is NaN"));
}

TEST_CASE("pearson and spearman match scipy with and without ties", "[stats]") {
  CHECK(a::Pearson({1, 2, 3, 4, 5, 6}, {2, 1, 4, 3, 7, 5}) == Near(0.7917946548886295));
  CHECK(a::Spearman({1, 2, 3, 4, 5, 6}, {2, 1, 4, 3, 7, 5}) == Near(0.8285714285714287));
  const std::vector<double> x{1, 2, 2, 3, 4, 4, 4, 5};
  const std::vector<double> y{3, 1, 2, 2, 5, 4, 6, 6};
  CHECK(a::Pearson(x, y) == Near(0.7875788688438807));
  CHECK(a::Spearman(x, y) == Near(0.7889568540593018));
  CHECK(a::Spearman({1, 2, 3}, {30, 20, 10}) == Approx(-1.0));
}

TEST_CASE("a correlation with a constant sample is NaN and mismatched lengths are an error", "[stats]") {
  CHECK(std::isnan(a::Pearson({1, 2, 3}, {5, 5, 5})));
  CHECK(std::isnan(a::Spearman({5, 5, 5}, {1, 2, 3})));
  CHECK_THROWS_WITH(a::Pearson({1, 2, 3}, {1, 2}), Catch::Contains("x has 3 values but y has 2"));
  CHECK_THROWS_AS(a::Pearson({1}, {1}), emoscope::Error);
}

TEST_CASE("cohen's d divides the mean difference by the pooled sd", "[stats]") {
  CHECK(a::CohenD({0.52, 0.61, 0.47, 0.70, 0.66}, {0.40, 0.45, 0.51, 0.38}) == Near(1.920518803713424));
  // By hand: means 2 and 5, squared deviations 2 + 2, pooled variance 4 / 4 = 1.
  CHECK(a::CohenD({1, 2, 3}, {4, 5, 6}) == -3.0);
  CHECK(std::isnan(a::CohenD({1, 1}, {1, 1})));
  CHECK_THROWS_WITH(a::CohenD({1}, {2}), Catch::Contains("at least 3 values"));
}

TEST_CASE("cohen's d of two different constant samples is NaN, not a rounding residue's 1e15", "[stats]") {
  // The computed means of three 0.1s and three 0.7s miss the values in the last bit: without an
  // exact constant check the pooled variance is a rounding residue and d is of order 1e15.
  CHECK(std::isnan(a::CohenD({0.1, 0.1, 0.1}, {0.7, 0.7, 0.7})));
  CHECK(a::SampleSd({0.1, 0.1, 0.1}) == 0.0);
}

TEST_CASE("the one-sample t-test matches scipy's ttest_1samp", "[stats]") {
  const std::vector<double> sample{5.1, 4.9, 5.6, 5.8, 6.0, 5.2, 4.7};
  const a::TTestResult near_mean = a::OneSampleTTest(sample, 5.0);
  CHECK(near_mean.statistic == Near(1.8033438885381463));
  CHECK(near_mean.df == 6.0);
  CHECK(near_mean.p_value == Near(0.1213889589695296));
  const a::TTestResult far = a::OneSampleTTest(sample, 0.5);
  CHECK(far.statistic == Near(26.501314535908367));
  CHECK(far.p_value == Approx(1.9054618429811483e-07).epsilon(1e-10));
  CHECK(std::isnan(a::OneSampleTTest({2, 2, 2}, 2.0).p_value));
  CHECK(a::OneSampleTTest({2, 2, 2}, 1.0).p_value == 0.0);
}

TEST_CASE("student t tails and the incomplete beta match scipy", "[stats]") {
  CHECK(a::StudentTSf(0.5, 3.0) == Near(0.3257239824240755));
  CHECK(a::StudentTSf(2.0, 10.0) == Near(0.036694017385370196));
  CHECK(a::StudentTSf(-1.3, 4.5) == Near(0.871901956027983));
  CHECK(a::StudentTSf(10.0, 2.0) == Near(0.004926228511662846));
  CHECK(a::StudentTSf(40.0, 30.0) == Approx(6.863022597203181e-28).epsilon(1e-10));
  CHECK(a::StudentTSf(1e-3, 1.0) == Near(0.4996816902199194));
  CHECK(a::StudentTCdf(-2.0, 10.0) == Near(0.036694017385370196));
  CHECK(a::RegularizedIncompleteBeta(0.5, 0.5, 0.3) == Near(0.3690101195655454));
  CHECK(a::RegularizedIncompleteBeta(2.0, 3.0, 0.4) == Near(0.5248));
  CHECK(a::RegularizedIncompleteBeta(10.0, 0.5, 0.95) == Near(0.3171515754655451));
  CHECK(a::RegularizedIncompleteBeta(50.0, 70.0, 0.45) == Near(0.7717610017525608));
  CHECK_THROWS_WITH(a::RegularizedIncompleteBeta(-1.0, 1.0, 0.5), Catch::Contains("a and b"));
  CHECK_THROWS_WITH(a::RegularizedIncompleteBeta(1.0, 1.0, 1.5), Catch::Contains("[0, 1]"));
}

TEST_CASE("the normal cdf and survival function keep their tails", "[stats]") {
  CHECK(a::NormalCdf(-1.96) == Near(0.024997895148220435));
  CHECK(a::NormalSf(-1.96) == Near(0.9750021048517795));
  CHECK(a::NormalCdf(0.0) == 0.5);
  CHECK(a::NormalCdf(1.0) == Near(0.8413447460685429));
  CHECK(a::NormalSf(8.0) == Near(6.22096057427174e-16));
}
