// The data a training run reads: the synthetic emotional corpus (stimuli/corpus.h) split into
// training and validation documents, a byte-level BPE tokenizer learned on the training documents,
// and both splits tokenized into one stream each, every document followed by the end-of-text token.
// Batches are windows of the training stream at seeded random offsets.
//
// Pure functions of their arguments (deterministic for a seed); safe to call from several threads.
// Errors: emoscope::Error for invalid sizes (naming the option) and a corpus too small to hold one
// window.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/tokenizer/tokenizer.h"
#include "stimuli/corpus.h"

namespace emoscope {

// The end-of-text token: the tokenizer's last id; separates documents and is the model's bos/eos.
inline constexpr const char* kEndOfText = "<|endoftext|>";

struct CorpusSplit {
  std::vector<std::string> train;
  std::vector<std::string> validation;
};

// The last ceil(fraction * n) documents (the corpus is already shuffled) are held out, at least one
// when fraction > 0 and n >= 2.
CorpusSplit SplitCorpus(const std::vector<CorpusDocument>& documents, double validation_fraction);

// Learns vocab - 257 merges on (at most `max_documents` of) `texts` and writes a tokenizer.json with
// them and kEndOfText to `path`; returns the loaded tokenizer. Error when vocab < 258.
Tokenizer LearnTokenizer(const std::vector<std::string>& texts, int64_t vocab, int64_t max_documents,
                         const std::string& path);

// One int64 stream [N]: each text's tokens (no special tokens added) followed by `end_of_text`.
at::Tensor TokenizeStream(const Tokenizer& tokenizer, const std::vector<std::string>& texts, int64_t end_of_text);

// [batch, seq_len + 1] windows of `stream` at offsets drawn from a SplitMix64 stream seeded by
// (seed, step) alone, so a resumed run draws the same batches. Error when the stream is shorter
// than one window.
at::Tensor SampleBatch(const at::Tensor& stream, int64_t batch, int64_t seq_len, uint64_t seed, int64_t step);

// Non-overlapping [n, seq_len + 1] windows from the start of `stream` (stride seq_len, so every
// token after the first is a target once), at most `max_windows`.
at::Tensor EvaluationWindows(const at::Tensor& stream, int64_t seq_len, int64_t max_windows);

// Cross-entropy in nats of `targets` under the unigram distribution of `train_stream` (add-one
// smoothing over `vocab` ids): the loss of a model that ignores context.
double UnigramCrossEntropy(const at::Tensor& train_stream, const at::Tensor& targets, int64_t vocab);

}  // namespace emoscope
