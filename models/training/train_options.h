// Everything a training run is configured by (`emoscope model train`'s options), with defaults.
// The options that determine the result (model, data, optimization) form the run's identity,
// stored in the checkpoint; a resumed run must have the same identity.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace emoscope {

struct TrainOptions {
  // Model (models/runtime/model_init.h).
  std::string arch = "llama";  // gpt2, llama, mistral, qwen2 (Gemma's derived norms cannot train)
  int64_t layers = 8;          // blocks
  int64_t hidden = 96;         // residual width
  int64_t heads = 4;           // attention heads
  int64_t kv_heads = 0;        // 0: as many as heads
  int64_t intermediate = 0;    // MLP width; 0: 4 * hidden
  // Data (stimuli/corpus.h), tokenizer (models/tokenizer/tokenizer.h).
  std::string corpus = "builtin";          // only the built-in synthetic corpus for now
  int64_t documents = 20000;               // corpus documents, training and validation together
  std::string emotion_set = "emotions20";  // emotions20, basic6, or a set file
  double neutral_fraction = 0.2;           // share of neutral documents
  double dream_fraction = 0.0;             // share of emotional documents with a dream of another emotion
  double dream_after = 0.0;                // of those, the share whose dream follows their own situation
  double validation_fraction = 0.05;       // documents held out for the validation loss
  int64_t vocab = 1024;                    // tokenizer size: 256 bytes + merges + end-of-text
  int64_t tokenizer_documents = 4000;      // training documents the merges are learned on
  uint64_t seed = 1;                       // corpus, initialization and batch order
  // Optimization.
  int64_t steps = 0;          // optimizer steps, > 0
  int64_t batch = 16;         // sequences per step
  int64_t seq_len = 128;      // tokens per sequence (also the model's max positions)
  double lr = 3e-3;           // peak learning rate
  int64_t warmup = 50;        // linear warmup steps
  double min_lr_ratio = 0.1;  // cosine floor as a fraction of lr
  double weight_decay = 0.1;  // AdamW decoupled decay, on matrices and embeddings only
  double beta1 = 0.9;
  double beta2 = 0.95;
  double clip = 1.0;  // global gradient-norm clip; 0: off
  // How the run is carried out (not part of its identity).
  std::string out;                 // output folder, required
  int64_t checkpoint_every = 100;  // steps between checkpoints; 0: only at the end and on a signal
  int64_t eval_windows = 64;       // windows of seq_len tokens for the train and validation losses
  int64_t threads = 0;             // intra-op threads; 0: the cores not busy (cores - load average, >= 1)
  std::string device = "cpu";      // cpu, cuda, cuda:N
};

// Error naming the option (as on the command line, e.g. "--steps") for an invalid value, and a
// clear refusal for the Gemma architectures.
void ValidateTrainOptions(const TrainOptions& options);

// The options that determine the result, keyed by their command-line names.
nlohmann::ordered_json TrainIdentity(const TrainOptions& options);

// "" when `stored` (a checkpoint's identity) equals `now`'s; otherwise a message listing each
// differing option with both values.
std::string DescribeIdentityDifference(const nlohmann::ordered_json& stored,
                                       const nlohmann::ordered_json& now);

}  // namespace emoscope
