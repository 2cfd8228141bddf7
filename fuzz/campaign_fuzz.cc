// Fuzzes the campaign file parser (YAML, with its science section). Bad input may only throw
// emoscope::Error; anything else escaping is a finding.
#include <string>

#include "common/error.h"
#include "jobs/campaign.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    emoscope::ParseCampaign(text, "fuzz.yaml");
  } catch (const emoscope::Error&) {
  }
  return 0;
}
