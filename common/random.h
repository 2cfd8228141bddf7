// A small seeded generator whose output is the same on every platform and standard library
// (std::uniform_*_distribution is not): SplitMix64 for seeding and streams.
#pragma once

#include <cstdint>

namespace emoscope {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform in [0, n) without modulo bias; n > 0.
  uint64_t NextBelow(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t value;
    do {
      value = Next();
    } while (value >= limit);
    return value % n;
  }

 private:
  uint64_t state_;
};

}  // namespace emoscope
