#include "models/checkpoint/model_config.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"

namespace emoscope {
namespace {

using nlohmann::json;

// Reads fields of one config object, naming the file and field in every error.
class FieldReader {
 public:
  FieldReader(const json& object, std::string source) : object_(object), source_(std::move(source)) {}

  bool Has(const char* name) const { return object_.contains(name) && !object_.at(name).is_null(); }

  int64_t Int(const char* name) const {
    if (!Has(name)) Fail("{}: required field '{}' is missing", source_, name);
    return IntAt(name);
  }
  int64_t Int(const char* name, int64_t fallback) const { return Has(name) ? IntAt(name) : fallback; }
  // The first of several alias names that is present (GPT-2 writes n_embd for hidden_size).
  int64_t IntAlias(std::initializer_list<const char*> names) const {
    for (const char* name : names) {
      if (Has(name)) return IntAt(name);
    }
    Fail("{}: required field '{}' is missing", source_, *names.begin());
  }
  double Double(const char* name, double fallback) const {
    if (!Has(name)) return fallback;
    const json& value = object_.at(name);
    if (!value.is_number()) Fail("{}: field '{}' must be a number", source_, name);
    return value.get<double>();
  }
  bool Bool(const char* name, bool fallback) const {
    if (!Has(name)) return fallback;
    const json& value = object_.at(name);
    if (!value.is_boolean()) Fail("{}: field '{}' must be true or false", source_, name);
    return value.get<bool>();
  }
  std::string String(const char* name, const std::string& fallback) const {
    if (!Has(name)) return fallback;
    const json& value = object_.at(name);
    if (!value.is_string()) Fail("{}: field '{}' must be a string", source_, name);
    return value.get<std::string>();
  }
  std::vector<int64_t> IntList(const char* name) const {  // an int or a list of ints
    std::vector<int64_t> out;
    if (!Has(name)) return out;
    const json& value = object_.at(name);
    if (value.is_number_integer()) {
      out.push_back(value.get<int64_t>());
      return out;
    }
    if (!value.is_array()) Fail("{}: field '{}' must be an integer or a list of integers", source_, name);
    for (const json& item : value) {
      if (!item.is_number_integer()) Fail("{}: field '{}' must hold integers", source_, name);
      out.push_back(item.get<int64_t>());
    }
    return out;
  }
  const json& Object() const { return object_; }
  const std::string& source() const { return source_; }

 private:
  int64_t IntAt(const char* name) const {
    const json& value = object_.at(name);
    // Some writers store integral values as floats (24.0); accept those, refuse 24.5.
    if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      Fail("{}: field '{}' is out of range", source_, name);
    }
    if (value.is_number_integer()) return value.get<int64_t>();
    if (value.is_number_float()) {
      const double number = value.get<double>();
      // 2^63 itself does not fit; casting a double outside int64's range is undefined behaviour.
      constexpr double kInt64Limit = 9223372036854775808.0;
      if (!(std::abs(number) < kInt64Limit)) Fail("{}: field '{}' is out of range", source_, name);
      if (std::floor(number) == number) return static_cast<int64_t>(number);
    }
    Fail("{}: field '{}' must be an integer", source_, name);
  }

