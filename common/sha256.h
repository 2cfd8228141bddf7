// SHA-256 (FIPS 180-4), used for model checksums and content-derived task keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace emoscope {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(const std::string& data) { Update(data.data(), data.size()); }
  // Lower-case hex digest. The object must not be updated afterwards.
  std::string HexDigest();

 private:
  void Compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string Sha256Hex(const std::string& data);

// Hex SHA-256 of a file's bytes, read through a memory map; throws Error naming the file.
std::string Sha256File(const std::string& path);

}  // namespace emoscope
