// Fuzzes tokenizer.json loading (model, normalizer, pre-tokenizer, post-processor, decoder, added
// tokens). Bad input may only throw emoscope::Error; a tokenizer that loads must encode and decode
// a short text without crashing.
#include <string>

#include "common/error.h"
#include "fuzz/fuzz_file.h"
#include "models/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = emoscope::fuzz::ScratchPath("tokenizer.json");
  emoscope::fuzz::WriteScratch(path, data, size);
  try {
    const emoscope::Tokenizer tokenizer = emoscope::Tokenizer::FromFile(path);
    const std::vector<int32_t> ids = tokenizer.Encode("Hello world, caf\xC3\xA9 \xF0\x9F\x98\x80!");
    tokenizer.Decode(ids);
  } catch (const emoscope::Error&) {
  }
  return 0;
}
