// The runtime against Hugging Face transformers itself: tests/fixtures/hf/ holds random-initialised
// tiny checkpoints that scripts/gpu/make_hf_fixtures.py saved with transformers, with their inputs,
// every layer's raw residual stream and the logits (or a classifier's probabilities), in float32.
// Covers what the independent fixtures do not: Llama 3 rope scaling, Gemma 3's linear rope
// scaling, Mistral's sliding window, Qwen2, a RoBERTa sequence classifier.
//
// Each fixture folder: config.json and model.safetensors as save_pretrained wrote them, and
// expected.safetensors with input_ids I64 [B, T], residual F32 [L+1, B, T, d] (index L before the
// final norm), logits F32 [B, T, V]; a classifier instead has tokenizer.json, texts.json and
// probabilities F32 [B, labels]. Without the folder the tests say they were skipped.
#include <ATen/ATen.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "models/runtime/classifier.h"
#include "models/runtime/model.h"
#include "models/runtime/tensor_file.h"
#include "tests/models/forward_check.h"
#include "tests/support/catch_aten.h"
#include "tests/support/test_support.h"

namespace {

// The fixture folder, or nullopt (with a warning saying the test was skipped) when absent.
std::optional<std::string> HfFixture(const std::string& name) {
  const std::string dir = emoscope::testing::SourcePath("tests/fixtures/hf/" + name);
  if (!emoscope::FileExists(dir + "/expected.safetensors")) {
    WARN("SKIPPED: " << dir << " is absent; scripts/gpu/make_hf_fixtures.py writes it (needs transformers)");
    return std::nullopt;
  }
  return dir;
}

void CheckCausalLm(const std::string& name) {
  const auto dir = HfFixture(name);
  if (!dir) return;
  emoscope::testing::CheckForwardAgainst("hf " + name, *dir, *dir + "/expected.safetensors");
}

}  // namespace

TEST_CASE("llama with llama3 rope scaling matches transformers", "[fixtures][hf]") {
  CheckCausalLm("llama3");
}

TEST_CASE("gemma3 with linear rope scaling matches transformers", "[fixtures][hf]") {
  CheckCausalLm("gemma3");
}

TEST_CASE("mistral with a sliding window shorter than the input matches transformers", "[fixtures][hf]") {
  CheckCausalLm("mistral");
}

TEST_CASE("qwen2 matches transformers", "[fixtures][hf]") { CheckCausalLm("qwen2"); }

void CheckClassifier(const std::string& name) {
  const auto dir = HfFixture(name);
  if (!dir) return;
  const auto expected = emoscope::ReadTensorFile(*dir + "/expected.safetensors");
  const auto texts =
      nlohmann::json::parse(emoscope::ReadFile(*dir + "/texts.json")).get<std::vector<std::string>>();
  auto classifier = emoscope::SequenceClassifier::Load(*dir);
  const std::vector<std::vector<double>> probabilities = classifier->Classify(texts);
  const at::Tensor& want = expected.at("probabilities");
  REQUIRE(static_cast<int64_t>(probabilities.size()) == want.size(0));
  double diff = 0;
  for (size_t row = 0; row < probabilities.size(); ++row) {
    REQUIRE(static_cast<int64_t>(probabilities[row].size()) == want.size(1));
    for (size_t label = 0; label < probabilities[row].size(); ++label) {
      diff = std::max(diff,
                      std::abs(probabilities[row][label] -
                               want[static_cast<int64_t>(row)][static_cast<int64_t>(label)].item<double>()));
    }
  }
  std::printf("hf %-10s probabilities maxdiff %.3g\n", name.c_str(), diff);
  CHECK(diff < emoscope::testing::kForwardTolerance);
}

TEST_CASE("a roberta sequence classifier gives transformers' probabilities", "[fixtures][hf]") {
  CheckClassifier("roberta");
}

TEST_CASE("a distilbert sequence classifier with a WordPiece tokenizer gives transformers' probabilities",
          "[fixtures][hf]") {
  CheckClassifier("distilbert");
}
