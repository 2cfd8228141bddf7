#include "models/tokenizer/byte_level.h"

#include <array>

#include "models/tokenizer/unicode.h"

namespace emoscope::byte_level {
namespace {

struct Tables {
  std::array<uint32_t, 256> code_points{};
  std::array<std::string, 256> utf8;
};

// Printable Latin-1 bytes stand for themselves; the others (controls, space, 0x7F-0xA0, 0xAD)
// are given U+0100 onwards in byte order. This is the alphabet GPT-2's vocabulary is written in.
Tables MakeTables() {
  Tables tables;
  uint32_t next = 256;
  for (uint32_t byte = 0; byte < 256; ++byte) {
    const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
    tables.code_points[byte] = printable ? byte : next++;
    unicode::AppendUtf8(tables.code_points[byte], &tables.utf8[byte]);
  }
  return tables;
}

const Tables& GetTables() {
  static const Tables tables = MakeTables();
  return tables;
}

}  // namespace

uint32_t ByteToCodePoint(uint8_t byte) { return GetTables().code_points[byte]; }

const std::string& ByteToUtf8(uint8_t byte) { return GetTables().utf8[byte]; }

std::optional<uint8_t> CodePointToByte(uint32_t code_point) {
  // The 256 characters are U+0021..U+00FF (bytes standing for themselves) and U+0100..U+0143.
  if (code_point < 0x21 || code_point > 0x143) return std::nullopt;
  if (code_point >= 0x100) {
    static const std::array<uint8_t, 68> shifted = [] {
      std::array<uint8_t, 68> table{};
      for (uint32_t byte = 0; byte < 256; ++byte) {
        const uint32_t cp = GetTables().code_points[byte];
        if (cp >= 0x100) table[cp - 0x100] = static_cast<uint8_t>(byte);
      }
      return table;
    }();
    return shifted[code_point - 0x100];
  }
  if (code_point == 0x7F || (code_point >= 0x80 && code_point <= 0xA0) || code_point == 0xAD) return std::nullopt;
  return static_cast<uint8_t>(code_point);
}

std::string Encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += ByteToUtf8(static_cast<uint8_t>(c));
  return out;
}

}  // namespace emoscope::byte_level
