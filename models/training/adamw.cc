#include "models/training/adamw.h"

#include <ATen/core/grad_mode.h>

#include <cmath>

#include "common/error.h"

namespace emoscope {

AdamW::AdamW(std::map<std::string, at::Tensor> parameters, std::map<std::string, bool> decayed, AdamWOptions options)
    : parameters_(std::move(parameters)), decayed_(std::move(decayed)), options_(options) {
  for (const auto& [name, p] : parameters_) {
    if (!p.requires_grad()) Fail("AdamW: parameter '{}' does not require grad", name);
    m_[name] = at::zeros_like(p, at::MemoryFormat::Contiguous);
    v_[name] = at::zeros_like(p, at::MemoryFormat::Contiguous);
  }
}

void AdamW::Step(double lr) {
  at::NoGradGuard no_grad;
  ++steps_;
  const double t = static_cast<double>(steps_);
  const double bias1 = 1.0 - std::pow(options_.beta1, t);
  const double bias2_sqrt = std::sqrt(1.0 - std::pow(options_.beta2, t));
  const double step_size = lr / bias1;
  for (auto& [name, p] : parameters_) {
    const at::Tensor& grad = p.grad();
    if (!grad.defined()) Fail("AdamW: parameter '{}' has no gradient", name);
    auto decay = decayed_.find(name);
    if (decay != decayed_.end() && decay->second && options_.weight_decay != 0) {
      p.mul_(1.0 - lr * options_.weight_decay);
    }
    at::Tensor& m = m_.at(name);
    at::Tensor& v = v_.at(name);
    // The same operation order as torch.optim's single-tensor AdamW, so the numbers match it.
    m.lerp_(grad, 1.0 - options_.beta1);
    v.mul_(options_.beta2).addcmul_(grad, grad, 1.0 - options_.beta2);
    const at::Tensor denom = (v.sqrt() / bias2_sqrt).add_(options_.eps);
    p.addcdiv_(m, denom, -step_size);
  }
}

void AdamW::ZeroGrad() {
  for (auto& [name, p] : parameters_) p.mutable_grad() = at::Tensor();
}

void AdamW::Restore(const std::map<std::string, at::Tensor>& first, const std::map<std::string, at::Tensor>& second,
                    int64_t steps) {
  at::NoGradGuard no_grad;
  for (auto& [name, p] : parameters_) {
    for (auto [source, target] : {std::pair{&first, &m_}, std::pair{&second, &v_}}) {
      auto found = source->find(name);
      if (found == source->end()) Fail("AdamW: checkpoint has no moment for '{}'", name);
      if (found->second.sizes() != p.sizes()) Fail("AdamW: checkpoint moment of '{}' has the wrong shape", name);
      target->at(name).copy_(found->second);
    }
  }
  steps_ = steps;
}

double ClipGradNorm(const std::map<std::string, at::Tensor>& parameters, double max_norm) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  for (const auto& [name, p] : parameters) {
    if (p.grad().defined()) norms.push_back(p.grad().norm(2).to(at::kFloat));
  }
  if (norms.empty()) return 0.0;
  const double total = at::stack(norms).norm(2).item<double>();
  const double coefficient = max_norm / (total + 1e-6);
  if (max_norm > 0 && coefficient < 1.0) {
    for (const auto& [name, p] : parameters) {
      if (p.grad().defined()) p.grad().mul_(coefficient);
    }
  }
  return total;
}

}  // namespace emoscope
