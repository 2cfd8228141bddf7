// IEEE binary16 and bfloat16 <-> binary32, round-to-nearest-even.
#include <cmath>
#include <cstring>

#include "models/checkpoint/safetensors.h"

namespace emoscope {
namespace {

uint32_t FloatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

float BitsFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

}  // namespace

float HalfToFloat(uint16_t bits) {
  const uint32_t sign = uint32_t{bits & 0x8000u} << 16;
  const uint32_t exponent = (bits >> 10) & 0x1f;
  const uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0x1f) return BitsFloat(sign | 0x7f800000u | (mantissa << 13));  // Inf, NaN
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  return BitsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));  // rebias 15 -> 127
}

uint16_t FloatToHalf(float value) {
  const uint32_t bits = FloatBits(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000) {  // NaN: keep the top payload bits, force quiet so it stays NaN
    return static_cast<uint16_t>(sign | 0x7e00 | ((magnitude >> 13) & 0x3ff));
  }
  // From 65520, the tie between the largest half 65504 (odd mantissa) and 65536, up: infinity.
  if (magnitude >= 0x477ff000) return static_cast<uint16_t>(sign | 0x7c00);
  if (magnitude >= 0x38800000) {  // normal half: round the 13 dropped bits to nearest even
    const uint32_t rounded = magnitude + 0xfff + ((magnitude >> 13) & 1);
    return static_cast<uint16_t>(sign | ((rounded - 0x38000000) >> 13));  // rebias 127 -> 15
  }
  // Subnormal half (units of 2^-24): adding 0.5f, whose ulp is 2^-24, lets the FPU's own
  // round-to-nearest-even do the rounding; the low bits of the sum are then the half's bits.
  const float sum = std::fabs(value) + 0.5f;
  return static_cast<uint16_t>(sign | (FloatBits(sum) - FloatBits(0.5f)));
}

float BFloat16ToFloat(uint16_t bits) { return BitsFloat(uint32_t{bits} << 16); }

uint16_t FloatToBFloat16(float value) {
  const uint32_t bits = FloatBits(value);
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x0040);  // quiet NaN
  // Overflow carries into the exponent and lands on infinity, as round-to-nearest-even should.
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

}  // namespace emoscope
