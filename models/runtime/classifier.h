// Sequence classifiers of the BERT/RoBERTa family (Hugging Face RobertaForSequenceClassification,
// XLMRobertaForSequenceClassification, BertForSequenceClassification,
// DistilBertForSequenceClassification), run in libtorch: how an external emotion classifier judges
// steered text. config.json gives the labels (id2label); tokenizer.json may be RoBERTa's byte-level
// BPE or BERT's WordPiece (models/tokenizer/).
//
//   RoBERTa: h = LN(word[ids] + pos[padding_idx + 1 + index of real token] + type[0])
//   BERT:    h = LN(word[ids] + pos[index] + type[0]);  DistilBERT: no token types
//   block:   h = LN(h + O(attn(h)));  h = LN(h + W2(act(W1 h)))       (post-LayerNorm)
//   head:    RoBERTa out_proj(tanh(dense(h[<s>]))); BERT classifier(tanh(pooler(h[CLS])));
//            DistilBERT classifier(relu(pre_classifier(h[CLS])))
// DistilBERT's config names its sizes dim, n_layers, n_heads, hidden_dim and its activation
// `activation`; its LayerNorms use eps 1e-12 (fixed in its modeling code).
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
  std::string arch = "roberta";  // roberta or distilbert
  int64_t layers = 2;
  int64_t hidden = 32;
  int64_t heads = 4;
  int64_t intermediate = 64;
  std::vector<std::string> labels;
  uint64_t seed = 0;
};
// Writes a random but valid classifier folder (config.json, model.safetensors, tokenizer.json with
// a byte-level vocabulary and RoBERTa's <s> </s> or BERT's [CLS] [SEP] template).
void InitRandomClassifier(const ClassifierInitOptions& options, const std::string& dir);

}  // namespace emoscope
