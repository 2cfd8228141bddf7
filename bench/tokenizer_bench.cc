// Encode throughput: tokenizer_bench TOKENIZER_JSON TEXT_FILE [REPEATS]
// Prints MB/s of encode and decode on the file's text (the whole text encoded as one string).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/file_util.h"
#include "models/tokenizer/tokenizer.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: tokenizer_bench TOKENIZER_JSON TEXT_FILE [REPEATS]\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const auto load_start = Clock::now();
  const emoscope::Tokenizer tokenizer = emoscope::Tokenizer::FromFile(argv[1]);
  const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
  const std::string text = emoscope::ReadFile(argv[2]);
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  size_t tokens = 0;
  std::vector<int32_t> ids;
  const auto encode_start = Clock::now();
  for (int i = 0; i < repeats; ++i) {
    ids = tokenizer.Encode(text);
    tokens += ids.size();
  }
  const double encode_s = std::chrono::duration<double>(Clock::now() - encode_start).count();
  const auto decode_start = Clock::now();
  size_t decoded_bytes = 0;
  for (int i = 0; i < repeats; ++i) decoded_bytes += tokenizer.Decode(ids).size();
  const double decode_s = std::chrono::duration<double>(Clock::now() - decode_start).count();
  const double mb = static_cast<double>(text.size()) * repeats / 1e6;
  std::printf("load %.3f s; %zu bytes -> %zu tokens; encode %.2f MB/s; decode %.2f MB/s (%zu bytes)\n", load_s,
              text.size(), tokens / repeats, mb / encode_s, mb / decode_s, decoded_bytes / repeats);
  return 0;
}