  const json& object_;
  std::string source_;
};

Activation ParseActivation(const std::string& name, const std::string& source, const char* field) {
  if (name == "gelu") return Activation::kGeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::kGeluTanh;
  if (name == "silu" || name == "swish") return Activation::kSilu;
  if (name == "relu") return Activation::kRelu;
  Fail("{}: field '{}': unsupported activation '{}' (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu, relu)",
       source, field, name);
}

RopeScaling ParseRopeScaling(const FieldReader& reader) {
  RopeScaling scaling;
  if (!reader.Has("rope_scaling")) return scaling;
  const json& value = reader.Object().at("rope_scaling");
  if (!value.is_object()) Fail("{}: field 'rope_scaling' must be an object or null", reader.source());
  const FieldReader rope(value, reader.source() + " rope_scaling");
  const std::string type = rope.String("rope_type", rope.String("type", "default"));
  if (type == "default") return scaling;
  if (type == "linear") {
    scaling.type = RopeType::kLinear;
    scaling.factor = rope.Double("factor", 1.0);
  } else if (type == "llama3") {
    scaling.type = RopeType::kLlama3;
    scaling.factor = rope.Double("factor", 8.0);
    scaling.low_freq_factor = rope.Double("low_freq_factor", 1.0);
    scaling.high_freq_factor = rope.Double("high_freq_factor", 4.0);
    scaling.original_max_position_embeddings = rope.Int("original_max_position_embeddings", 8192);
    if (scaling.high_freq_factor <= scaling.low_freq_factor) {
      Fail("{}: rope_scaling: high_freq_factor must exceed low_freq_factor", reader.source());
    }
  } else {
    Fail("{}: field 'rope_scaling.rope_type': unsupported '{}' (default, linear, llama3)", reader.source(), type);
  }
  if (!(scaling.factor > 0)) Fail("{}: field 'rope_scaling.factor' must be positive", reader.source());
  return scaling;
}

// layer_types (newer configs) overrides the architecture's own pattern.
bool ReadLayerTypes(const FieldReader& reader, int64_t num_layers, std::vector<bool>* sliding) {
  if (!reader.Has("layer_types")) return false;
  const json& types = reader.Object().at("layer_types");
  if (!types.is_array() || static_cast<int64_t>(types.size()) != num_layers) {
    Fail("{}: field 'layer_types' must list one type per layer ({})", reader.source(), num_layers);
  }
  sliding->clear();
  for (const json& type : types) {
    const std::string name = type.is_string() ? type.get<std::string>() : "";
    if (name == "sliding_attention") {
      sliding->push_back(true);
    } else if (name == "full_attention") {
      sliding->push_back(false);
    } else {
      Fail("{}: field 'layer_types': unknown type {} (sliding_attention, full_attention)", reader.source(),
           type.dump());
    }
  }
  return true;
}

void ReadGpt2(const FieldReader& reader, ModelConfig* config) {
  config->arch = Architecture::kGpt2;
  config->hidden_size = reader.IntAlias({"n_embd", "hidden_size"});
  config->num_layers = reader.IntAlias({"n_layer", "num_hidden_layers"});
  config->num_heads = reader.IntAlias({"n_head", "num_attention_heads"});
  config->num_kv_heads = config->num_heads;
  config->max_position_embeddings = reader.IntAlias({"n_positions", "max_position_embeddings"});
  config->intermediate_size = reader.Int("n_inner", 4 * config->hidden_size);
  config->activation = ParseActivation(reader.String("activation_function", "gelu_new"), reader.source(),
                                       "activation_function");
  config->norm_eps = reader.Double("layer_norm_epsilon", 1e-5);
  config->tie_word_embeddings = reader.Bool("tie_word_embeddings", true);
  config->attention_bias = true;
  config->output_bias = true;
  config->mlp_bias = true;
  config->scale_attn_by_inverse_layer_idx = reader.Bool("scale_attn_by_inverse_layer_idx", false);
  if (!reader.Bool("scale_attn_weights", true)) config->attention_scale = 1.0;
}

void ReadLlamaLike(const FieldReader& reader, ModelConfig* config) {
  config->hidden_size = reader.Int("hidden_size");
  config->num_layers = reader.Int("num_hidden_layers");
  config->num_heads = reader.Int("num_attention_heads");
  config->num_kv_heads = reader.Int("num_key_value_heads", config->num_heads);
  config->intermediate_size = reader.Int("intermediate_size");
  config->max_position_embeddings = reader.Int("max_position_embeddings", 2048);
  config->rope_theta = reader.Double("rope_theta", 10000.0);
  config->rope_scaling = ParseRopeScaling(reader);
  config->sliding_window.reset();
}

}  // namespace

Family ModelConfig::family() const {
  switch (arch) {
    case Architecture::kGpt2:
      return Family::kGpt2;
    case Architecture::kGemma:
    case Architecture::kGemma2:
    case Architecture::kGemma3:
      return Family::kGemma;
    default:
      return Family::kLlama;
  }
}

int64_t ModelConfig::ParameterCount() const {
  const int64_t d = hidden_size;
  const int64_t q = num_heads * head_dim;
  const int64_t kv = num_kv_heads * head_dim;
  int64_t per_layer = 0;
  int64_t extra = vocab_size * d + d;  // embeddings + final norm weight
  if (family() == Family::kGpt2) {
    per_layer = d * 3 * d + 3 * d + d * d + d + 2 * d * intermediate_size + intermediate_size + d + 4 * d;
    extra += max_position_embeddings * d + d;  // positions + final norm bias
  } else {
    per_layer = d * q + 2 * d * kv + q * d + 3 * d * intermediate_size + 2 * d;
    if (attention_bias) per_layer += q + 2 * kv;
    if (output_bias) per_layer += d;
    if (mlp_bias) per_layer += 2 * intermediate_size + d;
    if (sandwich_norms) per_layer += 2 * d;
    if (qk_norm) per_layer += 2 * head_dim;
  }
  if (!tie_word_embeddings) extra += vocab_size * d;
  return num_layers * per_layer + extra;
}

