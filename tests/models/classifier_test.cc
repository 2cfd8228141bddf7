// The classifier judge's model: a RoBERTa sequence classifier in libtorch.
#include "models/runtime/classifier.h"

#include <ATen/ATen.h>

#include <cmath>
#include <numeric>

#include "common/file_util.h"
#include "models/checkpoint/safetensors.h"
#include "models/tokenizer/tokenizer.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

std::string TinyClassifier(const emoscope::testing::TempDir& dir) {
  emoscope::ClassifierInitOptions options;
  options.labels = {"anger", "joy", "sadness", "neutral"};
  options.seed = 3;
  emoscope::InitRandomClassifier(options, dir.File("clf"));
  return dir.File("clf");
}

}  // namespace

TEST_CASE("a roberta classifier gives a probability per label, the same batched or alone", "[classifier]") {
  emoscope::testing::TempDir dir;
  auto classifier = emoscope::SequenceClassifier::Load(TinyClassifier(dir));
  REQUIRE(classifier->labels() == std::vector<std::string>{"anger", "joy", "sadness", "neutral"});
  const std::vector<std::string> texts = {"I am so happy today!", "no",
                                          "The rain kept falling on the empty street."};
  const auto batch = classifier->Classify(texts);
  REQUIRE(batch.size() == 3);
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO(texts[i]);
    REQUIRE(batch[i].size() == 4);
    CHECK(std::accumulate(batch[i].begin(), batch[i].end(), 0.0) == Approx(1.0));
    const auto alone = classifier->Classify({texts[i]});
    for (size_t label = 0; label < 4; ++label) CHECK(alone[0][label] == Approx(batch[i][label]).margin(1e-6));
  }
  CHECK(batch[0] != batch[2]);  // the text matters
}

TEST_CASE("a classifier config without labels or of another architecture is an error naming the field",
          "[classifier][errors]") {
  emoscope::testing::TempDir dir;
  const std::string path = TinyClassifier(dir);
  std::string config = emoscope::ReadFile(path + "/config.json");
  emoscope::WriteFileAtomic(path + "/config.json", config.replace(config.find("\"roberta\""), 9, "\"gpt2\""));
  REQUIRE_THROWS_WITH(emoscope::SequenceClassifier::Load(path),
                      Catch::Contains("model_type") && Catch::Contains("gpt2"));
  emoscope::WriteFileAtomic(path + "/config.json",
                            R"({"model_type": "roberta", "vocab_size": 260, "hidden_size": 32,
    "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 400})");
  REQUIRE_THROWS_WITH(emoscope::SequenceClassifier::Load(path), Catch::Contains("id2label"));
}

namespace {

// A DistilBERT forward written out the way Hugging Face's modeling_distilbert.py does it (plain
// ATen ops, not the runtime's blocks), from the folder's tensors: the reference for one text.
at::Tensor DistilBertReferenceLogits(const std::string& dir, const std::vector<int64_t>& ids, int64_t layers,
                                     int64_t heads) {
  const auto file = emoscope::SafetensorsFile::Open(dir + "/model.safetensors");
  auto w = [&](const std::string& name) {
    const emoscope::TensorView* view = file.Find(name);
    REQUIRE(view != nullptr);
    return at::from_blob(const_cast<uint8_t*>(view->data), view->shape, at::kFloat).clone().to(at::kDouble);
  };
  const auto n = static_cast<int64_t>(ids.size());
  const at::Tensor input = at::tensor(ids, at::kLong);
  at::Tensor x =
      at::embedding(w("distilbert.embeddings.word_embeddings.weight"), input) +
      at::embedding(w("distilbert.embeddings.position_embeddings.weight"), at::arange(n, at::kLong));
  const int64_t dim = x.size(1);
  x = at::layer_norm(x, {dim}, w("distilbert.embeddings.LayerNorm.weight"),
                     w("distilbert.embeddings.LayerNorm.bias"), 1e-12);
  const int64_t per_head = dim / heads;
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = "distilbert.transformer.layer." + std::to_string(i) + ".";
    auto lin = [&](const at::Tensor& t, const std::string& name) {
      return at::matmul(t, w(p + name + ".weight").t()) + w(p + name + ".bias");
    };
    auto shape = [&](const at::Tensor& t) {
      return t.view({n, heads, per_head}).transpose(0, 1);
    };  // (h, n, d)
    const at::Tensor q = shape(lin(x, "attention.q_lin")) / std::sqrt(static_cast<double>(per_head));
    const at::Tensor scores = at::matmul(q, shape(lin(x, "attention.k_lin")).transpose(1, 2));
    const at::Tensor context = at::matmul(at::softmax(scores, -1), shape(lin(x, "attention.v_lin")));
    const at::Tensor sa = lin(context.transpose(0, 1).reshape({n, dim}), "attention.out_lin");
    x = at::layer_norm(sa + x, {dim}, w(p + "sa_layer_norm.weight"), w(p + "sa_layer_norm.bias"), 1e-12);
    const at::Tensor ffn = lin(at::gelu(lin(x, "ffn.lin1")), "ffn.lin2");
    x = at::layer_norm(ffn + x, {dim}, w(p + "output_layer_norm.weight"), w(p + "output_layer_norm.bias"),
                       1e-12);
  }
  const at::Tensor pooled =
      at::relu(at::matmul(x[0], w("pre_classifier.weight").t()) + w("pre_classifier.bias"));
  return at::matmul(pooled, w("classifier.weight").t()) + w("classifier.bias");
}

}  // namespace

TEST_CASE("a distilbert classifier matches a plain transcription of its modeling code, batched or alone",
          "[classifier]") {
  emoscope::testing::TempDir dir;
  emoscope::ClassifierInitOptions options;
  options.arch = "distilbert";
  options.labels = {"anger", "joy", "sadness"};
  options.layers = 3;
  options.seed = 5;
  emoscope::InitRandomClassifier(options, dir.File("distil"));
  auto classifier = emoscope::SequenceClassifier::Load(dir.File("distil"));
  REQUIRE(classifier->labels() == options.labels);
  const auto tokenizer = emoscope::Tokenizer::FromFolder(dir.File("distil"));
  const std::vector<std::string> texts = {"What a lovely day!", "no",
                                          "The rain kept falling on the empty street."};
  const auto batch = classifier->Classify(texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    INFO(texts[i]);
    std::vector<int64_t> ids;
    for (int32_t id : tokenizer.Encode(texts[i])) ids.push_back(id);
    REQUIRE(ids.front() == 256);  // [CLS]
    REQUIRE(ids.back() == 258);   // [SEP]
    const at::Tensor expected = at::softmax(DistilBertReferenceLogits(dir.File("distil"), ids, 3, 4), -1);
    for (size_t label = 0; label < 3; ++label) {
      CHECK(batch[i][label] == Approx(expected[static_cast<int64_t>(label)].item<double>()).margin(1e-6));
    }
    const auto alone = classifier->Classify({texts[i]});
    for (size_t label = 0; label < 3; ++label) CHECK(alone[0][label] == Approx(batch[i][label]).margin(1e-6));
  }
  CHECK(batch[0] != batch[2]);
}
