// Reading and writing safetensors files (https://github.com/huggingface/safetensors) and Hugging
// Face model folders of them, without libtorch.
//
// Format: u64 little-endian header length N, N bytes of JSON header, then the data section. The
// header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// relative to the data section) and may hold "__metadata__", a string->string object.
//
// Ownership: SafetensorsFile and WeightSet own read-only memory maps; every TensorView they hand
// out points into a map and stays valid while its owner lives (moving the owner keeps it valid).
// Threading: after Open/OpenFolder returns, const member functions may be called from any number
// of threads. Errors: every problem with a file throws emoscope::Error naming the file and, where
// there is one, the tensor or field; a hostile or truncated file never reads outside its map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/file_util.h"

namespace emoscope {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };
const char* DTypeName(DType dtype);                        // "F32", "BF16", ... as in safetensors
size_t DTypeSize(DType dtype);                             // bytes per element
std::optional<DType> ParseDType(const std::string& name);  // "F32" -> kF32; unknown -> nullopt

// One tensor inside a mapped safetensors file. `data` points into the mapping and stays valid as
// long as the SafetensorsFile / WeightSet that produced it lives. Data may be unaligned (read it
// with memcpy); it is little-endian, row-major.
struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  std::string file;  // path of the file holding it
  int64_t numel() const;
};

// Largest header accepted, as in the reference implementation.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// One mapped, validated safetensors file. Move-only. Validation follows the reference
// implementation: the tensors, sorted by offsets, must tile the data section exactly (no holes,
// no overlaps, ending at the end of the file), and each byte length must equal numel * dtype size.
class SafetensorsFile {
 public:
  // Maps and validates the whole header; throws Error naming the path and the tensor/field.
  static SafetensorsFile Open(const std::string& path);
  const std::vector<TensorView>& tensors() const { return tensors_; }  // by data offset
  const TensorView* Find(const std::string& name) const;               // nullptr when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return mapping_.path(); }
  const MappedFile& mapping() const { return mapping_; }  // the whole file's bytes

  SafetensorsFile(SafetensorsFile&&) = default;
  SafetensorsFile& operator=(SafetensorsFile&&) = default;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

 private:
  explicit SafetensorsFile(MappedFile mapping) : mapping_(std::move(mapping)) {}

  MappedFile mapping_;
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in tensors_
  std::map<std::string, std::string> metadata_;
};

// A Hugging Face model folder's weights: model.safetensors when present (as transformers
// prefers it), otherwise the shards that model.safetensors.index.json lists in its "weight_map".
// Every tensor the index lists must be in the shard it names, and no tensor may be in two shards;
// tensors a shard holds beyond the index are served too. Move-only.
class WeightSet {
 public:
  static WeightSet OpenFolder(const std::string& dir);    // Error naming the file/tensor on any problem
  const TensorView* Find(const std::string& name) const;  // nullptr when absent
  std::vector<std::string> Names() const;                 // sorted
  const std::vector<std::string>& files() const { return paths_; }        // dir-joined, sorted
  const std::vector<SafetensorsFile>& shards() const { return shards_; }  // same order as files()

  WeightSet(WeightSet&&) = default;
  WeightSet& operator=(WeightSet&&) = default;
  WeightSet(const WeightSet&) = delete;
  WeightSet& operator=(const WeightSet&) = delete;

 private:
  WeightSet() = default;

  std::vector<SafetensorsFile> shards_;
  std::vector<std::string> paths_;
  // Points into shards_' tensor vectors, whose buffers stay put when the WeightSet moves.
  std::map<std::string, const TensorView*> by_name_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;  // nbytes bytes, little-endian
  size_t nbytes;
};
// Writes a safetensors file (header padded with spaces to a multiple of 8, tensors laid out in
// the given order), atomically (temporary file + rename). Error if nbytes != numel * dtype size
// or names repeat.
void WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Identity of a model's weights: SHA-256 (hex) over, for each weight file in sorted name order,
// its base name, a NUL, its bytes. The weight files are WeightSet::OpenFolder(dir).files() (the
// folder is validated first); config and index files are not part of it. Streams through the
// mapped files, single-threaded; SHA-256 bound: about 3.3 s per GB (3.5 s for a 1 GiB file, page
// cache warm, one core of a Xeon development machine; coreutils sha256sum takes 2.6 s there).
std::string WeightsChecksum(const std::string& dir);
// The same over an already opened folder.
std::string WeightsChecksum(const WeightSet& weights);

// Converts between float formats (for tests and writers): IEEE half and bfloat16 <-> float,
// round-to-nearest-even, NaN and infinities preserved (a NaN stays a NaN of the same sign, quiet).
float HalfToFloat(uint16_t bits);
uint16_t FloatToHalf(float value);
float BFloat16ToFloat(uint16_t bits);
uint16_t FloatToBFloat16(float value);

}  // namespace emoscope
