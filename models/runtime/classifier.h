// Sequence classifiers of the BERT/RoBERTa family (Hugging Face RobertaForSequenceClassification,
// BertForSequenceClassification), run in libtorch: how an external emotion classifier judges
// steered text. config.json gives the labels (id2label); tokenizer.json must be one the tokenizer
// supports (RoBERTa's byte-level BPE; BERT's WordPiece is not supported yet).
//
//   RoBERTa: h = LN(word[ids] + pos[padding_idx + 1 + index of real token] + type[0])
//   block:   h = LN(h + O(attn(h)));  h = LN(h + W2(gelu(W1 h)))      (post-LayerNorm)
//   head:    out_proj(tanh(dense(h[<s>])))          (BERT: classifier(tanh(pooler(h[CLS]))))
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace emoscope {

class SequenceClassifier {
 public:
  // Loads config.json, safetensors and tokenizer.json; Error naming the file and tensor or field.
  static std::unique_ptr<SequenceClassifier> Load(const std::string& dir, const std::string& device = "cpu");
  virtual ~SequenceClassifier() = default;

  const std::vector<std::string>& labels() const { return labels_; }
  // Softmax probabilities over labels(), one row per text (texts are batched with padding).
  virtual std::vector<std::vector<double>> Classify(const std::vector<std::string>& texts) = 0;

 protected:
  std::vector<std::string> labels_;
};

struct ClassifierInitOptions {
  std::string arch = "roberta";
  int64_t layers = 2;
  int64_t hidden = 32;
  int64_t heads = 4;
  int64_t intermediate = 64;
  std::vector<std::string> labels;
  uint64_t seed = 0;
};
// Writes a random but valid classifier folder (config.json, model.safetensors, tokenizer.json with
// a byte-level vocabulary and RoBERTa's <s> </s> template).
void InitRandomClassifier(const ClassifierInitOptions& options, const std::string& dir);

}  // namespace emoscope
