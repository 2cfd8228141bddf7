// Llama, Mistral and Qwen2: pre-RMSNorm blocks with rotary attention (grouped-query) and a gated
// SiLU MLP. Mistral adds a sliding window, Qwen2 biases on q/k/v.
//   h = h + o_proj(attn(rope(q_proj(x)), rope(k_proj(x)), v_proj(x))),  x = input_layernorm(h)
//   h = h + down_proj(act(gate_proj(x)) * up_proj(x)),                  x = post_attention_layernorm(h)
//   logits = lm_head(norm(h_L))
#include <cmath>

#include "models/runtime/architectures.h"
#include "models/runtime/blocks.h"

namespace emoscope {
namespace {

class LlamaModel final : public CausalLm {
 public:
  LlamaModel(const ModelConfig& config, const std::string& dir, WeightLoader& loader, at::ScalarType dtype,
             at::Device device)
      : CausalLm(config, dir, dtype, device, loader.owner()) {
    const int64_t d = config.hidden_size;
    embed_ = loader.Load("embed_tokens.weight", {config.vocab_size, d});  // (V, d)
    for (int64_t i = 0; i < config.num_layers; ++i) {
      const std::string p = "layers." + std::to_string(i) + ".";
      Layer layer;
      layer.attn_norm = loader.Load(p + "input_layernorm.weight", {d});
      layer.attn = LoadAttention(loader, p + "self_attn.", config);
      layer.mlp_norm = loader.Load(p + "post_attention_layernorm.weight", {d});
      layer.mlp = LoadGatedMlp(loader, p + "mlp.", config);
      layers_.push_back(std::move(layer));
    }
    final_norm_ = loader.Load("norm.weight", {d});
    head_ = LoadOutputHead(loader, config, embed_);
    scale_ = 1.0 / std::sqrt(static_cast<double>(config.head_dim));
  }

 protected:
  at::Tensor Embed(const at::Tensor& input_ids, const at::Tensor& /*positions*/) override {
    return at::embedding(embed_, input_ids);
  }

  at::Tensor Block(int64_t index, const at::Tensor& h, const AttentionContext& context, at::Tensor* cache_k,
                   at::Tensor* cache_v) override {
    const Layer& layer = layers_[static_cast<size_t>(index)];
    const AttentionWeights& w = layer.attn;
    const at::Tensor x = RmsNorm(h, layer.attn_norm, config_.norm_eps, /*gemma_style=*/false);
    const at::Tensor q = ApplyRope(SplitHeads(Linear(x, w.q, w.q_bias), config_.num_heads, config_.head_dim),
                                   context.cos_global, context.sin_global);
    const at::Tensor k_new = ApplyRope(SplitHeads(Linear(x, w.k, w.k_bias), config_.num_kv_heads, config_.head_dim),
                                       context.cos_global, context.sin_global);
    const at::Tensor v_new = SplitHeads(Linear(x, w.v, w.v_bias), config_.num_kv_heads, config_.head_dim);
    auto [k, v] = UpdateCache(k_new, v_new, cache_k, cache_v);
    const bool sliding = config_.layer_is_sliding[static_cast<size_t>(index)];
    const at::Tensor attended = Attend(q, k, v, sliding ? context.mask_sliding : context.mask_global, scale_, 0.0);
    const at::Tensor after_attn = h + Linear(attended, w.o, w.o_bias);
    const GatedMlpWeights& m = layer.mlp;
    const at::Tensor y = RmsNorm(after_attn, layer.mlp_norm, config_.norm_eps, /*gemma_style=*/false);
    const at::Tensor gated = Activate(Linear(y, m.gate, m.gate_bias), config_.activation) * Linear(y, m.up, m.up_bias);
    return after_attn + Linear(gated, m.down, m.down_bias);
  }

  at::Tensor Head(const at::Tensor& h) override {
    return Linear(RmsNorm(h, final_norm_, config_.norm_eps, /*gemma_style=*/false), head_);
  }

 private:
  struct Layer {
    at::Tensor attn_norm, mlp_norm;
    AttentionWeights attn;
    GatedMlpWeights mlp;
  };
  at::Tensor embed_, final_norm_, head_;
  std::vector<Layer> layers_;
  double scale_ = 1.0;
};

}  // namespace

std::unique_ptr<CausalLm> MakeLlama(const ModelConfig& config, const std::string& dir, WeightLoader& loader,
                                    at::ScalarType dtype, at::Device device) {
  return std::make_unique<LlamaModel>(config, dir, loader, dtype, device);
}

}  // namespace emoscope
