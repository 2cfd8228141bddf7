#include "models/runtime/model_init.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "common/error.h"
#include "common/file_util.h"
#include "models/checkpoint/model_config.h"
#include "models/checkpoint/tensor_layout.h"
#include "models/runtime/model.h"
#include "models/runtime/tensor_file.h"
#include "models/tokenizer/tokenizer.h"

namespace emoscope {
namespace {

constexpr double kInitStd = 0.02;    // projections and embeddings, as Hugging Face initializes
constexpr double kNormJitter = 0.1;  // norms get non-trivial scales so tests exercise them
constexpr int64_t kTinySlidingWindow = 16;

// Text the tiny tokenizer's merges are learned from.
const char* const kMergeText[] = {"the quick brown fox jumps over the lazy dog",
                                  "she smiled and laughed with joy at the news",
                                  "he trembled in fear as the door creaked open",
                                  "they wept quietly, their hearts heavy with grief",
                                  "what a surprise! nobody expected the parade",
                                  "the smell made him gag and turn away in disgust",
                                  "her face went red and she slammed the table in anger",
                                  "the weather report for tomorrow says rain"};

nlohmann::json ConfigJson(const ModelInitOptions& o, int64_t vocab, int64_t special) {
  using nlohmann::json;
  const int64_t heads = o.heads;
  const int64_t kv_heads = o.kv_heads > 0 ? o.kv_heads : heads;
  const int64_t head_dim = o.head_dim > 0 ? o.head_dim : o.hidden / heads;
  const int64_t inner = o.intermediate > 0 ? o.intermediate : 4 * o.hidden;
  const int64_t window = o.sliding_window > 0 ? o.sliding_window : kTinySlidingWindow;
  json c;
  c["vocab_size"] = vocab;
  c["bos_token_id"] = special;
  c["eos_token_id"] = special;
  c["torch_dtype"] = o.dtype;
  if (o.arch == "gpt2") {
    c["architectures"] = {"GPT2LMHeadModel"};
    c["model_type"] = "gpt2";
    c["n_embd"] = o.hidden;
    c["n_layer"] = o.layers;
    c["n_head"] = heads;
    c["n_positions"] = o.max_positions;
    c["n_ctx"] = o.max_positions;
    c["n_inner"] = inner;
    c["activation_function"] = "gelu_new";
    c["layer_norm_epsilon"] = 1e-5;
    c["tie_word_embeddings"] = true;
    return c;
  }
  c["hidden_size"] = o.hidden;
  c["num_hidden_layers"] = o.layers;
  c["num_attention_heads"] = heads;
  c["num_key_value_heads"] = kv_heads;
  c["head_dim"] = head_dim;
  c["intermediate_size"] = inner;
  c["max_position_embeddings"] = o.max_positions;
  c["rope_theta"] = 10000.0;
  c["attention_bias"] = false;
  if (o.arch == "llama" || o.arch == "mistral" || o.arch == "qwen2") {
    c["hidden_act"] = "silu";
    c["rms_norm_eps"] = 1e-5;
    if (o.arch == "llama") {
      c["architectures"] = {"LlamaForCausalLM"};
      c["model_type"] = "llama";
      c["tie_word_embeddings"] = false;
      c["mlp_bias"] = false;
    } else if (o.arch == "mistral") {
      c["architectures"] = {"MistralForCausalLM"};
      c["model_type"] = "mistral";
      c["tie_word_embeddings"] = false;
      c["sliding_window"] = window;
    } else {
      c["architectures"] = {"Qwen2ForCausalLM"};
      c["model_type"] = "qwen2";
      c["tie_word_embeddings"] = true;
      c["rope_theta"] = 1000000.0;
      c["use_sliding_window"] = false;
    }
    return c;
  }
  c["rms_norm_eps"] = 1e-6;
  c["hidden_activation"] = "gelu_pytorch_tanh";
  c["tie_word_embeddings"] = true;
  if (o.arch == "gemma") {
    c["architectures"] = {"GemmaForCausalLM"};
    c["model_type"] = "gemma";
  } else if (o.arch == "gemma2") {
    c["architectures"] = {"Gemma2ForCausalLM"};
    c["model_type"] = "gemma2";
    c["query_pre_attn_scalar"] = head_dim;
    c["attn_logit_softcapping"] = 50.0;
    c["final_logit_softcapping"] = 30.0;
    c["sliding_window"] = window;
  } else if (o.arch == "gemma3") {
    c["architectures"] = {"Gemma3ForCausalLM"};
    c["model_type"] = "gemma3_text";
    c["query_pre_attn_scalar"] = head_dim;
    c["rope_theta"] = 1000000.0;
    c["rope_local_base_freq"] = 10000.0;
    c["sliding_window"] = window;
    c["sliding_window_pattern"] = 2;
  } else {
    Fail("model init: --arch '{}' is not one of gpt2, llama, mistral, qwen2, gemma, gemma2, gemma3", o.arch);
  }
  return c;
}

}  // namespace

void CreateModelFolder(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) Fail("{}: cannot create the folder: {}", dir, error.message());
  if (!std::filesystem::is_directory(dir, error)) Fail("{}: exists and is not a folder", dir);
}

void InitRandomModel(const ModelInitOptions& options, const std::string& dir) {
  if (options.layers <= 0 || options.hidden <= 0 || options.heads <= 0) {
    Fail("model init: --layers, --hidden and --heads must be positive");
  }
  if (options.merges < 0) Fail("model init: --merges must not be negative");
  const at::ScalarType storage = ParseComputeDtype(options.dtype, "model init --dtype");
  CreateModelFolder(dir);

  const std::vector<std::string> texts(std::begin(kMergeText), std::end(kMergeText));
  const auto merges = TrainByteLevelBpe(texts, static_cast<int>(options.merges));
  const std::string special = "<|endoftext|>";
  WriteByteLevelBpeTokenizer(JoinPath(dir, "tokenizer.json"), merges, {special});
  const int64_t tokenizer_size = 256 + static_cast<int64_t>(merges.size()) + 1;
  if (options.vocab_size != 0 && options.vocab_size < tokenizer_size) {
    Fail("model init: --vocab-size {} is smaller than the tokenizer's {} tokens", options.vocab_size,
         tokenizer_size);
  }
  const int64_t vocab = options.vocab_size > 0 ? options.vocab_size : tokenizer_size;

  const std::string config_text = ConfigJson(options, vocab, tokenizer_size - 1).dump(2) + "\n";
  const std::string config_path = JoinPath(dir, "config.json");
  const ModelConfig config = ParseModelConfig(config_text, config_path);  // validates what we write

  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  const bool gemma_norms = config.norm_adds_one;
  for (const TensorSpec& spec : ExpectedTensors(config)) {
    at::Tensor value = at::randn(spec.shape, generator, at::TensorOptions().dtype(at::kFloat));
    switch (spec.role) {
      case TensorRole::kNormWeight:
        value = value * kNormJitter + (gemma_norms ? 0.0 : 1.0);
        break;
      default:
        value = value * kInitStd;
        break;
    }
    tensors.emplace_back(spec.name, value.to(storage));
  }
  WriteTensorFile(JoinPath(dir, "model.safetensors"), tensors, {{"format", "pt"}});
  WriteFileAtomic(config_path, config_text);
}

}  // namespace emoscope
