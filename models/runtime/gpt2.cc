// GPT-2: learned positions, pre-LayerNorm blocks, fused q/k/v, Conv1D weights stored [in, out].
//   h_0 = wte[ids] + wpe[pos]
//   h   = h + c_proj(attn(c_attn(ln_1(h))))
//   h   = h + mlp.c_proj(act(mlp.c_fc(ln_2(h))))
//   logits = ln_f(h_L) @ wte^T (tied) or lm_head
#include <cmath>

#include "models/runtime/architectures.h"
#include "models/runtime/blocks.h"

namespace emoscope {
namespace {

// x [B, T, in] @ weight [in, out] + bias: Conv1D's layout is the BLAS-native one, no transpose.
at::Tensor Conv1D(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const at::Tensor flat = x.reshape({-1, x.size(-1)});
  return at::addmm(bias, flat, weight).view({x.size(0), x.size(1), weight.size(1)});
}

class Gpt2Model final : public CausalLm {
 public:
  Gpt2Model(const ModelConfig& config, const std::string& dir, WeightLoader& loader, at::ScalarType dtype,
            at::Device device)
      : CausalLm(config, dir, dtype, device, loader.owner()) {
    const int64_t d = config.hidden_size;
    const int64_t inner = config.intermediate_size;
    wte_ = loader.Load("wte.weight", {config.vocab_size, d});      // (V, d)
    wpe_ = loader.Load("wpe.weight", {config.max_position_embeddings, d});  // (P, d)
    for (int64_t i = 0; i < config.num_layers; ++i) {
      const std::string p = "h." + std::to_string(i) + ".";
      Layer layer;
      layer.ln_1_w = loader.Load(p + "ln_1.weight", {d});
      layer.ln_1_b = loader.Load(p + "ln_1.bias", {d});
      layer.c_attn_w = loader.Load(p + "attn.c_attn.weight", {d, 3 * d});  // (d, 3d)
      layer.c_attn_b = loader.Load(p + "attn.c_attn.bias", {3 * d});
      layer.c_proj_w = loader.Load(p + "attn.c_proj.weight", {d, d});
      layer.c_proj_b = loader.Load(p + "attn.c_proj.bias", {d});
      layer.ln_2_w = loader.Load(p + "ln_2.weight", {d});
      layer.ln_2_b = loader.Load(p + "ln_2.bias", {d});
      layer.fc_w = loader.Load(p + "mlp.c_fc.weight", {d, inner});  // (d, inner)
      layer.fc_b = loader.Load(p + "mlp.c_fc.bias", {inner});
      layer.proj_w = loader.Load(p + "mlp.c_proj.weight", {inner, d});  // (inner, d)
      layer.proj_b = loader.Load(p + "mlp.c_proj.bias", {d});
      layers_.push_back(std::move(layer));
    }
    ln_f_w_ = loader.Load("ln_f.weight", {d});
    ln_f_b_ = loader.Load("ln_f.bias", {d});
    head_ = LoadOutputHead(loader, config, wte_);
  }

 protected:
  at::Tensor Embed(const at::Tensor& input_ids, const at::Tensor& positions) override {
    return at::embedding(wte_, input_ids) + at::embedding(wpe_, positions);
  }

  at::Tensor Block(int64_t index, const at::Tensor& h, const AttentionContext& context, at::Tensor* cache_k,
                   at::Tensor* cache_v) override {
    const Layer& layer = layers_[static_cast<size_t>(index)];
    const int64_t d = config_.hidden_size;
    const int64_t heads = config_.num_heads;
    const int64_t head_dim = config_.head_dim;
    const at::Tensor qkv = Conv1D(LayerNorm(h, layer.ln_1_w, layer.ln_1_b, config_.norm_eps), layer.c_attn_w,
                                  layer.c_attn_b);
    const at::Tensor q = SplitHeads(qkv.narrow(-1, 0, d), heads, head_dim);
    auto [k, v] = UpdateCache(SplitHeads(qkv.narrow(-1, d, d), heads, head_dim),
                              SplitHeads(qkv.narrow(-1, 2 * d, d), heads, head_dim), cache_k, cache_v);
    double scale = config_.attention_scale > 0 ? config_.attention_scale : 1.0 / std::sqrt(static_cast<double>(head_dim));
    if (config_.scale_attn_by_inverse_layer_idx) scale /= static_cast<double>(index + 1);
    const at::Tensor attended = Attend(q, k, v, context.mask_global, scale, /*softcap=*/0.0);
    const at::Tensor after_attn = h + Conv1D(attended, layer.c_proj_w, layer.c_proj_b);
    const at::Tensor inner = Activate(Conv1D(LayerNorm(after_attn, layer.ln_2_w, layer.ln_2_b, config_.norm_eps),
                                             layer.fc_w, layer.fc_b),
                                      config_.activation);
    return after_attn + Conv1D(inner, layer.proj_w, layer.proj_b);
  }

  at::Tensor Head(const at::Tensor& h) override {
    return Linear(LayerNorm(h, ln_f_w_, ln_f_b_, config_.norm_eps), head_);
  }

 private:
  struct Layer {
    at::Tensor ln_1_w, ln_1_b, c_attn_w, c_attn_b, c_proj_w, c_proj_b;
    at::Tensor ln_2_w, ln_2_b, fc_w, fc_b, proj_w, proj_b;
  };
  at::Tensor wte_, wpe_, ln_f_w_, ln_f_b_, head_;
  std::vector<Layer> layers_;
};

}  // namespace

std::unique_ptr<CausalLm> MakeGpt2(const ModelConfig& config, const std::string& dir, WeightLoader& loader,
                                   at::ScalarType dtype, at::Device device) {
  return std::make_unique<Gpt2Model>(config, dir, loader, dtype, device);
}

}  // namespace emoscope
