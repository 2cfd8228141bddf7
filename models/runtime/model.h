// The model runtime: a Hugging Face causal language model loaded from its folder and run in
// libtorch, with the hook points interpretability needs.
//
// Hook points. h_0 is the embedding output (for GPT-2 token plus position embedding; for Gemma the
// embedding scaled by sqrt(hidden)); h_l (l = 1..L) is the raw residual stream after block l, before
// any final norm. One forward pass can:
//   - read every h_l reduced on the fly: readout[l, b] = sum_t w[b, t] * h_l[b, t] for per-position
//     weights w (e.g. 1/n over the n readout tokens of sequence b), so memory stays at one layer's
//     activations whatever the depth;
//   - keep the full residual stream [L+1, B, T, d] (for tests and `emoscope forward`);
//   - steer: add a vector to h_l at chosen positions for any set of layers. The added vector is
//     part of h_l from then on: readouts of layer l and later see the steered stream.
//
// Padding. Sequences in a batch may be padded on either side; attention_mask marks real tokens.
// Positions are counted over real tokens only (position of a token = number of real tokens before
// it), so a padded batch gives each sequence the results it gets alone.
//
// Threading: a CausalLm is not safe for concurrent Forward calls; use one per thread.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/checkpoint/model_config.h"

namespace emoscope {

struct AttentionContext;  // per-forward positions, masks and rotary tables (blocks.h)

// dtype is the weights' precision: each tensor is rounded to it. On CUDA the model computes in it.
// On CPU it computes in it only where libtorch's CPU bfloat16 matrix products are fast (oneDNN and
// a CPU with avx512_bf16 or amx_bf16: measured 2x faster than float32); elsewhere in float32 on
// the rounded weights (bfloat16 kernels measured 15x slower there; float16 always), which uses a
// bfloat16 checkpoint's values exactly (bench/BENCHMARKS.md, "bfloat16 on CPU").
// CausalLm::dtype() is the compute dtype.
enum class CpuCompute {
  kAuto,     // the rule above
  kFloat32,  // float32 whatever the CPU (tests, benchmarks)
  kDtype,    // dtype whatever the CPU (benchmarks: the slow path)
};

struct LoadOptions {
  std::string device = "cpu";     // "cpu", "cuda", "cuda:N"
  std::string dtype = "float32";  // "float32", "bfloat16", "float16"
  CpuCompute cpu_compute = CpuCompute::kAuto;
};

// Keys and values of earlier positions, for generation. Created empty; Forward appends.
struct KvCache {
  std::vector<at::Tensor> keys;    // per layer [B, H_kv, T_cached, head_dim]
  std::vector<at::Tensor> values;  // per layer [B, H_kv, T_cached, head_dim]
  at::Tensor positions;            // [B, T_cached] int64
  at::Tensor valid;                // [B, T_cached] bool: real tokens
  int64_t length() const { return positions.defined() ? positions.size(1) : 0; }
};

struct SteeringVector {
  int64_t layer = 0;     // hook point 0..L
  at::Tensor vector;     // [hidden], already multiplied by its coefficient
  at::Tensor positions;  // [B, T] float 0/1 mask of positions to steer; undefined = every position
};

enum class LogitsMode { kNone, kLast, kAll };

struct ForwardRequest {
  at::Tensor input_ids;                  // [B, T] int64
  at::Tensor attention_mask;             // [B, T], nonzero = real token; undefined = all real
  at::Tensor readout_weights;            // [B, T] float32 per-position weights; undefined = no readout
  bool readout_norms = false;            // also read sum_t w[b, t] * |h_l[b, t]| (needs readout_weights)
  bool keep_residual = false;            // return residual [L+1, B, T, hidden] float32
  LogitsMode logits = LogitsMode::kAll;  // kLast: the last column only (left padding)
  std::vector<SteeringVector> steering;
  KvCache* cache = nullptr;  // when set, the inputs continue the cached sequences
  bool enable_grad = false;  // training: record autograd (default: inference mode, no graph)
};

struct ForwardResult {
  at::Tensor logits;    // [B, T, vocab] or [B, vocab] for kLast; float32
  at::Tensor readout;   // [L+1, B, hidden] float32
  at::Tensor norms;     // [L+1, B] float32: weighted mean of per-token L2 norms (readout_norms)
  at::Tensor residual;  // [L+1, B, T, hidden] float32
};

class CausalLm {
 public:
  virtual ~CausalLm();
  CausalLm(const CausalLm&) = delete;
  CausalLm& operator=(const CausalLm&) = delete;

