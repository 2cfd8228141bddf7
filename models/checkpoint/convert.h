// Re-storing a Hugging Face model folder's weights in another float format (`emoscope model
// convert`): how emoscope ships its demo models in bfloat16, and how a user halves a float32
// checkpoint. No libtorch.
//
// Every floating-point tensor (F64, F32, F16, BF16) becomes `dtype`, rounded to nearest even
// (FloatToBFloat16 / FloatToHalf); integer and bool tensors are copied unchanged. The weights go
// to one `model.safetensors` (shards are merged, in sorted tensor-name order) with the source's
// metadata; config.json is copied with "torch_dtype" set to the new dtype; every other regular
// file of the source folder (tokenizer files, training.json, ...) is copied as it is;
// subfolders (a training checkpoint/) and the source's weight and index files are not.
// Errors: emoscope::Error naming the folder or the tensor; `out` must not exist yet (or be an
// empty folder) and must not be the source. Single-threaded; memory: the converted weights.
#pragma once

#include <cstdint>
#include <string>

#include "models/checkpoint/safetensors.h"

namespace emoscope {

struct ConvertSummary {
  int64_t tensors = 0;        // tensors written
  int64_t converted = 0;      // of them, float tensors whose dtype changed
  uint64_t bytes_before = 0;  // the source's weight bytes
  uint64_t bytes_after = 0;   // the written weight bytes
};

// F32, F16 or BF16 from "float32", "float16", "bfloat16" (also "fp32", "fp16", "bf16"); Error
// naming `what` otherwise.
DType ParseStorageDType(const std::string& text, const std::string& what);

// The config.json spelling of a float storage dtype: "float32", "float16", "bfloat16".
const char* TorchDTypeName(DType dtype);

ConvertSummary ConvertModelFolder(const std::string& source, DType dtype, const std::string& out);

}  // namespace emoscope