const char* ArchitectureName(Architecture arch) {
  switch (arch) {
    case Architecture::kGpt2: return "gpt2";
    case Architecture::kLlama: return "llama";
    case Architecture::kMistral: return "mistral";
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kGemma: return "gemma";
    case Architecture::kGemma2: return "gemma2";
    case Architecture::kGemma3: return "gemma3";
  }
  return "?";
}

const char* ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kGeluErf: return "gelu";
    case Activation::kGeluTanh: return "gelu_tanh";
    case Activation::kSilu: return "silu";
    case Activation::kRelu: return "relu";
  }
  return "?";
}

ModelConfig ParseModelConfig(const std::string& json_text, const std::string& source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& error) {  // parse_error, and out_of_range for numbers like 1e999
    Fail("{}: not valid JSON: {}", source, error.what());
  }
  if (!root.is_object()) Fail("{}: must hold a JSON object", source);
  // Multimodal Gemma 3 folders keep the language model's settings under text_config.
  // A comparison rather than value("model_type", ""), which throws when the field is not a string.
  if (root.contains("model_type") && root["model_type"] == "gemma3" && root.contains("text_config") && root["text_config"].is_object()) {
    json text = root["text_config"];
    if (!text.contains("model_type")) text["model_type"] = "gemma3_text";
    root = text;
  }
  const FieldReader reader(root, source);
  ModelConfig config;
  config.path = source;
  config.model_type = reader.String("model_type", "");
  if (config.model_type.empty()) Fail("{}: required field 'model_type' is missing", source);
  const std::string& type = config.model_type;

  if (type == "gpt2") {
    ReadGpt2(reader, &config);
  } else if (type == "llama" || type == "mistral" || type == "qwen2") {
    ReadLlamaLike(reader, &config);
    config.activation = ParseActivation(reader.String("hidden_act", "silu"), source, "hidden_act");
    config.norm_eps = reader.Double("rms_norm_eps", 1e-6);
    config.tie_word_embeddings = reader.Bool("tie_word_embeddings", false);
    if (type == "llama") {
      config.arch = Architecture::kLlama;
      config.attention_bias = reader.Bool("attention_bias", false);
      config.output_bias = config.attention_bias;
      config.mlp_bias = reader.Bool("mlp_bias", false);
    } else if (type == "mistral") {
      config.arch = Architecture::kMistral;
      if (reader.Has("sliding_window")) config.sliding_window = reader.Int("sliding_window");
    } else {
      config.arch = Architecture::kQwen2;
      config.attention_bias = true;  // Qwen2 always has q/k/v biases, never an o_proj bias.
      if (reader.Bool("use_sliding_window", false) && reader.Has("sliding_window")) {
        config.sliding_window = reader.Int("sliding_window");
      }
    }
  } else if (type == "gemma" || type == "gemma2" || type == "gemma3_text") {
    ReadLlamaLike(reader, &config);
    config.arch = type == "gemma" ? Architecture::kGemma : type == "gemma2" ? Architecture::kGemma2 : Architecture::kGemma3;
    config.head_dim = reader.Int("head_dim", 256);
    config.norm_eps = reader.Double("rms_norm_eps", 1e-6);
    config.tie_word_embeddings = reader.Bool("tie_word_embeddings", true);
    config.attention_bias = reader.Bool("attention_bias", false);
    config.output_bias = config.attention_bias;
    config.embed_scale_sqrt_hidden = true;
    config.norm_adds_one = true;
    // Hugging Face uses the tanh approximation for Gemma unless hidden_activation says otherwise.
    config.activation = ParseActivation(reader.String("hidden_activation", "gelu_pytorch_tanh"), source,
                                        "hidden_activation");
    if (config.arch != Architecture::kGemma) {
      config.sandwich_norms = true;
      config.attention_scale = 1.0 / std::sqrt(reader.Double("query_pre_attn_scalar", 256.0));
      config.attn_logit_softcapping =
          reader.Double("attn_logit_softcapping", config.arch == Architecture::kGemma2 ? 50.0 : 0.0);
      config.final_logit_softcapping =
          reader.Double("final_logit_softcapping", config.arch == Architecture::kGemma2 ? 30.0 : 0.0);
      config.sliding_window = reader.Int("sliding_window", 4096);
    }
    if (config.arch == Architecture::kGemma3) {
      config.qk_norm = true;
      config.rope_theta = reader.Double("rope_theta", 1000000.0);
      config.rope_local_theta = reader.Double("rope_local_base_freq", 10000.0);
    }
  } else {
    Fail("{}: field 'model_type': unsupported architecture '{}' (gpt2, llama, mistral, qwen2, gemma, gemma2, "
         "gemma3_text)", source, type);
  }

  config.vocab_size = reader.Int("vocab_size");
  if (config.head_dim == 0) {
    if (config.num_heads <= 0) Fail("{}: field 'num_attention_heads' must be positive", source);
    config.head_dim = reader.Int("head_dim", config.hidden_size / config.num_heads);
    if (!reader.Has("head_dim") && config.hidden_size % config.num_heads != 0) {
      Fail("{}: hidden_size {} is not divisible by the number of heads {}", source, config.hidden_size,
           config.num_heads);
    }
  }
  struct Positive {
    const char* field;
    int64_t value;
  };
  for (const Positive& check : {Positive{"vocab_size", config.vocab_size}, Positive{"hidden_size", config.hidden_size},
                                Positive{"num_hidden_layers", config.num_layers},
                                Positive{"num_attention_heads", config.num_heads},
                                Positive{"num_key_value_heads", config.num_kv_heads},
                                Positive{"head_dim", config.head_dim},
                                Positive{"intermediate_size", config.intermediate_size},
                                Positive{"max_position_embeddings", config.max_position_embeddings}}) {
    if (check.value <= 0) Fail("{}: field '{}' must be positive, got {}", source, check.field, check.value);
  }
  if (config.num_heads % config.num_kv_heads != 0) {
    Fail("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", source, config.num_heads,
         config.num_kv_heads);
  }
  if (config.family() != Family::kGpt2 && config.head_dim % 2 != 0) {
    Fail("{}: field 'head_dim' must be even for rotary embeddings, got {}", source, config.head_dim);
  }
  if (config.sliding_window && *config.sliding_window <= 0) {
    Fail("{}: field 'sliding_window' must be positive", source);
  }
  if (!(config.norm_eps > 0)) Fail("{}: norm epsilon must be positive", source);

  // Which layers use the sliding window.
  config.layer_is_sliding.assign(static_cast<size_t>(config.num_layers), false);
  if (config.sliding_window) {
    if (!ReadLayerTypes(reader, config.num_layers, &config.layer_is_sliding)) {
      for (int64_t layer = 0; layer < config.num_layers; ++layer) {
        bool sliding = true;
        if (config.arch == Architecture::kGemma2) sliding = layer % 2 == 0;
        if (config.arch == Architecture::kGemma3) {
          const int64_t pattern = reader.Int("sliding_window_pattern", 6);
          if (pattern <= 0) Fail("{}: field 'sliding_window_pattern' must be positive", source);
          sliding = (layer + 1) % pattern != 0;
        }
        if (config.arch == Architecture::kQwen2) sliding = layer >= reader.Int("max_window_layers", 0);
        config.layer_is_sliding[static_cast<size_t>(layer)] = sliding;
      }
    }
  }

  if (reader.Has("bos_token_id")) {
    const std::vector<int64_t> bos = reader.IntList("bos_token_id");
    if (!bos.empty()) config.bos_token_id = bos.front();
  }
  config.eos_token_ids = reader.IntList("eos_token_id");
  if (reader.Has("pad_token_id")) {
    const std::vector<int64_t> pad = reader.IntList("pad_token_id");
    if (!pad.empty()) config.pad_token_id = pad.front();
  }
  config.torch_dtype = reader.String("torch_dtype", reader.String("dtype", "float32"));
  return config;
}

ModelConfig LoadModelConfig(const std::string& dir) {
  const std::string path = IsDirectory(dir) ? JoinPath(dir, "config.json") : dir;
  if (!FileExists(path)) Fail("{}: no config.json (is this a Hugging Face model folder?)", path);
  return ParseModelConfig(ReadFile(path), path);
}

}  // namespace emoscope
