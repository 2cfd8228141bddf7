// Gemma 1, 2 and 3 (text). Shared: embeddings scaled by sqrt(hidden) (h_0 is the scaled
// embedding), RMSNorm weights applied as (1 + w) in float32, GeGLU MLP (tanh GELU), tied head.
// Gemma 2 and 3 add "sandwich" norms (after attention and around the MLP), query scaling by
// query_pre_attn_scalar^-1/2, and sliding-window layers; Gemma 2 soft-caps attention and final
// logits; Gemma 3 normalizes q and k per head before the rotary embedding and gives sliding
// layers their own rotary base.
//   Gemma 1:   h = h + attn(norm_in(h));             h = h + mlp(norm_post_attn(h))
//   Gemma 2/3: h = h + norm_post_attn(attn(norm_in(h)));  h = h + norm_post_ff(mlp(norm_pre_ff(h)))
#include <cmath>

#include "models/runtime/architectures.h"
#include "models/runtime/blocks.h"

namespace emoscope {
namespace {

class GemmaModel final : public CausalLm {
 public:
  GemmaModel(const ModelConfig& config, const std::string& dir, WeightLoader& loader, at::ScalarType dtype,
             at::Device device)
      : CausalLm(config, dir, dtype, device, loader.owner()) {
    const int64_t d = config.hidden_size;
    // Norm weights hold 1 + w in float32, as Gemma applies them.
    auto norm = [&](const std::string& name, int64_t width) { return loader.LoadFloat32(name, {width}) + 1.0; };
    embed_ = loader.Load("embed_tokens.weight", {config.vocab_size, d});  // (V, d)
    for (int64_t i = 0; i < config.num_layers; ++i) {
      const std::string p = "layers." + std::to_string(i) + ".";
      Layer layer;
      layer.input_norm = norm(p + "input_layernorm.weight", d);
      layer.post_attn_norm = norm(p + "post_attention_layernorm.weight", d);
      if (config.sandwich_norms) {
        layer.pre_ff_norm = norm(p + "pre_feedforward_layernorm.weight", d);
        layer.post_ff_norm = norm(p + "post_feedforward_layernorm.weight", d);
      }
      if (config.qk_norm) {
        layer.q_norm = norm(p + "self_attn.q_norm.weight", config.head_dim);
        layer.k_norm = norm(p + "self_attn.k_norm.weight", config.head_dim);
      }
      layer.attn = LoadAttention(loader, p + "self_attn.", config);
      layer.mlp = LoadGatedMlp(loader, p + "mlp.", config);
      layers_.push_back(std::move(layer));
    }
    final_norm_ = norm("norm.weight", d);
    head_ = LoadOutputHead(loader, config, embed_);
    scale_ = config.attention_scale > 0 ? config.attention_scale : 1.0 / std::sqrt(static_cast<double>(config.head_dim));
    // Hugging Face multiplies by sqrt(hidden) rounded to the compute dtype.
    embed_scale_ = at::scalar_tensor(std::sqrt(static_cast<double>(d)), at::TensorOptions().dtype(dtype)).to(device);
  }

 protected:
  at::Tensor Embed(const at::Tensor& input_ids, const at::Tensor& /*positions*/) override {
    return at::embedding(embed_, input_ids) * embed_scale_;
  }

  at::Tensor Block(int64_t index, const at::Tensor& h, const AttentionContext& context, at::Tensor* cache_k,
                   at::Tensor* cache_v) override {
    const Layer& layer = layers_[static_cast<size_t>(index)];
    const AttentionWeights& w = layer.attn;
    const double eps = config_.norm_eps;
    const bool sliding = config_.layer_is_sliding[static_cast<size_t>(index)];
    const at::Tensor& cos = sliding ? context.cos_local : context.cos_global;
    const at::Tensor& sin = sliding ? context.sin_local : context.sin_global;

    const at::Tensor x = RmsNorm(h, layer.input_norm, eps, /*gemma_style=*/true);
    at::Tensor q = SplitHeads(Linear(x, w.q, w.q_bias), config_.num_heads, config_.head_dim);
    at::Tensor k_new = SplitHeads(Linear(x, w.k, w.k_bias), config_.num_kv_heads, config_.head_dim);
    const at::Tensor v_new = SplitHeads(Linear(x, w.v, w.v_bias), config_.num_kv_heads, config_.head_dim);
    if (config_.qk_norm) {
      q = RmsNorm(q, layer.q_norm, eps, true);
      k_new = RmsNorm(k_new, layer.k_norm, eps, true);
    }
    q = ApplyRope(q, cos, sin);
    k_new = ApplyRope(k_new, cos, sin);
    auto [k, v] = UpdateCache(k_new, v_new, cache_k, cache_v);
    at::Tensor attended = Linear(Attend(q, k, v, sliding ? context.mask_sliding : context.mask_global, scale_,
                                        config_.attn_logit_softcapping),
                                 w.o, w.o_bias);
    const GatedMlpWeights& m = layer.mlp;
    auto mlp = [&](const at::Tensor& y) {
      return Linear(Activate(Linear(y, m.gate, m.gate_bias), config_.activation) * Linear(y, m.up, m.up_bias), m.down,
                    m.down_bias);
    };
    if (!config_.sandwich_norms) {
      const at::Tensor after_attn = h + attended;
      return after_attn + mlp(RmsNorm(after_attn, layer.post_attn_norm, eps, true));
    }
    const at::Tensor after_attn = h + RmsNorm(attended, layer.post_attn_norm, eps, true);
    return after_attn + RmsNorm(mlp(RmsNorm(after_attn, layer.pre_ff_norm, eps, true)), layer.post_ff_norm, eps, true);
  }

  at::Tensor Head(const at::Tensor& h) override {
    at::Tensor logits = Linear(RmsNorm(h, final_norm_, config_.norm_eps, true), head_);
    if (config_.final_logit_softcapping > 0) {
      const double cap = config_.final_logit_softcapping;
      logits = at::tanh(logits / cap) * cap;
    }
    return logits;
  }

 private:
  struct Layer {
    at::Tensor input_norm, post_attn_norm, pre_ff_norm, post_ff_norm, q_norm, k_norm;  // 1 + w, float32
    AttentionWeights attn;
    GatedMlpWeights mlp;
  };
  at::Tensor embed_, final_norm_, head_, embed_scale_;
  std::vector<Layer> layers_;
  double scale_ = 1.0;
};

}  // namespace

std::unique_ptr<CausalLm> MakeGemma(const ModelConfig& config, const std::string& dir, WeightLoader& loader,
                                    at::ScalarType dtype, at::Device device) {
  return std::make_unique<GemmaModel>(config, dir, loader, dtype, device);
}

}  // namespace emoscope
