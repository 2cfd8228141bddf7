// Broken checkpoints and configs give errors that name the file and the tensor or field; and the
// rotary scaling Llama 3 checkpoints declare follows Hugging Face's definition.
#include <ATen/ATen.h>

#include "common/error.h"
#include "common/file_util.h"
#include "models/checkpoint/model_config.h"
#include "models/runtime/blocks.h"
#include "models/runtime/model.h"
#include "models/runtime/model_init.h"
#include "models/runtime/tensor_file.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

std::string TinyLlama(const emoscope::testing::TempDir& dir) {
  emoscope::ModelInitOptions options;
  options.arch = "llama";
  options.layers = 2;
  options.hidden = 16;
  options.heads = 2;
  const std::string path = dir.File("llama");
  emoscope::InitRandomModel(options, path);
  return path;
}

void RewriteWeights(const std::string& dir,
                    const std::function<void(std::vector<std::pair<std::string, at::Tensor>>&)>& edit) {
  const auto tensors = emoscope::ReadTensorFile(dir + "/model.safetensors");
  std::vector<std::pair<std::string, at::Tensor>> list(tensors.begin(), tensors.end());
  edit(list);
  emoscope::WriteTensorFile(dir + "/model.safetensors", list);
}

}  // namespace

TEST_CASE("a missing tensor is an error naming the folder and the tensor", "[checkpoint][errors]") {
  emoscope::testing::TempDir dir;
  const std::string model = TinyLlama(dir);
  RewriteWeights(model, [](auto& list) {
    list.erase(
        std::remove_if(list.begin(), list.end(),
                       [](const auto& entry) { return entry.first == "model.layers.1.mlp.up_proj.weight"; }),
        list.end());
  });
  REQUIRE_THROWS_WITH(emoscope::LoadModel(model),
                      Catch::Contains(model) && Catch::Contains("model.layers.1.mlp.up_proj.weight"));
}

TEST_CASE("a tensor of the wrong shape is an error naming both shapes", "[checkpoint][errors]") {
  emoscope::testing::TempDir dir;
  const std::string model = TinyLlama(dir);
  RewriteWeights(model, [](auto& list) {
    for (auto& entry : list) {
      if (entry.first == "model.layers.0.self_attn.q_proj.weight") entry.second = at::zeros({16, 8});
    }
  });
  REQUIRE_THROWS_WITH(emoscope::LoadModel(model), Catch::Contains("q_proj.weight") &&
                                                      Catch::Contains("[16, 8]") &&
                                                      Catch::Contains("[16, 16]"));
}

TEST_CASE("a truncated safetensors file is an error naming the file", "[checkpoint][errors]") {
  emoscope::testing::TempDir dir;
  const std::string model = TinyLlama(dir);
  const std::string weights = model + "/model.safetensors";
  const std::string bytes = emoscope::ReadFile(weights);
  for (size_t keep : {size_t{0}, size_t{5}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    emoscope::WriteFileAtomic(weights, bytes.substr(0, keep));
    INFO("kept " << keep << " bytes");
    REQUIRE_THROWS_WITH(emoscope::LoadModel(model), Catch::Contains("model.safetensors"));
  }
}

TEST_CASE("a header length past the end of the file is an error", "[checkpoint][errors]") {
  emoscope::testing::TempDir dir;
  const std::string model = TinyLlama(dir);
  const std::string weights = model + "/model.safetensors";
  std::string bytes = emoscope::ReadFile(weights);
  const uint64_t huge = bytes.size() + 1000;
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((huge >> (8 * i)) & 0xff);
  emoscope::WriteFileAtomic(weights, bytes);
  REQUIRE_THROWS_WITH(emoscope::LoadModel(model), Catch::Contains("model.safetensors"));
}

TEST_CASE("malformed config.json files are errors naming the field", "[checkpoint][errors][config]") {
  struct Case {
    const char* json;
    const char* expected;
  };
  const Case cases[] = {
      {"{not json", "not valid JSON"},
      {"[1, 2]", "JSON object"},
      {R"({"hidden_size": 64})", "model_type"},
      {R"({"model_type": "bert"})", "unsupported architecture 'bert'"},
      {R"({"model_type": "llama", "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10})",
       "hidden_size"},
      {R"({"model_type": "llama", "hidden_size": "64", "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10})",
       "'hidden_size' must be an integer"},
      {R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 8, "vocab_size": 10})",
       "num_key_value_heads"},
      {R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 0, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10})",
       "num_hidden_layers"},
      // Regression: a float too large for int64 was cast anyway (undefined behaviour found by fuzzing).
      {R"({"model_type": "llama", "hidden_size": 1e30, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10})",
       "'hidden_size' is out of range"},
      {R"({"model_type": "llama", "hidden_size": 18446744073709551615, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10})",
       "'hidden_size' is out of range"},
      {R"({"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 8, "vocab_size": 10, "activation_function": "mish"})",
       "activation_function"},
      {R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10, "rope_scaling": {"rope_type": "yarn", "factor": 2}})",
       "rope_scaling"},
      {R"({"model_type": "gemma2", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10, "layer_types": ["full_attention"]})",
       "layer_types"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    REQUIRE_THROWS_WITH(emoscope::ParseModelConfig(c.json, "/m/config.json"),
                        Catch::Contains("/m/config.json") && Catch::Contains(c.expected));
  }
}

