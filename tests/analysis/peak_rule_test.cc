#include "analysis/peak_rule.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace emoscope::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST_CASE("the peak is never the embedding layer even when it has the highest value", "[peak_rule]") {
  const std::vector<int64_t> layers = {0, 1, 2, 3};
  CHECK(PeakLayer("probe_accuracy", layers, {0.9, 0.4, 0.6, 0.5}) == 2);
  CHECK(PeakLayer("mean_cosine", layers, {0.01, 0.4, 0.2, 0.3}) == 2);
}

TEST_CASE("peak ties go to the shallower layer whatever the order of the rows", "[peak_rule]") {
  CHECK(PeakLayer("probe_accuracy", {3, 1, 2}, {0.5, 0.5, 0.4}) == 1);
  CHECK(PeakLayer("mean_cosine", {4, 2, 3}, {0.1, 0.1, 0.3}) == 2);
  CHECK(PeakIndex("fisher_ratio", {3, 1, 2}, {2.0, 2.0, 1.0}) == std::size_t{1});
}

TEST_CASE("the peak skips undefined values and is absent when no block has one", "[peak_rule]") {
  CHECK(PeakLayer("separation_gap", {1, 2, 3}, {kNaN, 0.1, std::numeric_limits<double>::infinity()}) == 2);
  CHECK_FALSE(PeakLayer("probe_accuracy", {0, 1}, {0.9, kNaN}).has_value());
  CHECK_FALSE(PeakLayer("probe_accuracy", std::vector<int64_t>{}, {}).has_value());
}

TEST_CASE("the map form of the peak rule agrees with the array form", "[peak_rule]") {
  CHECK(PeakLayer("separation_z", std::map<int64_t, double>{{0, 9.0}, {1, 3.0}, {2, 3.0}, {3, 1.0}}) == 1);
}

TEST_CASE("an unknown peak metric or mismatched arrays are errors naming the metric", "[peak_rule]") {
  CHECK_THROWS_WITH(PeakLayer("anisotropy", {1}, {0.5}),
                    Catch::Contains("'anisotropy' is not a peak metric"));
  CHECK_THROWS_WITH(PeakLayer("probe_accuracy", {1, 2}, {0.5}), Catch::Contains("2 layers but 1 values"));
  CHECK(IsPeakMetric("separation_gap"));
  CHECK_FALSE(IsPeakMetric("chance"));
}

TEST_CASE("the SQL ordering of the peak rule sorts best first and ties to the shallower layer",
          "[peak_rule]") {
  CHECK(PeakOrderSql("probe_accuracy", "value", "layer") == "value DESC, layer ASC");
  CHECK(PeakOrderSql("mean_cosine", "v", "l") == "v ASC, l ASC");
}

}  // namespace
}  // namespace emoscope::analysis
