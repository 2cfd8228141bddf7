// safetensors files <-> libtorch tensors (runtime-internal and for the torch commands).
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/checkpoint/safetensors.h"

namespace emoscope {

at::ScalarType ToScalarType(DType dtype);
// Error naming `what` for dtypes safetensors cannot hold.
DType ToDType(at::ScalarType type, const std::string& what);

// A CPU tensor holding a copy of the view's bytes.
at::Tensor TensorFromView(const TensorView& view);

// Every tensor of a safetensors file, copied to CPU.
std::map<std::string, at::Tensor> ReadTensorFile(const std::string& path);

// Writes tensors (moved to CPU, made contiguous) in the given order.
void WriteTensorFile(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                     const std::map<std::string, std::string>& metadata = {});

}  // namespace emoscope
