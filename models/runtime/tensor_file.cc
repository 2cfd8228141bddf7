#include "models/runtime/tensor_file.h"

#include <cstring>

#include "common/error.h"

namespace emoscope {

at::ScalarType ToScalarType(DType dtype) {
  switch (dtype) {
    case DType::kF64: return at::kDouble;
    case DType::kF32: return at::kFloat;
    case DType::kF16: return at::kHalf;
    case DType::kBF16: return at::kBFloat16;
    case DType::kI64: return at::kLong;
    case DType::kI32: return at::kInt;
    case DType::kI16: return at::kShort;
    case DType::kI8: return at::kChar;
    case DType::kU8: return at::kByte;
    case DType::kBool: return at::kBool;
  }
  return at::kFloat;
}

DType ToDType(at::ScalarType type, const std::string& what) {
  switch (type) {
    case at::kDouble: return DType::kF64;
    case at::kFloat: return DType::kF32;
    case at::kHalf: return DType::kF16;
    case at::kBFloat16: return DType::kBF16;
    case at::kLong: return DType::kI64;
    case at::kInt: return DType::kI32;
    case at::kShort: return DType::kI16;
    case at::kChar: return DType::kI8;
    case at::kByte: return DType::kU8;
    case at::kBool: return DType::kBool;
    default: Fail("{}: dtype {} cannot be stored in safetensors", what, c10::toString(type));
  }
}

at::Tensor TensorFromView(const TensorView& view) {
  at::Tensor tensor = at::empty(view.shape, at::TensorOptions().dtype(ToScalarType(view.dtype)));
  if (view.nbytes > 0) std::memcpy(tensor.data_ptr(), view.data, view.nbytes);
  return tensor;
}

std::map<std::string, at::Tensor> ReadTensorFile(const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::Open(path);
  std::map<std::string, at::Tensor> out;
  for (const TensorView& view : file.tensors()) out[view.name] = TensorFromView(view);
  return out;
}

void WriteTensorFile(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                     const std::map<std::string, std::string>& metadata) {
  std::vector<at::Tensor> keep;  // contiguous CPU copies stay alive until written
  std::vector<TensorToWrite> entries;
  for (const auto& [name, tensor] : tensors) {
    keep.push_back(tensor.to(at::kCPU).contiguous());
    const at::Tensor& t = keep.back();
    entries.push_back({name, ToDType(t.scalar_type(), path + " tensor " + name),
                       std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), t.data_ptr(), t.nbytes()});
  }
  WriteSafetensors(path, entries, metadata);
}

}  // namespace emoscope
