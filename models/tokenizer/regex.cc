#include "models/tokenizer/regex.h"

#include <oniguruma.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "models/tokenizer/unicode.h"

namespace emoscope {
namespace {

void InitializeOniguruma() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

const UChar* Bytes(std::string_view text, size_t offset) {
  return reinterpret_cast<const UChar*>(text.data()) + offset;
}

// Frees the region when the search is done.
struct RegionDeleter {
  void operator()(OnigRegion* region) const { onig_region_free(region, /*free_self=*/1); }
};

}  // namespace

void Regex::Deleter::operator()(void* regex) const { onig_free(static_cast<OnigRegex>(regex)); }

std::optional<Regex> Regex::Compile(const std::string& pattern, std::string* error) {
  InitializeOniguruma();
  OnigRegex regex = nullptr;
  OnigErrorInfo info;
  const int status = onig_new(&regex, Bytes(pattern, 0), Bytes(pattern, pattern.size()), ONIG_OPTION_NONE,
                              ONIG_ENCODING_UTF8, ONIG_SYNTAX_ONIGURUMA, &info);
  if (status != ONIG_NORMAL) {
    UChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(message, status, &info);
    *error = reinterpret_cast<const char*>(message);
    return std::nullopt;
  }
  return Regex(pattern, regex);
}

std::vector<Span> Regex::FindAll(std::string_view text) const {
  std::vector<Span> matches;
  size_t run_begin = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = 0;
    const uint32_t cp = unicode::DecodeAt(text, pos, &length);
    if (cp >= unicode::kInvalidByteBase) {
      if (run_begin < pos) FindInValidRun(text, run_begin, pos, &matches);
      run_begin = pos + length;
    }
    pos += length;
  }
  if (run_begin < text.size()) FindInValidRun(text, run_begin, text.size(), &matches);
  return matches;
}

void Regex::FindInValidRun(std::string_view text, size_t begin, size_t end, std::vector<Span>* out) const {
  const std::unique_ptr<OnigRegion, RegionDeleter> region(onig_region_new());
  const auto regex = static_cast<OnigRegex>(regex_.get());
  const std::string_view run = text.substr(begin, end - begin);
  size_t search_from = 0;
  std::optional<size_t> last_match_end;
  while (search_from <= run.size()) {
    onig_region_clear(region.get());
    const int found = onig_search(regex, Bytes(run, 0), Bytes(run, run.size()), Bytes(run, search_from),
                                  Bytes(run, run.size()), region.get(), ONIG_OPTION_NONE);
    if (found == ONIG_MISMATCH) return;
    if (found < 0) {
      UChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
      onig_error_code_to_str(message, found);
      Fail("regex {}: the engine stopped: {}", nlohmann::json(pattern_).dump(),
           reinterpret_cast<const char*>(message));
    }
    const auto match_begin = static_cast<size_t>(region->beg[0]);
    const auto match_end = static_cast<size_t>(region->end[0]);
    if (match_begin == match_end && last_match_end == match_end) {
      // An empty match right after the previous one: step over one character and search again.
      if (search_from == run.size()) return;
      size_t length = 0;
      unicode::DecodeAt(run, search_from, &length);
      search_from += length;
      continue;
    }
    out->emplace_back(begin + match_begin, begin + match_end);
    search_from = match_end;
    last_match_end = match_end;
  }
}

}  // namespace emoscope
