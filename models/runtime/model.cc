#include "models/runtime/model.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "common/error.h"
#include "common/file_util.h"
#include "models/runtime/architectures.h"
#include "models/runtime/blocks.h"
#include "models/tokenizer/tokenizer.h"

namespace emoscope {
namespace {

void CheckShape(bool ok, const std::string& what) {
  if (!ok) Fail("forward: {}", what);
}

at::Device ParseDevice(const std::string& name) {
  try {
    return at::Device(name);
  } catch (const c10::Error&) {
    Fail("device '{}' is not valid (cpu, cuda, cuda:N)", name);
  }
}

// The ids the folder's tokenizer can decode, at most the embedding's rows; every row when the
// folder has no tokenizer.json (forward passes on ids need none) or one this project cannot read
// (said once, as a warning: `generate` would fail on it anyway).
int64_t SamplingVocab(const ModelConfig& config, const std::string& dir) {
  if (!FileExists(JoinPath(dir, "tokenizer.json"))) return config.vocab_size;
  try {
    const int64_t tokenizer_size = Tokenizer::FromFolder(dir).vocab_size();
    if (tokenizer_size < config.vocab_size) {
      spdlog::info(
          "{}: the embedding has {} rows, the tokenizer {} tokens; generation samples only the {} ids it can "
          "decode",
          dir, config.vocab_size, tokenizer_size, tokenizer_size);
    }
    return std::min(config.vocab_size, tokenizer_size);
  } catch (const Error& error) {
    spdlog::warn("{}: generation may produce every embedding row: {}", dir, error.what());
    return config.vocab_size;
  }
}

}  // namespace

at::ScalarType ParseComputeDtype(const std::string& name, const std::string& what) {
  if (name == "float32" || name == "fp32") return at::kFloat;
  if (name == "bfloat16" || name == "bf16") return at::kBFloat16;
  if (name == "float16" || name == "fp16") return at::kHalf;
  Fail("{}: dtype '{}' is not one of float32, bfloat16, float16", what, name);
}

bool CpuHasFastBfloat16() {
  static const bool fast = [] {
    if (!at::hasMKLDNN()) return false;
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
      if (line.rfind("flags", 0) != 0) continue;
      return line.find(" avx512_bf16") != std::string::npos || line.find(" amx_bf16") != std::string::npos;
    }
    return false;
  }();
  return fast;
}

at::ScalarType ComputeDtypeFor(at::ScalarType storage, at::Device device, CpuCompute rule,
                               bool fast_cpu_bfloat16) {
  if (!device.is_cpu() || storage == at::kFloat) return storage;
  switch (rule) {
    case CpuCompute::kFloat32:
      return at::kFloat;
    case CpuCompute::kDtype:
      return storage;
    case CpuCompute::kAuto:
      break;
  }
  return storage == at::kBFloat16 && fast_cpu_bfloat16 ? at::kBFloat16 : at::kFloat;
}

CausalLm::CausalLm(ModelConfig config, std::string dir, at::ScalarType dtype, at::Device device,
                   std::shared_ptr<void> weights_owner)
    : config_(std::move(config)),
      dir_(std::move(dir)),
      dtype_(dtype),
      weights_owner_(std::move(weights_owner)),
      device_(device) {
  if (config_.family() != Family::kGpt2) {
    inv_freq_global_ = RopeInverseFrequencies(config_.head_dim, config_.rope_theta, config_.rope_scaling);
    if (config_.rope_local_theta > 0) {
      inv_freq_local_ = RopeInverseFrequencies(config_.head_dim, config_.rope_local_theta, RopeScaling{});
    }
  }
}

CausalLm::~CausalLm() = default;

