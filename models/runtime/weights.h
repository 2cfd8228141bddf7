// Loading a checkpoint's tensors into libtorch by name (runtime-internal).
//
// Names are looked up under each of the architecture's prefixes in turn ("transformer." or "" for
// GPT-2; "model." for the others, "language_model.model." inside multimodal Gemma 3 folders), and
// every tensor's shape is checked. Each tensor is rounded to the storage dtype (when the file holds
// another), then converted to the compute dtype on the device: where a bfloat16 model computes in
// float32 (LoadModel's rule), its weights are the bfloat16 values upcast once at load. On CPU, a tensor whose
// stored dtype is both is used in place from the memory-mapped file (no copy); others are converted once.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/checkpoint/model_config.h"

namespace emoscope {

class WeightSet;

class WeightLoader {
 public:
  WeightLoader(const std::string& dir, std::vector<std::string> prefixes, at::ScalarType storage,
               at::ScalarType compute, at::Device device);
  ~WeightLoader();

  // The tensor `name` (without prefix) with exactly `shape`, in the compute dtype. Error naming the
  // folder, the tensor and both shapes when it is missing or mis-shaped.
  at::Tensor Load(const std::string& name, const std::vector<int64_t>& shape);
  // Same, but an undefined tensor when absent.
  at::Tensor LoadOptional(const std::string& name, const std::vector<int64_t>& shape);
  // In float32 whatever the compute dtype (norm weights Gemma applies as 1 + w in float32).
  at::Tensor LoadFloat32(const std::string& name, const std::vector<int64_t>& shape);
  // A tensor looked up by its full name, without prefixes (lm_head.weight).
  at::Tensor LoadExact(const std::vector<std::string>& candidates, const std::vector<int64_t>& shape,
                       bool optional);

  std::shared_ptr<void> owner() const;  // keeps the mapped files alive
  // Every tensor loaded in the compute dtype, by full checkpoint name (shares storage).
  const std::map<std::string, at::Tensor>& loaded() const { return loaded_; }
  // Whether a tensor was loaded in another dtype (a derived copy the model does not train).
  bool loaded_derived() const { return loaded_derived_; }

 private:
  at::Tensor Convert(const std::string& full_name, const std::vector<int64_t>& shape, at::ScalarType dtype);
  // The full name of `name` under the first prefix that has it.
  std::optional<std::string> Resolve(const std::string& name) const;
  // "DIR: checkpoint has no tensor ... (looked under prefixes ...)".
  std::string Missing(const std::string& name) const;

  std::string dir_;
  std::shared_ptr<WeightSet> weights_;
  std::vector<std::string> prefixes_;
  std::map<std::string, at::Tensor> loaded_;
  bool loaded_derived_ = false;
  at::ScalarType storage_;  // precision the weights are rounded to
  at::ScalarType dtype_;    // the compute dtype they are held in
  at::Device device_;
};

// Projections of one attention layer in Hugging Face layout ([out, in]); biases may be undefined.
struct AttentionWeights {
  at::Tensor q, k, v, o;
  at::Tensor q_bias, k_bias, v_bias, o_bias;
};
AttentionWeights LoadAttention(WeightLoader& loader, const std::string& prefix, const ModelConfig& config);

// Gated MLP: down(act(gate(x)) * up(x)).
struct GatedMlpWeights {
  at::Tensor gate, up, down;
  at::Tensor gate_bias, up_bias, down_bias;
};
GatedMlpWeights LoadGatedMlp(WeightLoader& loader, const std::string& prefix, const ModelConfig& config);

// Output head: lm_head.weight, or the embedding when tied (or when the folder has no lm_head).
at::Tensor LoadOutputHead(WeightLoader& loader, const ModelConfig& config, const at::Tensor& embedding);

}  // namespace emoscope
