#include "models/checkpoint/safetensors.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "common/error.h"

namespace emoscope {
namespace {

using nlohmann::json;

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {{DType::kF64, "F64", 8},   {DType::kF32, "F32", 4}, {DType::kF16, "F16", 2},
                                 {DType::kBF16, "BF16", 2}, {DType::kI64, "I64", 8}, {DType::kI32, "I32", 4},
                                 {DType::kI16, "I16", 2},   {DType::kI8, "I8", 1},   {DType::kU8, "U8", 1},
                                 {DType::kBool, "BOOL", 1}};

// numel * element size, or nullopt on overflow or a negative dimension. Checked arithmetic because
// a hostile header can declare shapes whose product wraps around to a plausible byte count.
std::optional<uint64_t> CheckedByteSize(const std::vector<int64_t>& shape, DType dtype) {
  uint64_t bytes = DTypeSize(dtype);
  for (const int64_t dim : shape) {
    if (dim < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes)) return {};
  }
  return bytes;
}

// A header entry before its data pointer is known. Offsets are relative to the data section.
struct Entry {
  uint64_t begin;
  uint64_t end;
  TensorView view;
};

[[noreturn]] void FailTensor(const std::string& path, const std::string& name, const std::string& what) {
  Fail("{}: tensor '{}': {}", path, name, what);
}

Entry ParseEntry(const std::string& path, const std::string& name, const json& value, uint64_t data_size) {
  const auto fail = [&](const std::string& what) { FailTensor(path, name, what); };
  if (!value.is_object()) fail("entry is not a JSON object");
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(field)) fail(fmt::format("missing \"{}\"", field));
  }
  Entry entry{0, 0, TensorView{}};
  TensorView& view = entry.view;
  view.name = name;
  view.file = path;
  const json& dtype = value["dtype"];
  if (!dtype.is_string()) fail("\"dtype\" is not a string");
  const std::optional<DType> parsed = ParseDType(dtype.get<std::string>());
  if (!parsed) fail(fmt::format("unknown dtype '{}'", dtype.get<std::string>()));
  view.dtype = *parsed;

  const json& shape = value["shape"];
  if (!shape.is_array()) fail("\"shape\" is not an array");
  for (const json& dim : shape) {
    if (dim.is_number_integer() && !dim.is_number_unsigned()) fail("negative dimension in \"shape\"");
    if (!dim.is_number_unsigned()) fail("\"shape\" holds a value that is not an integer");
    const uint64_t dim_value = dim.get<uint64_t>();
    if (dim_value > uint64_t{std::numeric_limits<int64_t>::max()}) fail("dimension too large");
    view.shape.push_back(static_cast<int64_t>(dim_value));
  }
  const std::optional<uint64_t> nbytes = CheckedByteSize(view.shape, view.dtype);
  if (!nbytes) fail("numel * dtype size overflows");

  const json& offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    fail("\"data_offsets\" is not [begin, end] of non-negative integers");
  }
  entry.begin = offsets[0].get<uint64_t>();
  entry.end = offsets[1].get<uint64_t>();
  if (entry.begin > entry.end) fail(fmt::format("data_offsets begin {} > end {}", entry.begin, entry.end));
  if (entry.end > data_size) {
    fail(fmt::format("data_offsets end {} is beyond the {}-byte data section", entry.end, data_size));
  }
  if (entry.end - entry.begin != *nbytes) {
    fail(fmt::format("holds {} bytes but dtype {} and shape [{}] need {}", entry.end - entry.begin,
                     DTypeName(view.dtype), fmt::join(view.shape, ", "), *nbytes));
  }
  view.nbytes = static_cast<size_t>(*nbytes);
  return entry;
}

// Owns the temporary file of an atomic write: removed unless Commit() renamed it into place.
class TempFileWriter {
 public:
  explicit TempFileWriter(const std::string& path)
      : path_(path), tmp_(fmt::format("{}.tmp.{}", path, ::getpid())) {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) Fail("{}: cannot create: {}", tmp_, std::strerror(errno));
  }
  ~TempFileWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  TempFileWriter(const TempFileWriter&) = delete;
  TempFileWriter& operator=(const TempFileWriter&) = delete;

  void Write(const void* data, size_t size) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    while (size > 0) {
      const ssize_t n = ::write(fd_, bytes, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Fail("{}: write failed: {}", tmp_, std::strerror(errno));
      bytes += n;
      size -= static_cast<size_t>(n);
    }
  }
  void Commit() {
    if (::fsync(fd_) != 0) Fail("{}: fsync failed: {}", tmp_, std::strerror(errno));  // ~ closes fd_
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) Fail("{}: close failed: {}", tmp_, std::strerror(errno));
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      Fail("{}: cannot rename into place: {}", path_, std::strerror(errno));
    }
    committed_ = true;
  }

 private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

