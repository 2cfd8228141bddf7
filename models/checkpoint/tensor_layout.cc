#include "models/checkpoint/tensor_layout.h"

namespace emoscope {
namespace {

void AddGpt2(const ModelConfig& c, std::vector<TensorSpec>* out) {
  const int64_t d = c.hidden_size;
  const int64_t inner = c.intermediate_size;
  out->push_back({"transformer.wte.weight", {c.vocab_size, d}, TensorRole::kEmbedding});
  out->push_back({"transformer.wpe.weight", {c.max_position_embeddings, d}, TensorRole::kEmbedding});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "transformer.h." + std::to_string(i) + ".";
    out->push_back({p + "ln_1.weight", {d}, TensorRole::kNormWeight});
    out->push_back({p + "ln_1.bias", {d}, TensorRole::kNormBias});
    out->push_back({p + "attn.c_attn.weight", {d, 3 * d}, TensorRole::kMatrix});  // Conv1D: [in, out]
    out->push_back({p + "attn.c_attn.bias", {3 * d}, TensorRole::kBias});
    out->push_back({p + "attn.c_proj.weight", {d, d}, TensorRole::kMatrix});
    out->push_back({p + "attn.c_proj.bias", {d}, TensorRole::kBias});
    out->push_back({p + "ln_2.weight", {d}, TensorRole::kNormWeight});
    out->push_back({p + "ln_2.bias", {d}, TensorRole::kNormBias});
    out->push_back({p + "mlp.c_fc.weight", {d, inner}, TensorRole::kMatrix});
    out->push_back({p + "mlp.c_fc.bias", {inner}, TensorRole::kBias});
    out->push_back({p + "mlp.c_proj.weight", {inner, d}, TensorRole::kMatrix});
    out->push_back({p + "mlp.c_proj.bias", {d}, TensorRole::kBias});
  }
  out->push_back({"transformer.ln_f.weight", {d}, TensorRole::kNormWeight});
  out->push_back({"transformer.ln_f.bias", {d}, TensorRole::kNormBias});
}

void AddRotaryDecoder(const ModelConfig& c, std::vector<TensorSpec>* out) {
  const int64_t d = c.hidden_size;
  const int64_t q = c.num_heads * c.head_dim;
  const int64_t kv = c.num_kv_heads * c.head_dim;
  const int64_t inner = c.intermediate_size;
  out->push_back({"model.embed_tokens.weight", {c.vocab_size, d}, TensorRole::kEmbedding});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out->push_back({p + "input_layernorm.weight", {d}, TensorRole::kNormWeight});
    out->push_back({p + "self_attn.q_proj.weight", {q, d}, TensorRole::kMatrix});
    out->push_back({p + "self_attn.k_proj.weight", {kv, d}, TensorRole::kMatrix});
    out->push_back({p + "self_attn.v_proj.weight", {kv, d}, TensorRole::kMatrix});
    out->push_back({p + "self_attn.o_proj.weight", {d, q}, TensorRole::kMatrix});
    if (c.attention_bias) {
      out->push_back({p + "self_attn.q_proj.bias", {q}, TensorRole::kBias});
      out->push_back({p + "self_attn.k_proj.bias", {kv}, TensorRole::kBias});
      out->push_back({p + "self_attn.v_proj.bias", {kv}, TensorRole::kBias});
    }
    if (c.output_bias) out->push_back({p + "self_attn.o_proj.bias", {d}, TensorRole::kBias});
    if (c.qk_norm) {
      out->push_back({p + "self_attn.q_norm.weight", {c.head_dim}, TensorRole::kNormWeight});
      out->push_back({p + "self_attn.k_norm.weight", {c.head_dim}, TensorRole::kNormWeight});
    }
    out->push_back({p + "post_attention_layernorm.weight", {d}, TensorRole::kNormWeight});
    if (c.sandwich_norms) {
      out->push_back({p + "pre_feedforward_layernorm.weight", {d}, TensorRole::kNormWeight});
      out->push_back({p + "post_feedforward_layernorm.weight", {d}, TensorRole::kNormWeight});
    }
    out->push_back({p + "mlp.gate_proj.weight", {inner, d}, TensorRole::kMatrix});
    out->push_back({p + "mlp.up_proj.weight", {inner, d}, TensorRole::kMatrix});
    out->push_back({p + "mlp.down_proj.weight", {d, inner}, TensorRole::kMatrix});
    if (c.mlp_bias) {
      out->push_back({p + "mlp.gate_proj.bias", {inner}, TensorRole::kBias});
      out->push_back({p + "mlp.up_proj.bias", {inner}, TensorRole::kBias});
      out->push_back({p + "mlp.down_proj.bias", {d}, TensorRole::kBias});
    }
  }
  out->push_back({"model.norm.weight", {d}, TensorRole::kNormWeight});
}

}  // namespace

std::vector<TensorSpec> ExpectedTensors(const ModelConfig& config) {
  std::vector<TensorSpec> out;
  if (config.family() == Family::kGpt2) {
    AddGpt2(config, &out);
  } else {
    AddRotaryDecoder(config, &out);
  }
  if (!config.tie_word_embeddings) {
    out.push_back({"lm_head.weight", {config.vocab_size, config.hidden_size}, TensorRole::kOutputHead});
  }
  return out;
}

}  // namespace emoscope
