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

TEST_CASE("the peak location is the vertex of the parabola through the peak layer and its neighbours",
          "[peak_rule]") {
  const std::vector<int64_t> layers = {0, 1, 2, 3, 4};
  const std::vector<double> depths = {0.0, 0.25, 0.5, 0.75, 1.0};
  // Symmetric neighbours: the peak layer itself.
  CHECK(PeakLocation("probe_accuracy", layers, depths, {0.9, 0.4, 0.8, 0.4, 0.3}) == 0.5);
  // y = -(x - 2.25)^2 sampled at the layers: the vertex 2.25, in layer units.
  const auto parabola = [](double x) { return 5.0 - (x - 2.25) * (x - 2.25); };
  const std::vector<double> layer_units = {0, 1, 2, 3, 4};
  CHECK(*PeakLocation("fisher_ratio", layers, layer_units,
                      {parabola(0), parabola(1), parabola(2), parabola(3), parabola(4)}) == Approx(2.25));
  // mean_cosine: lower is better, so the vertex of the minimum.
  CHECK(*PeakLocation("mean_cosine", layers, layer_units,
                      {-parabola(0), -parabola(1), -parabola(2), -parabola(3), -parabola(4)}) ==
        Approx(2.25));
}

TEST_CASE("the peak location of ties, plateaus, end layers and gaps", "[peak_rule]") {
  const std::vector<int64_t> layers = {0, 1, 2, 3, 4};
  const std::vector<double> units = {0, 1, 2, 3, 4};
  // Two layers tied for best: their midpoint, whatever the other neighbour.
  CHECK(PeakLocation("probe_accuracy", layers, units, {0.2, 0.5, 1.0, 1.0, 0.9}) == 2.5);
  // A plateau of three: half a layer past its first.
  CHECK(PeakLocation("probe_accuracy", layers, units, {0.2, 0.5, 1.0, 1.0, 1.0}) == 2.5);
  // The peak at the last block, or at block 1 (layer 0 is no neighbour): the layer itself.
  CHECK(PeakLocation("probe_accuracy", layers, units, {0.2, 0.5, 0.6, 0.7, 0.9}) == 4.0);
  CHECK(PeakLocation("probe_accuracy", layers, units, {0.99, 0.9, 0.6, 0.7, 0.5}) == 1.0);
  // Always within half a spacing of the peak layer.
  CHECK(*PeakLocation("probe_accuracy", layers, units, {0.2, 0.0, 1.0, 0.999, 0.1}) < 2.5);
  // Neighbours are the nearest blocks with a value, in any order of the arrays and any spacing:
  // here blocks 1 and 6 (3 has none), through (1, 0.6), (2, 0.9), (6, 0.5): vertex 0.54 / 0.16.
  CHECK(*PeakLocation("probe_accuracy", {6, 2, 0, 3, 1}, {6, 2, 0, 3, 1}, {0.5, 0.9, 0.0, kNaN, 0.6}) ==
        Approx(3.375));
  CHECK_FALSE(PeakLocation("probe_accuracy", {0, 1}, {0.0, 1.0}, {0.9, kNaN}).has_value());
  CHECK_THROWS_WITH(PeakLocation("probe_accuracy", {1, 2}, {1.0}, {0.5, 0.6}),
                    Catch::Contains("2 layers but 1 positions"));
}

TEST_CASE("the SQL ordering of the peak rule sorts best first and ties to the shallower layer",
          "[peak_rule]") {
  CHECK(PeakOrderSql("probe_accuracy", "value", "layer") == "value DESC, layer ASC");
  CHECK(PeakOrderSql("mean_cosine", "v", "l") == "v ASC, l ASC");
}

}  // namespace
}  // namespace emoscope::analysis
