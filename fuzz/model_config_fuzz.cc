// Fuzzes config.json parsing. Bad input may only throw emoscope::Error.
#include <string>

#include "common/error.h"
#include "models/checkpoint/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    emoscope::ParseModelConfig(text, "config.json");
  } catch (const emoscope::Error&) {
  }
  return 0;
}
