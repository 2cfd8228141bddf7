// Float arrays as result-table BLOBs: little-endian float32, no header (the row's columns say the
// shape). x86-64 and aarch64 are little-endian, so this is a plain copy.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"

namespace emoscope {

inline std::string FloatsToBlob(const float* data, size_t count) {
  return std::string(reinterpret_cast<const char*>(data), count * sizeof(float));
}

inline std::string DoublesToFloatBlob(const std::vector<double>& values) {
  std::vector<float> floats(values.begin(), values.end());
  return FloatsToBlob(floats.data(), floats.size());
}

// Error naming `what` when the size is not `count` floats.
inline std::vector<float> BlobToFloats(const std::string& blob, size_t count, const std::string& what) {
  if (blob.size() != count * sizeof(float)) {
    Fail("{}: blob of {} bytes, expected {} float32 values", what, blob.size(), count);
  }
  std::vector<float> out(count);
  if (count > 0) std::memcpy(out.data(), blob.data(), blob.size());
  return out;
}

}  // namespace emoscope
