// Tokenizer throughput and load time:
//   tokenizer_bench TOKENIZER_JSON TEXT_FILE [REPEATS]
//     prints the load time and MB/s of encode and decode on the file's text (the whole text
//     encoded as one string);
//   tokenizer_bench --patterns TEXT_FILE [REPEATS]
//     prints MB/s of the GPT-2, Llama 3 and Qwen2 pre-tokenizer patterns through the
//     hand-written scanners and through the regex engine (and checks that they agree).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/file_util.h"
#include "models/tokenizer/regex.h"
#include "models/tokenizer/split_patterns.h"
#include "models/tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int BenchPatterns(const std::string& text, int repeats) {
  const double mb = static_cast<double>(text.size()) * repeats / 1e6;
  const std::pair<const char*, emoscope::KnownPattern> patterns[] = {
      {"gpt2", emoscope::KnownPattern::kGpt2},
      {"llama3", emoscope::KnownPattern::kLlama3},
      {"qwen2", emoscope::KnownPattern::kQwen2}};
  for (const auto& [name, pattern] : patterns) {
    std::string error;
    const std::optional<emoscope::Regex> regex =
        emoscope::Regex::Compile(emoscope::PatternString(pattern), &error);
    if (!regex) {
      std::fprintf(stderr, "%s: %s\n", name, error.c_str());
      return 1;
    }
    std::vector<emoscope::Span> scanned;
    auto start = Clock::now();
    for (int i = 0; i < repeats; ++i) scanned = emoscope::FindPatternMatches(pattern, text);
    const double scanner_s = Seconds(start);
    std::vector<emoscope::Span> matched;
    start = Clock::now();
    for (int i = 0; i < repeats; ++i) matched = regex->FindAll(text);
    const double engine_s = Seconds(start);
    std::printf("%-7s %zu pieces; scanner %.1f MB/s; regex engine %.1f MB/s; %s\n", name, scanned.size(),
                mb / scanner_s, mb / engine_s, scanned == matched ? "same pieces" : "DIFFERENT PIECES");
    if (scanned != matched) return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--patterns") == 0) {
    return BenchPatterns(emoscope::ReadFile(argv[2]), argc > 3 ? std::atoi(argv[3]) : 3);
  }
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: tokenizer_bench TOKENIZER_JSON TEXT_FILE [REPEATS]\n"
                 "       tokenizer_bench --patterns TEXT_FILE [REPEATS]\n");
    return 2;
  }
  const auto load_start = Clock::now();
  const emoscope::Tokenizer tokenizer = emoscope::Tokenizer::FromFile(argv[1]);
  const double load_s = Seconds(load_start);
  const std::string text = emoscope::ReadFile(argv[2]);
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  size_t tokens = 0;
  std::vector<int32_t> ids;
  const auto encode_start = Clock::now();
  for (int i = 0; i < repeats; ++i) {
    ids = tokenizer.Encode(text);
    tokens += ids.size();
  }
  const double encode_s = Seconds(encode_start);
  const auto decode_start = Clock::now();
  size_t decoded_bytes = 0;
  for (int i = 0; i < repeats; ++i) decoded_bytes += tokenizer.Decode(ids).size();
  const double decode_s = Seconds(decode_start);
  const double mb = static_cast<double>(text.size()) * repeats / 1e6;
  std::printf("load %.3f s; %zu bytes -> %zu tokens; encode %.2f MB/s; decode %.2f MB/s (%zu bytes)\n",
              load_s, text.size(), tokens / repeats, mb / encode_s, mb / decode_s, decoded_bytes / repeats);
  return 0;
}
