// Random but valid Hugging Face model folders, for tests, benchmarks and demos.
#pragma once

#include <cstdint>
#include <string>

namespace emoscope {

struct ModelInitOptions {
  std::string arch = "llama";  // gpt2, llama, mistral, qwen2, gemma, gemma2, gemma3
  int64_t layers = 4;
  int64_t hidden = 64;
  int64_t heads = 4;
  int64_t kv_heads = 0;      // 0: same as heads
  int64_t head_dim = 0;      // 0: hidden / heads
  int64_t intermediate = 0;  // 0: 4 * hidden
  int64_t max_positions = 512;
  int64_t sliding_window = 0;  // 0: the architecture's default for tiny models (16)
  int64_t merges = 0;          // byte-level BPE merges in tokenizer.json (learned from a small text)
  int64_t vocab_size = 0;      // 0: the tokenizer's size; larger pads the embedding (as many checkpoints do)
  uint64_t seed = 0;
  std::string dtype = "float32";  // storage dtype: float32, bfloat16, float16
};

// Creates `dir` and any missing parent folders. Error naming the folder when that fails or when it
// exists as something other than a folder.
void CreateModelFolder(const std::string& dir);

// Writes config.json, model.safetensors and tokenizer.json into `dir` (created with its parents
// if needed).
// The vocabulary is byte-level: 256 byte tokens, the merges, then "<|endoftext|>" (bos = eos).
void InitRandomModel(const ModelInitOptions& options, const std::string& dir);

}  // namespace emoscope
