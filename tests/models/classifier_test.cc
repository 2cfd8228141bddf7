// The classifier judge's model: a RoBERTa sequence classifier in libtorch.
#include "tests/support/catch_aten.h"

#include <ATen/ATen.h>

#include <numeric>

#include "common/file_util.h"
#include "models/runtime/classifier.h"
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
  const std::vector<std::string> texts = {"I am so happy today!", "no", "The rain kept falling on the empty street."};
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

TEST_CASE("a classifier config without labels or of another architecture is an error naming the field", "[classifier][errors]") {
  emoscope::testing::TempDir dir;
  const std::string path = TinyClassifier(dir);
  std::string config = emoscope::ReadFile(path + "/config.json");
  emoscope::WriteFileAtomic(path + "/config.json", config.replace(config.find("\"roberta\""), 9, "\"gpt2\""));
  REQUIRE_THROWS_WITH(emoscope::SequenceClassifier::Load(path), Catch::Contains("model_type") && Catch::Contains("gpt2"));
  emoscope::WriteFileAtomic(path + "/config.json", R"({"model_type": "roberta", "vocab_size": 260, "hidden_size": 32,
    "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 400})");
  REQUIRE_THROWS_WITH(emoscope::SequenceClassifier::Load(path), Catch::Contains("id2label"));
}
