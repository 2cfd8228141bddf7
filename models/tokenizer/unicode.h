// Code points, UTF-8 and the Unicode properties the tokenizer needs. Pure functions, thread-safe.
//
// Invalid UTF-8 never throws here: a byte that does not start a valid sequence decodes as one
// code point of its own, kInvalidByteBase + byte, which has no Unicode class. The tokenizer thus
// handles any byte string, and byte-level tokenizers reproduce invalid input byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace emoscope::unicode {

// Code points at or above this stand for one undecodable byte (value - kInvalidByteBase).
constexpr uint32_t kInvalidByteBase = 0x110000;

// Decodes the code point starting at text[pos]; sets *length to its byte length (>= 1).
uint32_t DecodeAt(std::string_view text, size_t pos, size_t* length);
// Appends the UTF-8 encoding of `code_point` (an invalid-byte code point appends its byte).
void AppendUtf8(uint32_t code_point, std::string* out);
// Replaces every maximal invalid subsequence with U+FFFD, as Rust's from_utf8_lossy does.
std::string ToValidUtf8(std::string_view bytes);
bool IsValidUtf8(std::string_view bytes);

// Classes from Unicode general categories; values match the generated tables.
enum class CharClass : uint8_t {
  kOther = 0,
  kLetter = 1,        // L*
  kDigit = 2,         // Nd
  kNumberLetter = 3,  // Nl
  kNumberOther = 4,   // No
  kSpace = 5,         // White_Space: Zs, Zl, Zp, U+0009..U+000D, U+0085
  kMark = 6,          // M*
  kConnector = 7,     // Pc
  kJoiner = 8,        // U+200C, U+200D
};
CharClass ClassOf(uint32_t code_point);
inline bool IsLetter(uint32_t cp) { return ClassOf(cp) == CharClass::kLetter; }  // \p{L}
inline bool IsNumber(uint32_t cp) {                                              // \p{N}
  const CharClass c = ClassOf(cp);
  return c == CharClass::kDigit || c == CharClass::kNumberLetter || c == CharClass::kNumberOther;
}
inline bool IsSpace(uint32_t cp) { return ClassOf(cp) == CharClass::kSpace; }  // \s
// \w as the regex crate reads it (letters, marks, numbers except No, connectors, joiners).
bool IsWordChar(uint32_t cp);

// The general-category groups BERT's normalizer and pre-tokenizer test; values match the
// generated tables. An invalid-byte code point is kNone.
enum class CategoryGroup : uint8_t {
  kNone = 0,
  kNonspacingMark = 1,  // Mn
  kPunctuation = 2,     // P*
  kOther = 3,           // C*: Cc, Cf, Cs, Co, Cn (unassigned)
};
CategoryGroup CategoryGroupOf(uint32_t code_point);

// Appends the lowercase of one code point (Unicode's full lowercase mapping of that character
// alone, as Rust's char::to_lowercase; no context such as final sigma). An invalid-byte code
// point appends its byte.
void AppendLowercase(uint32_t code_point, std::string* out);

// Unicode normalization forms C and D. Invalid bytes pass through unchanged.
std::string Nfc(std::string_view text);
std::string Nfd(std::string_view text);

}  // namespace emoscope::unicode
