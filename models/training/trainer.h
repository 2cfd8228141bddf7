// `emoscope model train`: trains a small causal language model from scratch on the synthetic
// emotional corpus and writes a Hugging Face model folder (config.json, model.safetensors,
// tokenizer.json) plus training.json. See docs/training.md.
//
// The loop: AdamW (decoupled decay on matrices and embeddings), linear warmup then cosine decay,
// global gradient-norm clipping, next-token cross-entropy on [batch, seq_len] windows of the packed
// training stream. Checkpoints (train_checkpoint.h) are written every `checkpoint_every` steps,
// when SIGINT or SIGTERM arrives, and at the end; calling Train again with the same options
// continues from the checkpoint (on CPU in float32 the final weights are bit-identical to an
// uninterrupted run). Different options are refused.
//
// Threading: runs on the calling thread; sets ATen's intra-op thread count. Errors: UsageError for
// invalid options (naming the option), Error for files that cannot be written or a checkpoint
// that does not match.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "models/training/train_options.h"

namespace emoscope {

struct TrainingReport {
  bool completed = false;          // false: stopped early (signal or stop_after), checkpoint written
  int64_t steps = 0;               // optimizer steps done
  double train_loss = 0;           // mean next-token loss (nats) on eval windows of training text
  double validation_loss = 0;      // the same on held-out documents
  double unigram_loss = 0;         // validation targets under the training unigram distribution
  double tokens_per_second = 0;    // training tokens per second of training time (all sessions)
  double elapsed_seconds = 0;      // training time (all sessions), excluding data preparation
  double cpu_seconds = 0;          // process CPU time of that training (user + system, all threads);
                                   // far below elapsed x threads when other programs share the cores
  int64_t parameters = 0;          // model parameters
  int64_t threads = 0;             // intra-op threads this session used
  int64_t vocab = 0;               // tokenizer and embedding size
  int64_t train_tokens = 0;        // tokens in the training stream
  int64_t validation_tokens = 0;   // tokens in the validation stream
  std::string out;                 // the model folder
};

struct TrainControl {
  // Called after each step with the number of steps done; true stops the run as a signal would
  // (checkpoint, then return with completed = false). For tests and time-boxed runs.
  std::function<bool(int64_t steps_done)> stop_after;
  bool show_progress = true;  // the progress bar on standard error
};

TrainingReport Train(const TrainOptions& options, const TrainControl& control = {});

// The report as written to training.json (without the options and history).
nlohmann::ordered_json ReportJson(const TrainingReport& report);

}  // namespace emoscope
