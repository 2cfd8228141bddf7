#include "stimuli/utf8.h"

#include <cstdint>

namespace emoscope {

size_t FindInvalidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    const auto lead = static_cast<uint8_t>(text[pos]);
    if (lead < 0x80) {
      ++pos;
      continue;
    }
    // The allowed range of the second byte depends on the lead byte (RFC 3629 table): that is
    // what excludes overlong forms, surrogates and code points past U+10FFFF.
    size_t length = 0;
    uint8_t second_min = 0x80;
    uint8_t second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_min = 0xA0;
      if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_min = 0x90;
      if (lead == 0xF4) second_max = 0x8F;
    } else {
      return pos;
    }
    if (pos + length > text.size()) return pos;
    const auto second = static_cast<uint8_t>(text[pos + 1]);
    if (second < second_min || second > second_max) return pos;
    for (size_t k = 2; k < length; ++k) {
      const auto next = static_cast<uint8_t>(text[pos + k]);
      if (next < 0x80 || next > 0xBF) return pos;
    }
    pos += length;
  }
  return std::string_view::npos;
}

}  // namespace emoscope
