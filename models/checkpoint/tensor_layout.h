// The tensors a Hugging Face checkpoint of each architecture holds, derived from its config: one
// table (names as Hugging Face writes them, shapes, roles) that `emoscope model init` writes,
// `emoscope model inspect` checks a folder against, and the runtime's loaders agree with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/checkpoint/model_config.h"

namespace emoscope {

enum class TensorRole {
  kEmbedding,     // token (or position) embedding table
  kMatrix,        // projection weight
  kBias,          // projection bias
  kNormWeight,    // norm scale (Gemma stores w of 1 + w)
  kNormBias,      // LayerNorm bias
  kOutputHead,    // lm_head when untied
};

struct TensorSpec {
  std::string name;            // full Hugging Face name, e.g. "model.layers.0.self_attn.q_proj.weight"
  std::vector<int64_t> shape;
  TensorRole role;
};

// Every tensor of `config`'s architecture, in a stable order.
std::vector<TensorSpec> ExpectedTensors(const ModelConfig& config);

}  // namespace emoscope
