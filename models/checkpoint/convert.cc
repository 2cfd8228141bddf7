#include "models/checkpoint/convert.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"

namespace emoscope {
namespace {

bool IsFloat(DType dtype) {
  return dtype == DType::kF64 || dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

float ReadFloat(const uint8_t* data, DType dtype, int64_t index) {
  switch (dtype) {
    case DType::kF64: {
      double value;
      std::memcpy(&value, data + index * 8, 8);
      return static_cast<float>(value);
    }
    case DType::kF32: {
      float value;
      std::memcpy(&value, data + index * 4, 4);
      return value;
    }
    case DType::kF16: {
      uint16_t bits;
      std::memcpy(&bits, data + index * 2, 2);
      return HalfToFloat(bits);
    }
    default: {
      uint16_t bits;
      std::memcpy(&bits, data + index * 2, 2);
      return BFloat16ToFloat(bits);
    }
  }
}

// The tensor's values in `dtype` (little-endian bytes, as the host: emoscope builds little-endian only).
std::vector<uint8_t> Converted(const TensorView& view, DType dtype) {
  const int64_t count = view.numel();
  std::vector<uint8_t> out(static_cast<size_t>(count) * DTypeSize(dtype));
  for (int64_t k = 0; k < count; ++k) {
    const float value = ReadFloat(view.data, view.dtype, k);
    if (dtype == DType::kF32) {
      std::memcpy(out.data() + k * 4, &value, 4);
    } else {
      const uint16_t bits = dtype == DType::kBF16 ? FloatToBFloat16(value) : FloatToHalf(value);
      std::memcpy(out.data() + k * 2, &bits, 2);
    }
  }
  return out;
}

bool IsWeightFile(const std::string& name) {
  return name == "model.safetensors.index.json" ||
         (name.size() > 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0);
}

}  // namespace

DType ParseStorageDType(const std::string& text, const std::string& what) {
  if (text == "float32" || text == "fp32") return DType::kF32;
  if (text == "float16" || text == "fp16") return DType::kF16;
  if (text == "bfloat16" || text == "bf16") return DType::kBF16;
  Fail("{}: \"{}\" is not a storage dtype (float32, float16 or bfloat16)", what, text);
}

const char* TorchDTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "float32";
    case DType::kF16:
      return "float16";
    case DType::kBF16:
      return "bfloat16";
    default:
      Fail("{} is not a float storage dtype", DTypeName(dtype));
  }
}

ConvertSummary ConvertModelFolder(const std::string& source, DType dtype, const std::string& out) {
  namespace fs = std::filesystem;
  TorchDTypeName(dtype);  // refuses a non-float target
  std::error_code error;
  if (!fs::is_directory(source, error)) Fail("{}: not a model folder", source);
  if (fs::exists(out, error)) {
    if (fs::equivalent(source, out, error)) Fail("{}: the output folder is the source folder", out);
    if (!fs::is_directory(out, error) || !fs::is_empty(out, error)) {
      Fail("{}: already exists and is not an empty folder (the converted model needs a new one)", out);
    }
  }
  const std::string config_path = JoinPath(source, "config.json");
  if (!FileExists(config_path)) Fail("{}: no config.json", source);
  nlohmann::ordered_json config;
  try {
    config = nlohmann::ordered_json::parse(ReadFile(config_path));
  } catch (const nlohmann::json::exception& e) {
    Fail("{}: malformed JSON: {}", config_path, e.what());
  }
  if (!config.is_object()) Fail("{}: expected a JSON object", config_path);
  const WeightSet weights = WeightSet::OpenFolder(source);

  ConvertSummary summary;
  std::map<std::string, std::string> metadata;
  std::vector<std::vector<uint8_t>> storage;  // converted bytes, alive until written
  std::vector<TensorToWrite> tensors;
  for (const std::string& name : weights.Names()) {
    const TensorView* view = weights.Find(name);
    summary.bytes_before += view->nbytes;
    if (IsFloat(view->dtype) && view->dtype != dtype) {
      storage.push_back(Converted(*view, dtype));
      tensors.push_back({name, dtype, view->shape, storage.back().data(), storage.back().size()});
      ++summary.converted;
    } else {
      tensors.push_back({name, view->dtype, view->shape, view->data, view->nbytes});
    }
    summary.bytes_after += tensors.back().nbytes;
    ++summary.tensors;
  }
  for (const auto& shard : weights.shards())
    for (const auto& [key, value] : shard.metadata()) metadata.emplace(key, value);

  fs::create_directories(out, error);
  if (error) Fail("{}: cannot create the folder: {}", out, error.message());
  WriteSafetensors(JoinPath(out, "model.safetensors"), tensors, metadata);
  config["torch_dtype"] = TorchDTypeName(dtype);
  if (config.contains("dtype")) config["dtype"] = TorchDTypeName(dtype);  // newer transformers' name
  for (const auto& entry : fs::directory_iterator(source)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || IsWeightFile(name) || name == "config.json") continue;
    WriteFileAtomic(JoinPath(out, name), ReadFile(entry.path().string()));
  }
  // config.json last: a folder without it is not a model, so an interrupted conversion is no model.
  WriteFileAtomic(JoinPath(out, "config.json"), config.dump(2) + "\n");
  return summary;
}

}  // namespace emoscope
