// Helpers for fuzz targets whose parsers read files: the input is written to one scratch file per
// process (in $TMPDIR) and rewritten for every input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace emoscope::fuzz {

inline std::string ScratchPath(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/emoscope-fuzz-" + std::to_string(::getpid()) + "-" + name;
}

// Writes data to `path` (aborts when it cannot: the fuzzer would otherwise test nothing).
inline void WriteScratch(const std::string& path, const uint8_t* data, size_t size) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
}

}  // namespace emoscope::fuzz
