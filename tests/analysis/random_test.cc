#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "analysis/random.h"
#include "common/error.h"

namespace a = emoscope::analysis;

TEST_CASE("the rng reproduces the reference xoshiro256** stream seeded by splitmix64", "[random]") {
  // From a separate Python transcription of Vigna's reference code: splitmix64(0) fills the state
  // with e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f f88bb8a8724c81ec.
  a::Rng rng(0);
  CHECK(rng.NextU64() == 0x99ec5f36cb75f2b4ULL);
  CHECK(rng.NextU64() == 0xbf6e1f784956452aULL);
  CHECK(rng.NextU64() == 0x1a5f849d4933e6e0ULL);
}

TEST_CASE("the same seed gives the same draws and another seed different ones", "[random]") {
  a::Rng first(42);
  a::Rng second(42);
  a::Rng other(43);
  bool any_different = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t draw = first.NextU64();
    CHECK(draw == second.NextU64());
    any_different = any_different || draw != other.NextU64();
  }
  CHECK(any_different);
}

TEST_CASE("uniform integers stay in range and cover it evenly", "[random]") {
  a::Rng rng(7);
  std::vector<int> counts(6, 0);
  constexpr int kDraws = 60000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t value = rng.UniformInt(6);
    REQUIRE(value < 6);
    ++counts[value];
  }
  // Each count is Binomial(60000, 1/6): sd about 91, so 600 is more than 6 sd.
  for (int count : counts) CHECK(std::abs(count - kDraws / 6) < 600);
  CHECK_THROWS_AS(rng.UniformInt(0), emoscope::Error);
}

TEST_CASE("uniform doubles lie between 0 and 1 with mean one half", "[random]") {
  a::Rng rng(11);
  double sum = 0.0;
  for (int i = 0; i < 20000; ++i) {
    const double value = rng.UniformDouble();
    REQUIRE(value >= 0.0);
    REQUIRE(value < 1.0);
    sum += value;
  }
  CHECK(sum / 20000 == Approx(0.5).margin(0.01));  // sd of the mean is 0.002.
}

TEST_CASE("a bootstrap interval of a sample mean brackets it and repeats with the seed", "[random]") {
  const std::vector<double> sample{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto mean_of_resample = [&](a::Rng& rng) {
    double sum = 0.0;
    for (std::size_t index : a::ResampleIndices(rng, sample.size())) sum += sample[index];
    return sum / sample.size();
  };
  const a::BootstrapInterval interval = a::PercentileInterval(mean_of_resample, 1000, /*seed=*/5);
  CHECK(interval.n_valid == 1000);
  CHECK(interval.lower < 5.5);
  CHECK(interval.upper > 5.5);
  // Normal theory: 5.5 +- 1.96 * 2.87 / sqrt(10) = [3.72, 7.28]; the bootstrap is close to it.
  CHECK(interval.lower == Approx(3.72).margin(0.35));
  CHECK(interval.upper == Approx(7.28).margin(0.35));
  const a::BootstrapInterval again = a::PercentileInterval(mean_of_resample, 1000, /*seed=*/5);
  CHECK(again.lower == interval.lower);
  CHECK(again.upper == interval.upper);
}

TEST_CASE("a bootstrap leaves out non-finite replicates and rejects a bad level", "[random]") {
  int call = 0;
  auto sometimes_nan = [&](a::Rng&) { return ++call % 2 == 0 ? std::nan("") : 1.0; };
  const a::BootstrapInterval interval = a::PercentileInterval(sometimes_nan, 10, /*seed=*/1);
  CHECK(interval.n_valid == 5);
  CHECK(interval.lower == 1.0);
  auto always_nan = [](a::Rng&) { return std::nan(""); };
  CHECK(std::isnan(a::PercentileInterval(always_nan, 3, /*seed=*/1).lower));
  CHECK_THROWS_WITH(a::PercentileInterval(always_nan, 3, 1, /*level=*/1.0), Catch::Contains("level"));
}
