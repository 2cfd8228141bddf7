// One constructor per architecture file (runtime-internal).
#pragma once

#include <memory>
#include <string>

#include "models/runtime/model.h"
#include "models/runtime/weights.h"

namespace emoscope {

std::unique_ptr<CausalLm> MakeGpt2(const ModelConfig& config, const std::string& dir, WeightLoader& loader,
                                   at::ScalarType dtype, at::Device device);    // gpt2.cc
std::unique_ptr<CausalLm> MakeLlama(const ModelConfig& config, const std::string& dir, WeightLoader& loader,
                                    at::ScalarType dtype, at::Device device);   // llama.cc: llama, mistral, qwen2
std::unique_ptr<CausalLm> MakeGemma(const ModelConfig& config, const std::string& dir, WeightLoader& loader,
                                    at::ScalarType dtype, at::Device device);   // gemma.cc: gemma, gemma2, gemma3

}  // namespace emoscope
