// A Hugging Face model folder's config.json, read into the one structure every architecture's
// forward pass uses. The parser knows each model_type's field names and defaults as Hugging Face
// transformers defines them; a missing required field or a value out of range is an Error naming
// config.json and the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emoscope {

enum class Architecture { kGpt2, kLlama, kMistral, kQwen2, kGemma, kGemma2, kGemma3 };

// Family groups architectures that share a forward pass file (gpt2.cc, llama.cc, gemma.cc).
enum class Family { kGpt2, kLlama, kGemma };

enum class Activation { kGeluErf, kGeluTanh, kSilu, kRelu };

enum class RopeType { kDefault, kLinear, kLlama3 };

struct RopeScaling {
  RopeType type = RopeType::kDefault;
  double factor = 1.0;                 // linear, llama3
  double low_freq_factor = 1.0;        // llama3
  double high_freq_factor = 4.0;       // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3
};

struct ModelConfig {
  std::string path;        // the config.json it came from
  std::string model_type;  // as written: "gpt2", "llama", "gemma3_text", ...
  Architecture arch = Architecture::kLlama;

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;       // == num_heads without grouped-query attention
  int64_t head_dim = 0;           // hidden_size / num_heads unless config says otherwise
  int64_t intermediate_size = 0;  // MLP width
  int64_t max_position_embeddings = 0;

  double norm_eps = 1e-5;
  Activation activation = Activation::kSilu;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // bias on q/k/v projections (Qwen2: always)
  bool output_bias = false;     // bias on o_proj (llama's attention_bias covers both)
  bool mlp_bias = false;

  // Rotary embeddings (not GPT-2).
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;          // applies to global-attention layers
  double rope_local_theta = 0.0;     // Gemma 3 sliding layers' base (0: same as rope_theta)

  // Attention variants.
  std::optional<int64_t> sliding_window;  // tokens a sliding layer attends to (itself included)
  std::vector<bool> layer_is_sliding;     // per layer; all false without sliding window
  double attn_logit_softcapping = 0.0;    // 0 = none (Gemma 2)
  double final_logit_softcapping = 0.0;   // 0 = none (Gemma 2)
  double attention_scale = 0.0;           // multiplier of q.k; 1/sqrt(head_dim) unless set
  bool scale_attn_by_inverse_layer_idx = false;  // GPT-2 option

  // Gemma specifics.
  bool embed_scale_sqrt_hidden = false;  // h_0 = embedding * sqrt(hidden_size)
  bool norm_adds_one = false;            // RMSNorm weight applied as (1 + w)
  bool qk_norm = false;                  // per-head RMSNorm of q and k before rotary (Gemma 3)
  bool sandwich_norms = false;           // post-attention, pre- and post-feed-forward norms

  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
  std::optional<int64_t> pad_token_id;
  std::string torch_dtype;  // as declared ("float32", "bfloat16", ...), informational

  Family family() const;
  // Parameters implied by the shapes (embeddings counted once when tied).
  int64_t ParameterCount() const;
};

// Parses `dir`/config.json. Throws Error naming the file and field.
ModelConfig LoadModelConfig(const std::string& dir);
// Parses config JSON text; `source` names it in errors.
ModelConfig ParseModelConfig(const std::string& json_text, const std::string& source);

const char* ArchitectureName(Architecture arch);
const char* ActivationName(Activation activation);

}  // namespace emoscope
