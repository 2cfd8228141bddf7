#include "models/runtime/blocks.h"

#include <cmath>
#include <limits>

namespace emoscope {

at::Tensor RopeInverseFrequencies(int64_t head_dim, double theta, const RopeScaling& scaling) {
  // Computed in float32 as Hugging Face does, so the tables agree to the last bit.
  const at::Tensor exponents = at::arange(0, head_dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(head_dim);
  at::Tensor inv_freq = 1.0 / at::pow(theta, exponents);
  switch (scaling.type) {
    case RopeType::kDefault:
      return inv_freq;
    case RopeType::kLinear:
      return inv_freq / scaling.factor;
    case RopeType::kLlama3: {
      const double old_context = static_cast<double>(scaling.original_max_position_embeddings);
      const double low_freq_wavelen = old_context / scaling.low_freq_factor;
      const double high_freq_wavelen = old_context / scaling.high_freq_factor;
      const at::Tensor wavelen = 2 * M_PI / inv_freq;
      at::Tensor scaled = at::where(wavelen > low_freq_wavelen, inv_freq / scaling.factor, inv_freq);
      const at::Tensor smooth = (old_context / wavelen - scaling.low_freq_factor) /
                                (scaling.high_freq_factor - scaling.low_freq_factor);
      const at::Tensor smoothed = (1 - smooth) * scaled / scaling.factor + smooth * scaled;
      const at::Tensor medium = at::logical_not(wavelen < high_freq_wavelen) & at::logical_not(wavelen > low_freq_wavelen);
      return at::where(medium, smoothed, scaled);
    }
  }
  return inv_freq;
}

std::pair<at::Tensor, at::Tensor> RopeTables(const at::Tensor& positions, const at::Tensor& inv_freq,
                                             at::ScalarType dtype) {
  const at::Tensor freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq.to(positions.device());  // [B,T,D/2]
  const at::Tensor angles = at::cat({freqs, freqs}, -1).unsqueeze(1);                                 // [B,1,T,D]
  return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

at::Tensor ApplyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  const at::Tensor x1 = x.narrow(-1, 0, half);
  const at::Tensor x2 = x.narrow(-1, half, half);
  const at::Tensor rotated = at::cat({-x2, x1}, -1);
  return x * cos + rotated * sin;
}

at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps, bool gemma_style) {
  const at::Tensor xf = x.to(at::kFloat);
  const at::Tensor normed = xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  if (gemma_style) return (normed * weight).to(x.scalar_type());
  return weight * normed.to(x.scalar_type());
}

at::Tensor LayerNorm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps) {
  return at::layer_norm(x, {x.size(-1)}, weight, bias, eps);
}

at::Tensor Activate(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::kGeluErf:
      return at::gelu(x);
    case Activation::kGeluTanh:
      return at::gelu(x, "tanh");
    case Activation::kSilu:
      return at::silu(x);
    case Activation::kRelu:
      return at::relu(x);
  }
  return x;
}

at::Tensor Linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  return at::linear(x, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt);
}

at::Tensor SplitHeads(const at::Tensor& x, int64_t heads, int64_t head_dim) {
  return x.view({x.size(0), x.size(1), heads, head_dim}).transpose(1, 2);
}

std::pair<at::Tensor, at::Tensor> UpdateCache(const at::Tensor& k, const at::Tensor& v, at::Tensor* cache_k,
                                              at::Tensor* cache_v) {
  if (cache_k == nullptr) return {k, v};
  if (cache_k->defined()) {
    *cache_k = at::cat({*cache_k, k}, 2);
    *cache_v = at::cat({*cache_v, v}, 2);
  } else {
    *cache_k = k.contiguous();
    *cache_v = v.contiguous();
  }
  return {*cache_k, *cache_v};
}

at::Tensor Attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                  double scale, double softcap) {
  const int64_t batch = q.size(0), heads = q.size(1), steps = q.size(2), head_dim = q.size(3);
  const int64_t kv_heads = k.size(1), keys = k.size(2);
  const int64_t group = heads / kv_heads;
  // Query heads h = kv * group + g share key/value head kv: fold the group into the rows so no
  // key/value copies are made.
  const at::Tensor q_grouped = q.contiguous().view({batch, kv_heads, group * steps, head_dim});
  at::Tensor scores = at::matmul(q_grouped, k.transpose(2, 3)) * scale;  // [B, H_kv, G*T, S]
  if (softcap > 0) scores = at::tanh(scores / softcap) * softcap;
  scores = scores.to(at::kFloat).view({batch, heads, steps, keys});
  // A finite minimum rather than -inf: a row with nothing to attend (a padding query) stays finite.
  scores.masked_fill_(at::logical_not(mask), std::numeric_limits<float>::lowest());
  const at::Tensor probs = at::softmax(scores, -1).to(q.scalar_type()).view({batch, kv_heads, group * steps, keys});
  const at::Tensor out = at::matmul(probs, v).view({batch, heads, steps, head_dim});
  return out.transpose(1, 2).reshape({batch, steps, heads * head_dim});
}

}  // namespace emoscope
