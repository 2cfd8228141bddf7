#include "analysis/random.h"

#include <cmath>
#include <limits>

#include "analysis/stats.h"
#include "common/error.h"

namespace emoscope::analysis {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(uint64_t seed) {
  // splitmix64 spreads any seed (0 included) over the state; xoshiro must not start all-zero,
  // which splitmix64 cannot produce in four consecutive outputs.
  for (uint64_t& word : state_) word = SplitMix64(seed);
}

uint64_t Rng::NextU64() {
  const uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

uint64_t Rng::UniformInt(uint64_t bound) {
  if (bound == 0) Fail("rng: UniformInt needs a positive bound");
  // Accept only draws below the largest multiple of bound, so every residue is equally likely.
  const uint64_t threshold = (0 - bound) % bound;  // = 2^64 mod bound
  for (;;) {
    const uint64_t draw = NextU64();
    if (draw >= threshold) return draw % bound;
  }
}

double Rng::UniformDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

std::vector<std::size_t> ResampleIndices(Rng& rng, std::size_t n) {
  std::vector<std::size_t> indices(n);
  for (std::size_t& index : indices) index = static_cast<std::size_t>(rng.UniformInt(n));
  return indices;
}

BootstrapInterval PercentileInterval(const std::function<double(Rng&)>& replicate,
                                     std::size_t n_resamples, uint64_t seed, double level) {
  if (n_resamples == 0) Fail("bootstrap: n_resamples must be positive");
  if (!(level > 0.0 && level < 1.0)) Fail("bootstrap: level must lie in (0, 1), got {}", level);
  Rng rng(seed);
  std::vector<double> values;
  values.reserve(n_resamples);
  for (std::size_t i = 0; i < n_resamples; ++i) {
    const double value = replicate(rng);
    if (std::isfinite(value)) values.push_back(value);
  }
  BootstrapInterval interval{std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::quiet_NaN(), values.size(), n_resamples};
  if (values.empty()) return interval;
  interval.lower = Quantile(values, 0.5 * (1.0 - level));
  interval.upper = Quantile(values, 0.5 * (1.0 + level));
  return interval;
}

}  // namespace emoscope::analysis
