// A seeded random number generator whose output is the same on every platform and standard
// library: xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64, with unbiased
// integer draws and 53-bit uniform doubles written out here (std::uniform_*_distribution differ
// between libraries). Not thread-safe: one Rng per thread or per task.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace emoscope::analysis {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t NextU64();
  // Uniform on {0, ..., bound - 1}, without modulo bias (rejection); bound > 0, else Error.
  uint64_t UniformInt(uint64_t bound);
  // Uniform on [0, 1) with 53 random bits.
  double UniformDouble();
  // Fisher-Yates shuffle of v using UniformInt.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[UniformInt(i)]);
  }

 private:
  std::array<uint64_t, 4> state_;
};

// n indices drawn uniformly with replacement from {0, ..., n - 1}.
std::vector<std::size_t> ResampleIndices(Rng& rng, std::size_t n);

struct BootstrapInterval {
  double lower;           // Quantile (1 - level) / 2 of the finite replicates.
  double upper;           // Quantile (1 + level) / 2 of the finite replicates.
  std::size_t n_valid;    // Replicates that were finite (NaN/inf ones are left out).
  std::size_t n_resamples;
};

// Percentile bootstrap interval: calls replicate(rng) n_resamples times with one Rng seeded by
// `seed` (the callback draws its own resample, e.g. with ResampleIndices, so it can resample within
// groups), and returns the linear-interpolation quantiles (numpy's default) of the finite values.
// lower = upper = NaN when no replicate is finite. level in (0, 1), n_resamples > 0, else Error.
BootstrapInterval PercentileInterval(const std::function<double(Rng&)>& replicate,
                                     std::size_t n_resamples, uint64_t seed, double level = 0.95);

}  // namespace emoscope::analysis
