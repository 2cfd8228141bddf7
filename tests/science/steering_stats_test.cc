// Scenario statistics and the calibration search, against values computed independently
// (exact binomial sums and hypergeometric counts by Python's math.comb; planted thresholds).
#include "science/steering_stats.h"

#include <catch2/catch.hpp>
#include <cmath>

#include "common/error.h"
#include "science/calibration.h"
#include "science/steering_layers.h"

using emoscope::CalibrateAlpha;
using emoscope::CalibrationSearch;

TEST_CASE("the Clopper-Pearson interval matches exact binomial tail inversion", "[steering][stats]") {
  const auto three_of_ten = emoscope::ClopperPearson(3, 10);
  CHECK(three_of_ten.low == Approx(0.06673951117773447).epsilon(1e-9));
  CHECK(three_of_ten.high == Approx(0.6524528500599973).epsilon(1e-9));
  const auto none = emoscope::ClopperPearson(0, 8);
  CHECK(none.low == 0.0);
  CHECK(none.high == Approx(0.3694166475528192).epsilon(1e-9));
  const auto all = emoscope::ClopperPearson(8, 8);
  CHECK(all.low == Approx(0.6305833524471807).epsilon(1e-9));
  CHECK(all.high == 1.0);
  CHECK_THROWS_AS(emoscope::ClopperPearson(3, 2), emoscope::Error);
}

TEST_CASE("the one-sided Fisher exact test of hit rates equals the hypergeometric tail",
          "[steering][stats]") {
  CHECK(emoscope::FisherExactGreater(7, 10, 2, 10) == Approx(0.03488925934746368).epsilon(1e-9));
  CHECK(emoscope::FisherExactGreater(5, 16, 1, 16) == Approx(0.08595970831788406).epsilon(1e-9));
  CHECK(emoscope::FisherExactGreater(3, 3, 0, 3) == Approx(0.05).epsilon(1e-9));
  CHECK(emoscope::FisherExactGreater(0, 3, 2, 10) == 1.0);  // no hits: no evidence
  CHECK(emoscope::FisherExactGreater(2, 10, 2, 10) > 0.5);  // equal rates: not significant
  CHECK(emoscope::FisherExactGreater(4, 4, 4, 4) == 1.0);   // every hit on both sides: no evidence
}

TEST_CASE("the median ignores undefined values", "[steering][stats]") {
  CHECK_FALSE(emoscope::MedianOfDefined({std::nullopt}).has_value());
  CHECK(*emoscope::MedianOfDefined({3.0, std::nullopt, 1.0}) == Approx(2.0));
  CHECK(*emoscope::MedianOfDefined({5.0, 1.0, std::nullopt, 2.0}) == Approx(2.0));
}

TEST_CASE("calibration finds a planted coherence threshold by log-scale bisection",
          "[steering][calibration]") {
  for (double threshold : {0.037, 0.3, 1.7, 9.0}) {
    INFO("planted threshold " << threshold);
    // A fake model: ppl_ratio grows smoothly and crosses 4 exactly at the threshold.
    int calls = 0;
    auto oracle = [&](double alpha) -> std::optional<double> {
      ++calls;
      return 4.0 * std::pow(alpha / threshold, 2.0);
    };
    CalibrationSearch search;  // [0.01, 16], resolution 1.1
    const auto result = CalibrateAlpha(oracle, search);
    REQUIRE(result.alpha_coherent.has_value());
    REQUIRE(result.alpha_incoherent.has_value());
    CHECK(*result.alpha_coherent <= threshold);
    CHECK(*result.alpha_incoherent > threshold);
    CHECK(*result.alpha_incoherent / *result.alpha_coherent <= 1.1);
    CHECK(result.window_high == *result.alpha_coherent);
    CHECK(result.window_low == Approx(*result.alpha_coherent / 20));
    CHECK(result.trace.size() == static_cast<size_t>(calls));
    CHECK(calls <= 12);  // log2(ln(1600) / ln(1.1)) bisection steps plus the two ends
    for (const auto& step : result.trace) CHECK(step.coherent == (step.alpha <= threshold));
  }
}

TEST_CASE("calibration reports when the whole range is coherent or none of it is",
          "[steering][calibration]") {
  CalibrationSearch search;
  const auto always = CalibrateAlpha([](double) { return std::optional<double>(1.0); }, search);
  CHECK(always.alpha_coherent == 16.0);
  CHECK_FALSE(always.alpha_incoherent.has_value());
  CHECK(always.trace.size() == 1);
  const auto never = CalibrateAlpha([](double) { return std::optional<double>(100.0); }, search);
  CHECK_FALSE(never.alpha_coherent.has_value());
  CHECK(never.alpha_incoherent == 0.01);
  CHECK(never.window_high == 0.01);
  // Nothing measurable counts as incoherent.
  const auto unmeasured = CalibrateAlpha([](double) { return std::optional<double>(); }, search);
  CHECK_FALSE(unmeasured.alpha_coherent.has_value());
  search.low = 2;
  search.high = 1;
  CHECK_THROWS_AS(CalibrateAlpha([](double) { return std::optional<double>(1.0); }, search), emoscope::Error);
}

TEST_CASE("log-spaced sweeps have constant ratios and exact ends", "[steering][calibration]") {
  const auto sweep = emoscope::LogSpaced(0.05, 1.0, 5);
  REQUIRE(sweep.size() == 5);
  CHECK(sweep.front() == 0.05);
  CHECK(sweep.back() == 1.0);
  for (size_t i = 1; i < sweep.size(); ++i) CHECK(sweep[i] / sweep[i - 1] == Approx(std::pow(20.0, 0.25)));
  CHECK((emoscope::LogSpaced(0.3, 0.3, 1) == std::vector<double>{0.3}));
}

TEST_CASE("layer specs name a layer, a depth, the peak, every block or a range", "[steering][layers]") {
  using nlohmann::json;
  auto peak = [] { return int64_t{5}; };
  using V = std::vector<int64_t>;
  CHECK((emoscope::ResolveLayerSpec(json("peak"), 8, peak) == V{5}));
  CHECK((emoscope::ResolveLayerSpec(json(3), 8, peak) == V{3}));
  CHECK((emoscope::ResolveLayerSpec(json(0.5), 8, peak) == V{4}));
  CHECK((emoscope::ResolveLayerSpec(json("all"), 3, peak) == V{1, 2, 3}));
  CHECK((emoscope::ResolveLayerSpec(json{{"from", 0.25}, {"to", 0.75}}, 8, peak) == V{2, 3, 4, 5, 6}));
  CHECK((emoscope::ResolveLayerSpec(json{{"from", 2}, {"to", 0.5}}, 8, peak) == V{2, 3, 4}));
  CHECK_THROWS_AS(emoscope::ResolveLayerSpec(json{{"from", 6}, {"to", 2}}, 8, peak), emoscope::Error);
  CHECK_THROWS_AS(emoscope::ResolveLayerSpec(json(9), 8, peak), emoscope::Error);
  CHECK_THROWS_AS(emoscope::ResolveLayerSpec(json("middle"), 8, peak), emoscope::Error);
  CHECK(emoscope::LayerSpecLabel(json{{"from", 0.25}, {"to", 0.75}}) == "0.25-0.75");
}