  // Runs the model. Throws Error on bad inputs (shape, token id out of range, too many positions).
  ForwardResult Forward(const ForwardRequest& request);

  const ModelConfig& config() const { return config_; }
  const std::string& dir() const { return dir_; }
  at::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }  // compute dtype (float32 on CPU)
  int64_t num_layers() const { return config_.num_layers; }
  int64_t hidden_size() const { return config_.hidden_size; }
  // Token ids generation may produce: [0, sampling_vocab()). Checkpoints often pad the embedding
  // beyond the tokenizer (to a multiple of 64 or 128, or `model init --vocab-size`); ids the
  // folder's tokenizer.json has no token for cannot be decoded, so Generate never picks them.
  // The tokenizer's size when the folder has a tokenizer.json this project reads, else vocab_size.
  int64_t sampling_vocab() const { return sampling_vocab_; }

  // The checkpoint's tensors as the model uses them, by their names in the checkpoint. Each entry
  // shares its storage with the model, so `tensor.set_data(copy)` makes the model use the copy
  // (how training makes weights trainable). Gemma's norm weights are derived (1 + w) and are not
  // listed; `trainable()` says whether every tensor of the checkpoint is.
  const std::map<std::string, at::Tensor>& parameters() const { return parameters_; }
  bool trainable() const { return trainable_; }

 protected:
  CausalLm(ModelConfig config, std::string dir, at::ScalarType dtype, at::Device device,
           std::shared_ptr<void> weights_owner);

  friend std::unique_ptr<CausalLm> LoadModel(const std::string& dir, const LoadOptions& options);

  // Architecture parts, each implemented in its own file from the shared blocks.
  virtual at::Tensor Embed(const at::Tensor& input_ids, const at::Tensor& positions) = 0;
  virtual at::Tensor Block(int64_t layer, const at::Tensor& h, const AttentionContext& context,
                           at::Tensor* cache_k, at::Tensor* cache_v) = 0;
  virtual at::Tensor Head(const at::Tensor& h) = 0;  // final norm + output head (+ soft-capping)

  ModelConfig config_;
  std::string dir_;
  at::ScalarType dtype_;
  std::shared_ptr<void> weights_owner_;           // keeps memory-mapped weight files alive
  at::Tensor inv_freq_global_;                    // [D/2] float32 rotary frequencies; undefined for GPT-2
  at::Tensor inv_freq_local_;                     // sliding layers' frequencies when their base differs
  std::map<std::string, at::Tensor> parameters_;  // filled by LoadModel from the loader
  bool trainable_ = true;
  int64_t sampling_vocab_ = 0;  // set by LoadModel
  at::Device device_;
};

// Loads a model folder (config.json + safetensors). Throws Error naming the file and tensor on a
// missing tensor, a wrong shape, or a file that is not a valid checkpoint.
std::unique_ptr<CausalLm> LoadModel(const std::string& dir, const LoadOptions& options = {});

// Parses "float32" / "bfloat16" / "float16"; Error naming `what` otherwise.
at::ScalarType ParseComputeDtype(const std::string& name, const std::string& what);

// Whether this libtorch and CPU have fast bfloat16 matrix products: oneDNN built in and the CPU
// flags (/proc/cpuinfo) list avx512_bf16 or amx_bf16. Read once.
bool CpuHasFastBfloat16();

// The dtype a model whose weights are stored in `storage` computes in on `device` (see
// LoadOptions); `fast_cpu_bfloat16` is CpuHasFastBfloat16() unless a test says otherwise.
at::ScalarType ComputeDtypeFor(at::ScalarType storage, at::Device device, CpuCompute rule = CpuCompute::kAuto,
                               bool fast_cpu_bfloat16 = CpuHasFastBfloat16());

}  // namespace emoscope
