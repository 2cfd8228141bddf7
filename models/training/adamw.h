// AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization") on plain ATen tensors,
// with the same arithmetic as torch.optim.AdamW (non-amsgrad, non-fused):
//   p <- p * (1 - lr * wd)                      (decoupled decay, only for decayed tensors)
//   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// plus ClipGradNorm, torch.nn.utils.clip_grad_norm_'s global-norm clipping.
//
// Ownership: the optimizer holds references to the parameter tensors it was given (they share
// storage with the model) and owns the moment tensors. Not thread-safe. Errors: Error for a
// parameter without a gradient at Step, or moments of the wrong shape at Restore.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>

namespace emoscope {

struct AdamWOptions {
  double beta1 = 0.9;         // first-moment decay
  double beta2 = 0.95;        // second-moment decay (0.95 as in GPT-style language model training)
  double eps = 1e-8;          // added to the denominator
  double weight_decay = 0.1;  // decoupled, multiplied by the learning rate
};

class AdamW {
 public:
  // `parameters` by name; those whose name `decayed` accepts get weight decay. Each must require
  // grad. Moments start at zero.
  AdamW(std::map<std::string, at::Tensor> parameters, std::map<std::string, bool> decayed, AdamWOptions options);

  // One update with learning rate `lr` from the parameters' current gradients.
  void Step(double lr);
  // Sets every parameter's gradient to undefined (as zero_grad(set_to_none=True)).
  void ZeroGrad();

  int64_t steps() const { return steps_; }
  // Moments by parameter name, for checkpoints.
  const std::map<std::string, at::Tensor>& first_moments() const { return m_; }
  const std::map<std::string, at::Tensor>& second_moments() const { return v_; }
  // Restores a checkpoint's moments and step count (copied into the optimizer's tensors).
  void Restore(const std::map<std::string, at::Tensor>& first, const std::map<std::string, at::Tensor>& second,
               int64_t steps);

 private:
  std::map<std::string, at::Tensor> parameters_;
  std::map<std::string, bool> decayed_;
  AdamWOptions options_;
  std::map<std::string, at::Tensor> m_;  // same shapes as the parameters, float32
  std::map<std::string, at::Tensor> v_;
  int64_t steps_ = 0;
};

// Scales all gradients together so that their global L2 norm is at most `max_norm` (as PyTorch:
// coefficient max_norm / (norm + 1e-6), applied only when below 1). Returns the norm before
// clipping. max_norm <= 0 disables clipping (the norm is still returned).
double ClipGradNorm(const std::map<std::string, at::Tensor>& parameters, double max_norm);

}  // namespace emoscope