TEST_CASE("a folder without config.json says so", "[checkpoint][errors][config]") {
  emoscope::testing::TempDir dir;
  REQUIRE_THROWS_WITH(emoscope::LoadModelConfig(dir.path()), Catch::Contains("config.json"));
}

TEST_CASE("sliding-window layer patterns follow each architecture's rule", "[config]") {
  const auto gemma2 = emoscope::ParseModelConfig(
      R"({"model_type": "gemma2", "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10, "sliding_window": 4})",
      "c");
  CHECK((gemma2.layer_is_sliding == std::vector<bool>{true, false, true, false}));
  const auto gemma3 = emoscope::ParseModelConfig(
      R"({"model_type": "gemma3_text", "hidden_size": 64, "num_hidden_layers": 7, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10, "sliding_window": 4})",
      "c");
  CHECK((gemma3.layer_is_sliding == std::vector<bool>{true, true, true, true, true, false, true}));
  const auto mistral = emoscope::ParseModelConfig(
      R"({"model_type": "mistral", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8, "vocab_size": 10, "sliding_window": null})",
      "c");
  CHECK_FALSE(mistral.sliding_window.has_value());
  CHECK((mistral.layer_is_sliding == std::vector<bool>{false, false}));
}

TEST_CASE("llama3 rotary scaling matches Hugging Face's definition", "[config][rope]") {
  // Llama 3.2 1B: head_dim 64, rope_theta 500000, factor 32, low 1, high 4, original context 8192.
  // Reference values from Hugging Face's _compute_llama3_parameters, evaluated in double.
  emoscope::RopeScaling scaling;
  scaling.type = emoscope::RopeType::kLlama3;
  scaling.factor = 32;
  scaling.low_freq_factor = 1;
  scaling.high_freq_factor = 4;
  scaling.original_max_position_embeddings = 8192;
  const at::Tensor inv_freq = emoscope::RopeInverseFrequencies(64, 500000.0, scaling);
  const std::pair<int64_t, double> expected[] = {{0, 1.0},
                                                 {5, 0.12868737343265052},
                                                 {10, 0.016560440080994446},
                                                 {12, 0.0072926647372171085},  // medium band: smoothed
                                                 {13, 0.004839421345719893},
                                                 {14, 0.0032114459947525913},
                                                 {15, 0.001290547928209264},
                                                 {20, 8.570255489881478e-06},  // low band: divided by 32
                                                 {31, 9.418306725434909e-08}};
  for (const auto& [index, value] : expected) {
    INFO("frequency " << index);
    CHECK(inv_freq[index].item<double>() == Approx(value).epsilon(1e-5));
  }
}
