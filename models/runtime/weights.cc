#include "models/runtime/weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

#include "common/error.h"
#include "models/checkpoint/safetensors.h"
#include "models/runtime/tensor_file.h"

namespace emoscope {

WeightLoader::WeightLoader(const std::string& dir, std::vector<std::string> prefixes, at::ScalarType storage,
                           at::ScalarType compute, at::Device device)
    : dir_(dir),
      weights_(std::make_shared<WeightSet>(WeightSet::OpenFolder(dir))),
      prefixes_(std::move(prefixes)),
      storage_(storage),
      dtype_(compute),
      device_(device) {}

WeightLoader::~WeightLoader() = default;

std::shared_ptr<void> WeightLoader::owner() const { return weights_; }

at::Tensor WeightLoader::Convert(const std::string& full_name, const std::vector<int64_t>& shape,
                                 at::ScalarType dtype) {
  const TensorView* view = weights_->Find(full_name);
  if (view->shape != shape) {
    Fail("{}: tensor '{}' has shape [{}], expected [{}] from config.json", view->file, full_name,
         fmt::join(view->shape, ", "), fmt::join(shape, ", "));
  }
  const at::ScalarType stored = ToScalarType(view->dtype);
  const auto element_size = static_cast<uintptr_t>(DTypeSize(view->dtype));
  const bool aligned = reinterpret_cast<uintptr_t>(view->data) % element_size == 0;
  if (stored == dtype && stored == storage_ && device_.is_cpu() && aligned && view->nbytes > 0) {
    // In place from the mapping: read-only memory, and no kernel here writes to weights.
    return at::from_blob(const_cast<uint8_t*>(view->data), shape, at::TensorOptions().dtype(stored));
  }
  at::Tensor value = TensorFromView(*view);
  if (stored != storage_)
    value = value.to(storage_);  // the storage precision, e.g. float32 rounded to bfloat16
  return value.to(device_, dtype);
}

std::optional<std::string> WeightLoader::Resolve(const std::string& name) const {
  for (const std::string& prefix : prefixes_) {
    if (weights_->Find(prefix + name) != nullptr) return prefix + name;
  }
  return std::nullopt;
}

std::string WeightLoader::Missing(const std::string& name) const {
  return fmt::format("{}: checkpoint has no tensor '{}{}' (looked under prefixes '{}')", dir_,
                     prefixes_.front(), name, fmt::join(prefixes_, "', '"));
}

at::Tensor WeightLoader::LoadOptional(const std::string& name, const std::vector<int64_t>& shape) {
  const std::optional<std::string> full_name = Resolve(name);
  if (!full_name) return {};
  at::Tensor tensor = Convert(*full_name, shape, dtype_);
  loaded_[*full_name] = tensor;
  return tensor;
}

at::Tensor WeightLoader::Load(const std::string& name, const std::vector<int64_t>& shape) {
  at::Tensor tensor = LoadOptional(name, shape);
  if (!tensor.defined()) throw Error(Missing(name));
  return tensor;
}

at::Tensor WeightLoader::LoadFloat32(const std::string& name, const std::vector<int64_t>& shape) {
  const std::optional<std::string> full_name = Resolve(name);
  if (!full_name) throw Error(Missing(name));
  loaded_derived_ = true;
  return Convert(*full_name, shape, at::kFloat);
}

at::Tensor WeightLoader::LoadExact(const std::vector<std::string>& candidates,
                                   const std::vector<int64_t>& shape, bool optional) {
  for (const std::string& name : candidates) {
    if (weights_->Find(name) != nullptr) {
      at::Tensor tensor = Convert(name, shape, dtype_);
      loaded_[name] = tensor;
      return tensor;
    }
  }
  if (!optional) Fail("{}: checkpoint has no tensor '{}'", dir_, candidates.front());
  return {};
}

AttentionWeights LoadAttention(WeightLoader& loader, const std::string& prefix, const ModelConfig& config) {
  const int64_t d = config.hidden_size;
  const int64_t q_width = config.num_heads * config.head_dim;
  const int64_t kv_width = config.num_kv_heads * config.head_dim;
  AttentionWeights w;
  w.q = loader.Load(prefix + "q_proj.weight", {q_width, d});
  w.k = loader.Load(prefix + "k_proj.weight", {kv_width, d});
  w.v = loader.Load(prefix + "v_proj.weight", {kv_width, d});
  w.o = loader.Load(prefix + "o_proj.weight", {d, q_width});
  if (config.attention_bias) {
    w.q_bias = loader.Load(prefix + "q_proj.bias", {q_width});
    w.k_bias = loader.Load(prefix + "k_proj.bias", {kv_width});
    w.v_bias = loader.Load(prefix + "v_proj.bias", {kv_width});
  }
  if (config.output_bias) w.o_bias = loader.Load(prefix + "o_proj.bias", {d});
  return w;
}

GatedMlpWeights LoadGatedMlp(WeightLoader& loader, const std::string& prefix, const ModelConfig& config) {
  const int64_t d = config.hidden_size;
  const int64_t width = config.intermediate_size;
  GatedMlpWeights w;
  w.gate = loader.Load(prefix + "gate_proj.weight", {width, d});
  w.up = loader.Load(prefix + "up_proj.weight", {width, d});
  w.down = loader.Load(prefix + "down_proj.weight", {d, width});
  if (config.mlp_bias) {
    w.gate_bias = loader.Load(prefix + "gate_proj.bias", {width});
    w.up_bias = loader.Load(prefix + "up_proj.bias", {width});
    w.down_bias = loader.Load(prefix + "down_proj.bias", {d});
  }
  return w;
}

at::Tensor LoadOutputHead(WeightLoader& loader, const ModelConfig& config, const at::Tensor& embedding) {
  const std::vector<int64_t> shape = {config.vocab_size, config.hidden_size};
  if (config.tie_word_embeddings) return embedding;
  at::Tensor head =
      loader.LoadExact({"lm_head.weight", "language_model.lm_head.weight"}, shape, /*optional=*/true);
  if (!head.defined())
    Fail("{}: tie_word_embeddings is false but the checkpoint has no 'lm_head.weight'", config.path);
  return head;
}

}  // namespace emoscope