ForwardResult CausalLm::Forward(const ForwardRequest& request) {
  c10::InferenceMode inference_guard(/*enabled=*/!request.enable_grad);
  const at::Tensor& ids_in = request.input_ids;
  CheckShape(ids_in.defined() && ids_in.dim() == 2, "input_ids must be a [batch, tokens] tensor");
  CheckShape(ids_in.scalar_type() == at::kLong, "input_ids must be int64");
  const int64_t batch = ids_in.size(0);
  const int64_t steps = ids_in.size(1);
  CheckShape(batch > 0 && steps > 0, "input_ids must not be empty");
  const int64_t min_id = ids_in.min().item<int64_t>();
  const int64_t max_id = ids_in.max().item<int64_t>();
  if (min_id < 0 || max_id >= config_.vocab_size) {
    Fail("forward: token id {} is out of range for vocab_size {} ({})", min_id < 0 ? min_id : max_id,
         config_.vocab_size, config_.path);
  }
  const at::Tensor ids = ids_in.to(device_);
  at::Tensor mask;
  if (request.attention_mask.defined()) {
    CheckShape(request.attention_mask.sizes() == ids_in.sizes(),
               "attention_mask must have the shape of input_ids");
    mask = request.attention_mask.to(device_).ne(0);
  } else {
    mask = at::ones({batch, steps}, at::TensorOptions().dtype(at::kBool).device(device_));
  }
  KvCache* cache = request.cache;
  const bool has_past = cache != nullptr && cache->length() > 0;
  if (has_past) CheckShape(cache->positions.size(0) == batch, "the cache holds a different batch size");

  // Positions count real tokens only, so padding on either side changes nothing.
  const at::Tensor past_real = has_past ? cache->valid.sum(1, /*keepdim=*/true)
                                        : at::zeros({batch, 1}, mask.options().dtype(at::kLong));
  const at::Tensor positions = (past_real + mask.to(at::kLong).cumsum(1) - 1).clamp_min(0);
  if (config_.family() == Family::kGpt2 &&
      positions.max().item<int64_t>() >= config_.max_position_embeddings) {
    Fail("forward: sequence longer than the model's {} positions ({})", config_.max_position_embeddings,
         config_.path);
  }
  const at::Tensor key_positions = has_past ? at::cat({cache->positions, positions}, 1) : positions;
  const at::Tensor key_valid = has_past ? at::cat({cache->valid, mask}, 1) : mask;

  AttentionContext context;
  context.positions = positions;
  const at::Tensor query_pos = positions.unsqueeze(1).unsqueeze(-1);   // [B,1,T,1]
  const at::Tensor key_pos = key_positions.unsqueeze(1).unsqueeze(1);  // [B,1,1,S]
  context.mask_global = key_valid.unsqueeze(1).unsqueeze(1) & key_pos.le(query_pos);
  if (config_.sliding_window) {
    context.mask_sliding = context.mask_global & key_pos.gt(query_pos - *config_.sliding_window);
  }
  if (inv_freq_global_.defined()) {
    std::tie(context.cos_global, context.sin_global) = RopeTables(positions, inv_freq_global_, dtype_);
    if (inv_freq_local_.defined()) {
      std::tie(context.cos_local, context.sin_local) = RopeTables(positions, inv_freq_local_, dtype_);
    } else {
      context.cos_local = context.cos_global;
      context.sin_local = context.sin_global;
    }
  }

  const int64_t num_points = config_.num_layers + 1;
  for (const SteeringVector& steer : request.steering) {
    if (steer.layer < 0 || steer.layer >= num_points) {
      Fail("steering: layer {} is outside 0..{}", steer.layer, config_.num_layers);
    }
    if (!steer.vector.defined() || steer.vector.dim() != 1 || steer.vector.size(0) != config_.hidden_size) {
      Fail("steering: the vector for layer {} must have {} elements", steer.layer, config_.hidden_size);
    }
    if (steer.positions.defined() && steer.positions.sizes() != ids_in.sizes()) {
      Fail("steering: the positions mask for layer {} must have the shape of input_ids", steer.layer);
    }
  }
  at::Tensor readout_weights;
  ForwardResult result;
  if (request.readout_weights.defined()) {
    CheckShape(request.readout_weights.sizes() == ids_in.sizes(),
               "readout_weights must have the shape of input_ids");
    readout_weights = request.readout_weights.to(device_, at::kFloat).unsqueeze(1);  // [B,1,T]
    result.readout = at::empty({num_points, batch, config_.hidden_size},
                               at::TensorOptions().dtype(at::kFloat).device(device_));
    if (request.readout_norms) result.norms = at::empty({num_points, batch}, result.readout.options());
  } else if (request.readout_norms) {
    Fail("forward: readout_norms needs readout_weights");
  }
  std::vector<at::Tensor> residual;

  // Steering, readout and residual capture at hook point `point`.
  auto hook = [&](int64_t point, at::Tensor h) {
    for (const SteeringVector& steer : request.steering) {
      if (steer.layer != point) continue;
      const at::Tensor vector = steer.vector.to(device_, dtype_);
      if (steer.positions.defined()) {
        h = h + steer.positions.to(device_, dtype_).unsqueeze(-1) * vector;
      } else {
        h = h + vector;
      }
    }
    if (readout_weights.defined()) {
      const at::Tensor h32 = h.to(at::kFloat);
      result.readout[point].copy_(at::bmm(readout_weights, h32).squeeze(1));
      if (request.readout_norms) {
        result.norms[point].copy_((readout_weights.squeeze(1) * h32.norm(2, /*dim=*/-1)).sum(-1));
      }
    }
    if (request.keep_residual) residual.push_back(h.to(at::kFloat));
    return h;
  };

  if (cache != nullptr && cache->keys.empty()) {
    cache->keys.resize(static_cast<size_t>(config_.num_layers));
    cache->values.resize(static_cast<size_t>(config_.num_layers));
  }
  at::Tensor h = hook(0, Embed(ids, positions));
  for (int64_t layer = 0; layer < config_.num_layers; ++layer) {
    at::Tensor* cache_k = cache != nullptr ? &cache->keys[static_cast<size_t>(layer)] : nullptr;
    at::Tensor* cache_v = cache != nullptr ? &cache->values[static_cast<size_t>(layer)] : nullptr;
    h = hook(layer + 1, Block(layer, h, context, cache_k, cache_v));
  }
  if (cache != nullptr) {
    cache->positions = key_positions;
    cache->valid = key_valid;
  }
  if (request.logits == LogitsMode::kAll) {
    result.logits = Head(h).to(at::kFloat);
  } else if (request.logits == LogitsMode::kLast) {
    result.logits = Head(h.select(1, steps - 1).unsqueeze(1)).squeeze(1).to(at::kFloat);
  }
  if (request.keep_residual) result.residual = at::stack(residual);
  return result;
}

