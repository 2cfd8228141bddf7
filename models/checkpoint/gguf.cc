#include "models/checkpoint/gguf.h"

#include <cstring>

#include "common/error.h"
#include "common/file_util.h"

namespace emoscope {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr uint32_t kVersion = 3;
constexpr uint64_t kAlignment = 32;      // general.alignment's default
constexpr uint32_t kTypeUint32 = 4;
constexpr uint32_t kTypeFloat32 = 6;
constexpr uint32_t kTypeString = 8;
constexpr uint32_t kTypeUint64 = 10;
constexpr uint32_t kTypeInt32 = 5;
constexpr uint32_t kGgmlTypeF32 = 0;

class Writer {
 public:
  template <typename T>
  void Put(T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out_.append(bytes, sizeof(T));
  }
  void String(const std::string& text) {
    Put<uint64_t>(text.size());
    out_ += text;
  }
  void Pad() {
    while (out_.size() % kAlignment != 0) out_.push_back('\0');
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(const std::string& data, std::string path) : data_(data), path_(std::move(path)) {}
  template <typename T>
  T Get(const char* what) {
    if (offset_ + sizeof(T) > data_.size()) Fail("{}: truncated at offset {} reading {}", path_, offset_, what);
    T value;
    std::memcpy(&value, data_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }
  std::string String(const char* what) {
    const auto size = Get<uint64_t>(what);
    if (size > data_.size() - offset_) Fail("{}: string of {} bytes past the end at offset {} ({})", path_, size, offset_, what);
    std::string text = data_.substr(offset_, size);
    offset_ += size;
    return text;
  }
  size_t offset() const { return offset_; }
  void Skip(size_t bytes, const char* what) {
    if (bytes > data_.size() - offset_) Fail("{}: truncated at offset {} ({})", path_, offset_, what);
    offset_ += bytes;
  }

 private:
  const std::string& data_;
  std::string path_;
  size_t offset_ = 0;
};

}  // namespace

int GgufDirectionIndex(int64_t layer) {
  if (layer < 2) {
    Fail("hook point {} cannot be written as a llama.cpp control vector: llama.cpp steers only the outputs of "
         "blocks 2 and later (hook points 2..L)", layer);
  }
  return static_cast<int>(layer - 1);
}

void WriteControlVectorGguf(const std::string& path, const std::string& model_hint,
                            const std::map<int, std::vector<float>>& directions) {
  if (directions.empty()) Fail("{}: no directions to write", path);
  const size_t dim = directions.begin()->second.size();
  for (const auto& [index, values] : directions) {
    if (index < 1) Fail("{}: direction index {} must be at least 1", path, index);
    if (values.size() != dim || dim == 0) Fail("{}: direction.{} has {} values, expected {}", path, index, values.size(), dim);
  }
  Writer w;
  w.Put(kMagic);
  w.Put(kVersion);
  w.Put<uint64_t>(directions.size());  // tensors
  w.Put<uint64_t>(3);                  // metadata pairs
  w.String("general.architecture");
  w.Put(kTypeString);
  w.String("controlvector");
  w.String("controlvector.model_hint");
  w.Put(kTypeString);
  w.String(model_hint);
  w.String("controlvector.layer_count");
  w.Put(kTypeInt32);
  w.Put<int32_t>(static_cast<int32_t>(directions.size()));
  uint64_t offset = 0;
  const uint64_t bytes_each = dim * sizeof(float);
  const uint64_t padded_each = (bytes_each + kAlignment - 1) / kAlignment * kAlignment;
  for (const auto& entry : directions) {
    w.String("direction." + std::to_string(entry.first));
    w.Put<uint32_t>(1);  // dimensions
    w.Put<uint64_t>(dim);
    w.Put(kGgmlTypeF32);
    w.Put<uint64_t>(offset);
    offset += padded_each;
  }
  w.Pad();
  for (const auto& entry : directions) {
    w.bytes().append(reinterpret_cast<const char*>(entry.second.data()), bytes_each);
    w.Pad();
  }
  WriteFileAtomic(path, w.bytes());
}

ControlVectorFile ReadControlVectorGguf(const std::string& path) {
  const std::string data = ReadFile(path);
  Reader r(data, path);
  if (r.Get<uint32_t>("magic") != kMagic) Fail("{}: not a GGUF file (bad magic)", path);
  const auto version = r.Get<uint32_t>("version");
  if (version != kVersion) Fail("{}: GGUF version {} (this reader knows 3)", path, version);
  const auto tensors = r.Get<uint64_t>("tensor count");
  const auto pairs = r.Get<uint64_t>("metadata count");
  if (tensors > 1'000'000 || pairs > 1'000'000) Fail("{}: implausible counts ({} tensors, {} metadata pairs)", path, tensors, pairs);
  ControlVectorFile file;
  for (uint64_t i = 0; i < pairs; ++i) {
    const std::string key = r.String("metadata key");
    const auto type = r.Get<uint32_t>("metadata type");
    if (type == kTypeString) {
      const std::string value = r.String(key.c_str());
      if (key == "general.architecture") file.architecture = value;
      if (key == "controlvector.model_hint") file.model_hint = value;
    } else if (type == kTypeInt32 || type == kTypeUint32 || type == kTypeFloat32) {
      const auto value = r.Get<int32_t>(key.c_str());
      if (key == "controlvector.layer_count") file.layer_count = value;
    } else if (type == kTypeUint64) {
      const auto value = r.Get<uint64_t>(key.c_str());
      if (key == "controlvector.layer_count") file.layer_count = static_cast<int64_t>(value);
    } else {
      Fail("{}: metadata '{}' has a type ({}) this reader does not know", path, key, type);
    }
  }
  struct Info {
    int index;
    uint64_t dim;
    uint64_t offset;
  };
  std::vector<Info> infos;
  for (uint64_t i = 0; i < tensors; ++i) {
    const std::string name = r.String("tensor name");
    const auto dims = r.Get<uint32_t>("tensor dimensions");
    if (dims != 1) Fail("{}: tensor '{}' has {} dimensions, expected 1", path, name, dims);
    const auto dim = r.Get<uint64_t>("tensor size");
    if (r.Get<uint32_t>("tensor type") != kGgmlTypeF32) Fail("{}: tensor '{}' is not F32", path, name);
    const auto offset = r.Get<uint64_t>("tensor offset");
    if (name.rfind("direction.", 0) != 0) Fail("{}: unexpected tensor '{}'", path, name);
    infos.push_back({std::stoi(name.substr(10)), dim, offset});
  }
  const uint64_t data_start = (r.offset() + kAlignment - 1) / kAlignment * kAlignment;
  for (const Info& info : infos) {
    if (info.dim > data.size() || data_start + info.offset + info.dim * sizeof(float) > data.size()) {
      Fail("{}: direction.{} lies past the end of the file", path, info.index);
    }
    std::vector<float> values(info.dim);
    std::memcpy(values.data(), data.data() + data_start + info.offset, info.dim * sizeof(float));
    file.directions[info.index] = std::move(values);
  }
  return file;
}

}  // namespace emoscope
