// Building blocks shared by the architectures (runtime-internal; includes ATen).
// Shapes: B batch, T new positions, S all key positions (cached + new), H query heads,
// H_kv key/value heads, D head_dim, d hidden.
#pragma once

#include <ATen/ATen.h>

#include <optional>

#include "models/checkpoint/model_config.h"

namespace emoscope {

// What every block of one forward call shares.
struct AttentionContext {
  at::Tensor positions;     // [B, T] int64 positions of the new tokens
  at::Tensor mask_global;   // [B, 1, T, S] bool, true = may attend
  at::Tensor mask_sliding;  // [B, 1, T, S] bool; undefined when no layer slides
  at::Tensor cos_global, sin_global;  // [B, 1, T, D] rotary tables (model dtype); undefined for GPT-2
  at::Tensor cos_local, sin_local;    // sliding layers' tables when their base differs
};

// Inverse frequencies [D/2] (float32) for a rotary base, with the scaling Hugging Face applies.
at::Tensor RopeInverseFrequencies(int64_t head_dim, double theta, const RopeScaling& scaling);

// cos and sin tables [B, 1, T, D] for positions [B, T], in `dtype`.
std::pair<at::Tensor, at::Tensor> RopeTables(const at::Tensor& positions, const at::Tensor& inv_freq,
                                             at::ScalarType dtype);

// x [B, heads, T, D] rotated by the tables (rotate-half convention, as Hugging Face).
at::Tensor ApplyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// RMSNorm over the last dimension, computed in float32. Llama: weight * normed.to(dtype);
// Gemma (adds_one): (normed * (1 + weight)).to(dtype), `weight` then holds 1 + w in float32.
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps, bool gemma_style);

at::Tensor LayerNorm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps);

at::Tensor Activate(const at::Tensor& x, Activation activation);

// Linear layer in Hugging Face layout: weight [out, in], optional bias [out].
at::Tensor Linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias = {});

// Scaled dot-product attention with grouped-query heads, optional logit soft-capping and a
// boolean mask; scores and softmax in float32. q [B, H, T, D], k and v [B, H_kv, S, D].
// Returns [B, T, H * D].
at::Tensor Attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                  double scale, double softcap);

// Appends new keys/values to a layer cache (when given) and returns the full keys/values.
std::pair<at::Tensor, at::Tensor> UpdateCache(const at::Tensor& k, const at::Tensor& v, at::Tensor* cache_k,
                                              at::Tensor* cache_v);

// Splits [B, T, heads * D] into [B, heads, T, D].
at::Tensor SplitHeads(const at::Tensor& x, int64_t heads, int64_t head_dim);

}  // namespace emoscope
