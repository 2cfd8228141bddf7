// Small file helpers: whole-file reads and writes, and a read-only memory map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace emoscope {

// Reads the whole file; throws Error naming the path when it cannot be read.
std::string ReadFile(const std::string& path);

// Writes `data` to `path` atomically: a temporary file beside it, fsync, then rename.
void WriteFileAtomic(const std::string& path, const std::string& data);

bool FileExists(const std::string& path);
bool IsDirectory(const std::string& path);
std::string JoinPath(const std::string& dir, const std::string& name);

// A read-only memory map of a whole file. Move-only; unmaps in its destructor. An empty file
// maps to data() == nullptr, size() == 0.
class MappedFile {
 public:
  // Throws Error naming the path when the file cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  void Reset();

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace emoscope
