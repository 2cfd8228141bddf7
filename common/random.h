// A small seeded random generator whose output is the same on every platform and compiler:
// SplitMix64 (Steele, Lea, Flood 2014). The standard library's distributions are not used because
// their algorithms differ between implementations. Not thread-safe: one generator per stream.
#pragma once

#include <cstdint>

namespace emoscope {

// The SplitMix64 output function: a bijective 64-bit mixer, also used to derive seeds.
constexpr uint64_t Mix64(uint64_t value) {
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    state_ += kGamma;
    return Mix64(state_);
  }

  // Uniform in [0, bound), without modulo bias (rejection of the short last block). bound > 0.
  uint64_t Below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value = Next();
    while (value >= limit) value = Next();
    return value % bound;
  }

  // True with probability percent / 100.
  bool Percent(uint64_t percent) { return Below(100) < percent; }

  // Uniform in [0, 1) from the top 53 bits.
  double NextDouble() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  static constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ULL;  // 2^64 / golden ratio, odd
  uint64_t state_;
};

}  // namespace emoscope
