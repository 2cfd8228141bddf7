#include "models/tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <vector>

#include "models/tokenizer/unicode_tables.h"

namespace emoscope::unicode {
namespace {

// Scans one UTF-8 sequence at text[pos] following the well-formed byte table of the Unicode
// standard (no overlongs, no surrogates, nothing above U+10FFFF). Returns the sequence length
// when it is complete and valid; otherwise 0, with *subpart set to the length of the longest
// prefix that could still have begun a valid sequence (at least 1): that is the unit lossy
// conversion replaces with one U+FFFD.
size_t ScanSequence(std::string_view text, size_t pos, uint32_t* code_point, size_t* subpart) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  const uint8_t lead = byte(0);
  *subpart = 1;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  size_t length = 0;
  uint8_t second_low = 0x80;
  uint8_t second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return 0;
  }
  uint32_t value = lead & (0xFF >> (length + 1));
  for (size_t i = 1; i < length; ++i) {
    if (pos + i >= text.size()) return 0;
    const uint8_t next = byte(i);
    const uint8_t low = i == 1 ? second_low : 0x80;
    const uint8_t high = i == 1 ? second_high : 0xBF;
    if (next < low || next > high) return 0;
    value = (value << 6) | (next & 0x3F);
    *subpart = i + 1;
  }
  *code_point = value;
  return length;
}

template <typename Range>
const Range* FindRange(const Range* ranges, size_t count, uint32_t cp) {
  const Range* end = ranges + count;
  const Range* it = std::upper_bound(ranges, end, cp, [](uint32_t v, const Range& r) { return v < r.first; });
  if (it == ranges) return nullptr;
  --it;
  return cp <= it->last ? it : nullptr;
}

std::array<CharClass, 128> MakeAsciiClasses() {
  std::array<CharClass, 128> classes{};
  for (uint32_t cp = 0; cp < 128; ++cp) {
    const auto* range = FindRange(unicode_tables::kClassRanges, unicode_tables::kClassRangeCount, cp);
    classes[cp] = range != nullptr ? static_cast<CharClass>(range->value) : CharClass::kOther;
  }
  return classes;
}

// --- Normalization form C -------------------------------------------------------------------

constexpr uint32_t kHangulSBase = 0xAC00, kHangulLBase = 0x1100, kHangulVBase = 0x1161, kHangulTBase = 0x11A7,
                   kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28,
                   kHangulNCount = kHangulVCount * kHangulTCount,
                   kHangulSCount = kHangulLCount * kHangulNCount;

uint8_t CombiningClass(uint32_t cp) {
  if (cp < 0x300 || cp >= kInvalidByteBase) return 0;
  const auto* range =
      FindRange(unicode_tables::kCombiningClassRanges, unicode_tables::kCombiningClassRangeCount, cp);
  return range != nullptr ? range->value : 0;
}

void Decompose(uint32_t cp, std::vector<uint32_t>* out) {
  if (cp >= kHangulSBase && cp < kHangulSBase + kHangulSCount) {
    const uint32_t index = cp - kHangulSBase;
    out->push_back(kHangulLBase + index / kHangulNCount);
    out->push_back(kHangulVBase + (index % kHangulNCount) / kHangulTCount);
    if (index % kHangulTCount != 0) out->push_back(kHangulTBase + index % kHangulTCount);
    return;
  }
  const auto* begin = unicode_tables::kDecompositions;
  const auto* end = begin + unicode_tables::kDecompositionCount;
  const auto* it = std::lower_bound(
      begin, end, cp, [](const unicode_tables::Decomposition& d, uint32_t v) { return d.code_point < v; });
  if (cp < 0xC0 || it == end || it->code_point != cp) {
    out->push_back(cp);
    return;
  }
  Decompose(it->first, out);
  if (it->second != 0) Decompose(it->second, out);
}

// The primary composite of a starter and the following character, or 0.
uint32_t Compose(uint32_t first, uint32_t second) {
  if (first >= kHangulLBase && first < kHangulLBase + kHangulLCount && second >= kHangulVBase &&
      second < kHangulVBase + kHangulVCount) {
    return kHangulSBase + ((first - kHangulLBase) * kHangulVCount + (second - kHangulVBase)) * kHangulTCount;
  }
  if (first >= kHangulSBase && first < kHangulSBase + kHangulSCount &&
      (first - kHangulSBase) % kHangulTCount == 0 && second > kHangulTBase &&
      second < kHangulTBase + kHangulTCount) {
    return first + (second - kHangulTBase);
  }
  const auto* begin = unicode_tables::kCompositions;
  const auto* end = begin + unicode_tables::kCompositionCount;
  const auto* it =
      std::lower_bound(begin, end, std::make_pair(first, second),
                       [](const unicode_tables::Composition& c, const std::pair<uint32_t, uint32_t>& v) {
                         return std::make_pair(c.first, c.second) < v;
                       });
  return it != end && it->first == first && it->second == second ? it->composite : 0;
}