const char* DTypeName(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info.name;
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info.size;
  }
  return 0;
}

std::optional<DType> ParseDType(const std::string& name) {
  for (const DTypeInfo& info : kDTypes) {
    if (name == info.name) return info.dtype;
  }
  return std::nullopt;
}

int64_t TensorView::numel() const {
  int64_t count = 1;
  for (const int64_t dim : shape) count *= dim;
  return count;
}

SafetensorsFile SafetensorsFile::Open(const std::string& path) {
  SafetensorsFile file{MappedFile(path)};
  const uint8_t* bytes = file.mapping_.data();
  const uint64_t size = file.mapping_.size();
  if (size < 8) Fail("{}: {} bytes, too short for the 8-byte header length", path, size);
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) header_size |= uint64_t{bytes[i]} << (8 * i);
  if (header_size > kMaxSafetensorsHeaderBytes) {
    Fail("{}: header length {} exceeds the {}-byte limit", path, header_size, kMaxSafetensorsHeaderBytes);
  }
  if (header_size > size - 8) {
    Fail("{}: header length {} runs past the end of the {}-byte file", path, header_size, size);
  }
  json header;
  try {
    const char* text = reinterpret_cast<const char*>(bytes + 8);
    header = json::parse(text, text + header_size);
  } catch (const json::exception& error) {
    Fail("{}: header is not valid JSON: {}", path, error.what());
  }
  if (!header.is_object()) Fail("{}: header is not a JSON object", path);

  const uint64_t data_size = size - 8 - header_size;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key != "__metadata__") {
      entries.push_back(ParseEntry(path, key, value, data_size));
      continue;
    }
    if (!value.is_object()) Fail("{}: \"__metadata__\" is not a JSON object", path);
    for (const auto& [meta_key, meta_value] : value.items()) {
      if (!meta_value.is_string()) Fail("{}: \"__metadata__\" value of '{}' is not a string", path, meta_key);
      file.metadata_[meta_key] = meta_value.get<std::string>();
    }
  }
  // Like the reference implementation, the tensors sorted by offsets must tile the data section.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.view.name) < std::tie(b.begin, b.end, b.view.name);
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& entry = entries[i];
    if (entry.begin < covered) {
      Fail("{}: tensor '{}' overlaps tensor '{}'", path, entry.view.name, entries[i - 1].view.name);
    }
    if (entry.begin > covered) {
      Fail("{}: tensor '{}': {} unused bytes before its data", path, entry.view.name, entry.begin - covered);
    }
    covered = entry.end;
  }
  if (covered != data_size) {
    Fail("{}: tensors cover {} of the {} bytes after the header", path, covered, data_size);
  }
  const uint8_t* data_section = bytes + 8 + header_size;
  for (Entry& entry : entries) {
    entry.view.data = data_section + entry.begin;
    file.index_.emplace(entry.view.name, file.tensors_.size());
    file.tensors_.push_back(std::move(entry.view));
  }
  return file;
}

const TensorView* SafetensorsFile::Find(const std::string& name) const {
  const auto found = index_.find(name);
  return found == index_.end() ? nullptr : &tensors_[found->second];
}

void WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // ordered_json keeps the tensors in the given order, which is also their order on disk.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const TensorToWrite& tensor : tensors) {
    if (tensor.name == "__metadata__") Fail("{}: '__metadata__' is reserved, not a tensor name", path);
    if (!names.insert(tensor.name).second) Fail("{}: tensor '{}' is given twice", path, tensor.name);
    const std::optional<uint64_t> nbytes = CheckedByteSize(tensor.shape, tensor.dtype);
    if (!nbytes || *nbytes != tensor.nbytes) {
      Fail("{}: tensor '{}': {} bytes given, dtype {} and shape [{}] need {}", path, tensor.name,
           tensor.nbytes, DTypeName(tensor.dtype), fmt::join(tensor.shape, ", "),
           nbytes ? fmt::to_string(*nbytes) : "an impossible size");
    }
    if (tensor.nbytes > 0 && tensor.data == nullptr) Fail("{}: tensor '{}' has no data", path, tensor.name);
    header[tensor.name] = {{"dtype", DTypeName(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.nbytes}}};
    offset += tensor.nbytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& error) {
    Fail("{}: cannot encode the header: {}", path, error.what());
  }
  // Padding the header to a multiple of 8 keeps every tensor's data 8-byte aligned in the file
  // when the tensors before it are; spaces keep the header valid JSON.
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));

  TempFileWriter out(path);
  out.Write(length, sizeof(length));
  out.Write(text.data(), text.size());
  for (const TensorToWrite& tensor : tensors) out.Write(tensor.data, tensor.nbytes);
  out.Commit();
}

}  // namespace emoscope