std::unique_ptr<CausalLm> LoadModel(const std::string& dir, const LoadOptions& options) {
  const ModelConfig config = LoadModelConfig(dir);
  const at::ScalarType storage = ParseComputeDtype(options.dtype, "load options");
  const at::Device device = ParseDevice(options.device);
  if (device.is_cuda() && !at::hasCUDA())
    Fail("device '{}' requested but this libtorch has no CUDA", options.device);
  const at::ScalarType dtype = ComputeDtypeFor(storage, device, options.cpu_compute);
  std::vector<std::string> prefixes;
  if (config.family() == Family::kGpt2) {
    prefixes = {"transformer.", ""};
  } else {
    prefixes = {"model.", "language_model.model.", ""};
  }
  WeightLoader loader(dir, prefixes, storage, dtype, device);
  std::unique_ptr<CausalLm> model;
  try {
    switch (config.family()) {
      case Family::kGpt2:
        model = MakeGpt2(config, dir, loader, dtype, device);
        break;
      case Family::kLlama:
        model = MakeLlama(config, dir, loader, dtype, device);
        break;
      case Family::kGemma:
        model = MakeGemma(config, dir, loader, dtype, device);
        break;
    }
  } catch (const c10::Error& error) {
    Fail("{}: loading failed: {}", dir, error.what_without_backtrace());
  }
  model->sampling_vocab_ = SamplingVocab(config, dir);
  model->parameters_ = loader.loaded();
  model->trainable_ = !loader.loaded_derived();
  return model;
}

}  // namespace emoscope