// Full canonical decomposition of a run, in canonical order (NFD).
std::vector<uint32_t> CanonicalDecomposition(const std::vector<uint32_t>& code_points) {
  std::vector<uint32_t> chars;
  chars.reserve(code_points.size() + 4);
  for (uint32_t cp : code_points) Decompose(cp, &chars);
  // Canonical ordering: stable sort of every run of non-starters by combining class.
  for (size_t i = 0; i < chars.size();) {
    if (CombiningClass(chars[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < chars.size() && CombiningClass(chars[j]) != 0) ++j;
    std::stable_sort(chars.begin() + i, chars.begin() + j,
                     [](uint32_t a, uint32_t b) { return CombiningClass(a) < CombiningClass(b); });
    i = j;
  }
  return chars;
}

void NfdOfRun(const std::vector<uint32_t>& code_points, std::string* out) {
  for (uint32_t cp : CanonicalDecomposition(code_points)) AppendUtf8(cp, out);
}

void NfcOfRun(const std::vector<uint32_t>& code_points, std::string* out) {
  const std::vector<uint32_t> chars = CanonicalDecomposition(code_points);
  // Canonical composition.
  std::vector<uint32_t> result;
  result.reserve(chars.size());
  size_t starter = SIZE_MAX;
  int last_class = -1;
  for (uint32_t cp : chars) {
    const int cls = CombiningClass(cp);
    if (starter != SIZE_MAX) {
      // Not blocked: nothing in between, or everything in between has a lower class.
      const bool blocked = last_class != -1 && (last_class == 0 || last_class >= cls);
      if (!blocked) {
        const uint32_t composite = Compose(result[starter], cp);
        if (composite != 0) {
          result[starter] = composite;
          continue;
        }
      }
    }
    if (cls == 0) {
      starter = result.size();
      last_class = -1;
    } else {
      last_class = cls;
    }
    result.push_back(cp);
  }
  for (uint32_t cp : result) AppendUtf8(cp, out);
}

}  // namespace

uint32_t DecodeAt(std::string_view text, size_t pos, size_t* length) {
  uint32_t cp = 0;
  size_t subpart = 0;
  const size_t n = ScanSequence(text, pos, &cp, &subpart);
  if (n == 0) {
    *length = 1;
    return kInvalidByteBase + static_cast<uint8_t>(text[pos]);
  }
  *length = n;
  return cp;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp >= kInvalidByteBase) {
    out->push_back(static_cast<char>(cp - kInvalidByteBase));
  } else if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string ToValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    uint32_t cp = 0;
    size_t subpart = 0;
    const size_t n = ScanSequence(bytes, pos, &cp, &subpart);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      pos += subpart;
    } else {
      out.append(bytes.substr(pos, n));
      pos += n;
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    uint32_t cp = 0;
    size_t subpart = 0;
    const size_t n = ScanSequence(bytes, pos, &cp, &subpart);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

CharClass ClassOf(uint32_t cp) {
  static const std::array<CharClass, 128> ascii = MakeAsciiClasses();
  if (cp < 128) return ascii[cp];
  if (cp >= kInvalidByteBase) return CharClass::kOther;
  const auto* range = FindRange(unicode_tables::kClassRanges, unicode_tables::kClassRangeCount, cp);
  return range != nullptr ? static_cast<CharClass>(range->value) : CharClass::kOther;
}

bool IsWordChar(uint32_t cp) {
  switch (ClassOf(cp)) {
    case CharClass::kLetter:
    case CharClass::kDigit:
    case CharClass::kNumberLetter:
    case CharClass::kMark:
    case CharClass::kConnector:
    case CharClass::kJoiner:
      return true;
    default:
      return false;
  }
}

CategoryGroup CategoryGroupOf(uint32_t cp) {
  if (cp >= kInvalidByteBase) return CategoryGroup::kNone;
  const auto* range = FindRange(unicode_tables::kCategoryRanges, unicode_tables::kCategoryRangeCount, cp);
  return range != nullptr ? static_cast<CategoryGroup>(range->value) : CategoryGroup::kNone;
}

void AppendLowercase(uint32_t cp, std::string* out) {
  if (cp < 128) {
    out->push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp));
    return;
  }
  if (cp == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: "i" and COMBINING DOT ABOVE
    out->append("i\xCC\x87");
    return;
  }
  const auto* begin = unicode_tables::kLowercase;
  const auto* end = begin + unicode_tables::kLowercaseCount;
  const auto* it = std::lower_bound(
      begin, end, cp, [](const unicode_tables::CaseMapping& m, uint32_t v) { return m.code_point < v; });
  AppendUtf8(it != end && it->code_point == cp ? it->mapped : cp, out);
}

namespace {

// `text` normalized run by run (an invalid byte ends a run and is copied as it is), or returned
// as it is when it has no byte at or above `first_nontrivial_lead` (below it every character is
// its own normal form).
std::string NormalizeRuns(std::string_view text, uint8_t first_nontrivial_lead,
                          void (*normalize_run)(const std::vector<uint32_t>&, std::string*)) {
  bool trivial = true;
  for (char c : text) {
    if (static_cast<uint8_t>(c) >= first_nontrivial_lead) {
      trivial = false;
      break;
    }
  }
  if (trivial) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::vector<uint32_t> run;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 0;
    const uint32_t cp = DecodeAt(text, pos, &length);
    pos += length;
    if (cp >= kInvalidByteBase) {
      normalize_run(run, &out);
      run.clear();
      AppendUtf8(cp, &out);
    } else {
      run.push_back(cp);
    }
  }
  normalize_run(run, &out);
  return out;
}

}  // namespace

// Below U+00C0 every character is its own NFD; below U+0300 its own NFC (and composes with
// nothing before it).
std::string Nfd(std::string_view text) {
  return NormalizeRuns(text, /*first_nontrivial_lead=*/0xC3, NfdOfRun);
}

std::string Nfc(std::string_view text) {
  return NormalizeRuns(text, /*first_nontrivial_lead=*/0xCC, NfcOfRun);
}

}  // namespace emoscope::unicode
